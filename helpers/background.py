"""Run stream servers in the background of an already-running event loop.

In a notebook the kernel's event loop keeps running between cells, so a server
started in one cell keeps serving while you work in the next. This module keeps
one server per *name*: starting a server under a name that is already taken
stops the old one first, so re-running a cell never fails with "address in use".

    srv = await serve("echo", handle_echo)       # 127.0.0.1, a free port
    reader, writer = await asyncio.open_connection(*srv.address)
    ...
    await stop_all()                              # the last cell of a notebook

A handler's exceptions are collected in ``srv.errors`` instead of being printed:
text printed from a background task lands in whichever cell happens to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None] | None]

_servers: dict[str, BackgroundServer] = {}


@dataclass
class BackgroundServer:
    """A running server, the connections it holds and the errors its handler raised."""

    name: str
    server: asyncio.Server | None = None
    connections: set[asyncio.StreamWriter] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    served: int = 0
    private_dir: Path | None = None  # removed on stop (Unix sockets only)
    address: Any = None  # (host, port) for TCP, the socket's path (a str) for Unix

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def path(self) -> str:
        return self.address

    def is_serving(self) -> bool:
        return self.server is not None and self.server.is_serving()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no connection is open; False if one still is after ``timeout`` s."""
        try:
            async with asyncio.timeout(timeout):
                while self.connections:
                    await asyncio.sleep(0.01)
        except TimeoutError:
            return False
        return True

    async def _run(self, handler: Handler, reader, writer) -> None:
        """Run one connection: track it, keep the handler's errors, always close."""
        self.served += 1
        self.connections.add(writer)
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            result = handler(reader, writer)
            if not inspect.isawaitable(result):
                return  # a plain-function callback owns the writer; stop() still closes it
            await result
        except asyncio.CancelledError:
            # stop() cancelled us: end quietly. Re-raising would make asyncio's own
            # done-callback log a traceback on 3.11 and 3.12 (3.13 checks cancelled()).
            pass
        except Exception as exc:  # a rude client must not take the server down
            self.errors.append(exc)
        finally:
            self.tasks.discard(task)
        self.connections.discard(writer)
        await close_quietly(writer)

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, drop every client, and wait (at most ``timeout`` s)."""
        if self.server is not None:
            self.server.close()
            await asyncio.sleep(0)  # let connections accepted just now start (and be tracked)
            for writer in list(self.connections):
                # abort() rather than close(): close() waits for unsent data and
                # Server.wait_closed() (3.12+) waits for every connection to end.
                transport = writer.transport
                # A transport that already closed (nothing left to send) cannot abort.
                if not transport.is_closing() or transport.get_write_buffer_size():
                    transport.abort()
            for task in list(self.tasks):
                task.cancel()
            if self.tasks:
                await asyncio.wait(list(self.tasks), timeout=timeout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), timeout)
        self.connections.clear()
        if self.private_dir is not None:
            shutil.rmtree(self.private_dir, ignore_errors=True)
        if _servers.get(self.name) is self:
            del _servers[self.name]


async def close_quietly(writer: asyncio.StreamWriter, timeout: float = 1.0) -> None:
    """Close a writer; a peer that already left is not an error here."""
    writer.close()
    with contextlib.suppress(ConnectionError, TimeoutError, OSError):
        await asyncio.wait_for(writer.wait_closed(), timeout)


async def serve(name: str, handler: Handler, *, host: str = "127.0.0.1", port: int = 0,
                **kwargs) -> BackgroundServer:
    """Start (or restart) the TCP server called ``name``; ``kwargs`` go to ``start_server``."""
    await stop(name)
    bg = BackgroundServer(name)
    bg.server = await asyncio.start_server(
        lambda r, w: bg._run(handler, r, w), host, port, **kwargs)
    bg.address = bg.server.sockets[0].getsockname()[:2]  # IPv6 adds flow info and scope
    _servers[name] = bg
    return bg


async def serve_unix(name: str, handler: Handler, path: str | Path | None = None,
                     **kwargs) -> BackgroundServer:
    """Start (or restart) a Unix-socket server; with no ``path``, one in a private dir."""
    if not hasattr(socket, "AF_UNIX"):
        raise OSError("Unix sockets are not available on this platform")
    await stop(name)
    bg = BackgroundServer(name)
    if path is None:
        # mkdtemp makes the directory mode 0700: only this user can reach the socket.
        bg.private_dir = Path(tempfile.mkdtemp(prefix="streams-lab-"))
        path = bg.private_dir / f"{name}.sock"
    bg.server = await asyncio.start_unix_server(
        lambda r, w: bg._run(handler, r, w), path, **kwargs)
    bg.address = bg.server.sockets[0].getsockname()
    _servers[name] = bg
    return bg


def get(name: str) -> BackgroundServer | None:
    """The running server called ``name``, if any."""
    return _servers.get(name)


def running() -> list[str]:
    """Names of the servers that are running now."""
    return sorted(_servers)


async def stop(name: str, timeout: float = 2.0) -> None:
    """Stop the server called ``name``; nothing happens if there is none."""
    bg = _servers.pop(name, None)
    if bg is not None:
        await bg.stop(timeout)


async def stop_all(timeout: float = 2.0) -> list[str]:
    """Stop every background server; returns the names that were stopped."""
    names = running()
    for name in names:
        await stop(name, timeout)
    return names
