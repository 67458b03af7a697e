"""Run stream servers in the background of an already-running event loop.

In a notebook the kernel's event loop keeps running between cells, so a server
started in one cell keeps serving while you work in the next. This module keeps
one server per *name*: starting a server under a name that is already taken
stops the old one first, so re-running a cell never fails with "address in use".

    srv = await serve("echo", handle_echo)       # 127.0.0.1, a free port
    reader, writer = await asyncio.open_connection(*srv.address)
    ...
    srv = await ensure("echo")                    # the running "echo", or the same again
    await stop_all()                              # the last cell of a notebook

It is the one list of everything a notebook started: other kinds of servers (the
HTTP servers of ``helpers.local_http``) are ``register``-ed here too, so that
``stop_all()`` stops them all. It also remembers how each name was last started:
``ensure(name)`` starts a stopped server again. A widget uses it, so that it still
works after the notebook's last cell has stopped everything.

A handler's exceptions are collected in ``srv.errors`` instead of being printed:
text printed from a background task lands in whichever cell happens to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None] | None]


class Stoppable(Protocol):
    """Any server the registry can hold: it says whether it serves, and it stops."""

    def is_serving(self) -> bool: ...

    def stop(self) -> Awaitable[None] | None: ...


_servers: dict[str, Stoppable] = {}  # what runs now, by name
_starters: dict[str, Callable[[], Any]] = {}  # how each name was last started
_starting: dict[str, asyncio.Future[Any]] = {}  # ensure() starting a name again, right now


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
        assert task is not None  # a handler always runs in a task
        self.tasks.add(task)
        try:
            result = handler(reader, writer)
            if not inspect.isawaitable(result):
                return  # a plain-function callback owns the writer; stop() still closes it
            await result
        except asyncio.CancelledError:
            # stop() cancelled us: end quietly. Re-raising would make asyncio's own
            # done-callback log a traceback on 3.11 up to 3.11.7 and 3.12 up to 3.12.1 (seen
            # here); gh-113538 made it check cancelled() (3.12.2, 3.11.8 and 3.13).
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


async def close_within(writer: asyncio.StreamWriter, timeout: float) -> bool:
    """Close ``writer``, waiting at most ``timeout`` s; then drop it. True if it closed in time.

    ``close()`` first sends what is still in the write buffer, so ``wait_closed()`` waits
    as long as a peer that stopped reading wants. After ``timeout`` s the transport is
    aborted: the unsent bytes are dropped and the socket is closed at once.

    The wait is shielded: a timeout around a bare ``wait_closed()`` cancels the writer's
    own "closed" future, and every later ``wait_closed()`` then raises CancelledError
    (3.11 to 3.13). A writer already in that state is aborted, and False returned.
    """
    where = _whose(writer)
    writer.close()
    if where == "lost":
        # The connection is gone. Lost the usual way, its "closed" future is done, maybe
        # holding the error (a reset): take it now, or the garbage collector may print
        # "Future exception was never retrieved" at exit. Lost in a failed start_tls(),
        # the stream never hears of it, and waiting would never end (3.11 to 3.13).
        await _take_outcome(writer)
        return True
    if where == "elsewhere":
        # A start_tls() that failed (or was cancelled) has closed the connection already,
        # and the stream never hears of it: after a handshake timeout, wait_closed() never
        # returns (3.11 to 3.13). Nothing to wait for.
        return True
    task = asyncio.current_task()
    asked = task.cancelling() if task is not None else 0
    waiting = _watched_close(writer)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.shield(waiting)
        return True
    except TimeoutError:
        pass
    except OSError:  # the peer had already gone: closed all the same
        return True
    except asyncio.CancelledError:
        if task is None or task.cancelling() > asked or not waiting.cancelled():
            raise  # a real cancellation of our task: let it through
        # Only the writer's "closed" future was cancelled, earlier, by someone else.
    writer.transport.abort()
    await asyncio.sleep(0)  # the transport closes its socket at the loop's next step
    return False


def _whose(writer: asyncio.StreamWriter) -> str:
    """Who hears when the connection ends: "stream" (wait for it), "lost" (it has ended,
    the transport forgot its protocol) or "elsewhere" (a failed start_tls's TLS layer)."""
    try:
        protocol = writer.transport.get_protocol()
    except AttributeError:  # a TLS transport, closed: it no longer knows its protocol
        return "stream"
    if protocol is None:
        return "lost"
    return "stream" if isinstance(protocol, asyncio.StreamReaderProtocol) else "elsewhere"


def _watched_close(writer: asyncio.StreamWriter) -> asyncio.Future[None]:
    """``wait_closed()`` in a task whose outcome is always looked at, whatever happens to
    whoever waits for it: so it is never reported as "never retrieved"."""
    waiting = asyncio.ensure_future(writer.wait_closed())
    waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
    return waiting


async def _take_outcome(writer: asyncio.StreamWriter) -> None:
    """Look at a lost connection's "closed" future, if it is done; never wait for it."""
    waiting = _watched_close(writer)
    await asyncio.sleep(0)  # its first step: done at once if the future was
    if not waiting.done():
        waiting.cancel()


async def close_quietly(writer: asyncio.StreamWriter, timeout: float = 1.0) -> None:
    """Close a writer; a peer that already left, or stopped reading, is not an error here."""
    await close_within(writer, timeout)


async def serve(name: str, handler: Handler, *, host: str = "127.0.0.1", port: int = 0,
                **kwargs) -> BackgroundServer:
    """Start (or restart) the TCP server called ``name``; ``kwargs`` go to ``start_server``."""
    await stop(name)
    bg = BackgroundServer(name)
    bg.server = await asyncio.start_server(
        lambda r, w: bg._run(handler, r, w), host, port, **kwargs)
    bg.address = bg.server.sockets[0].getsockname()[:2]  # IPv6 adds flow info and scope
    _servers[name] = bg
    _starters[name] = functools.partial(serve, name, handler, host=host, port=port, **kwargs)
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
    # Without a path of its own, a new private directory each time; else the same path.
    _starters[name] = functools.partial(
        serve_unix, name, handler, None if bg.private_dir else path, **kwargs)
    return bg


def register(name: str, server: Stoppable, start_again: Callable[[], Any]) -> None:
    """Keep ``server`` under ``name``, so that ``stop_all()`` stops it too.

    A server already under that name is stopped first. ``start_again()`` starts
    the same server anew (``ensure`` calls it); it may return an awaitable.
    For servers whose ``stop()`` is a plain function (a server in a thread).
    """
    old = _servers.get(name)
    if isinstance(old, BackgroundServer):
        raise ValueError(f"{name!r} is an asyncio server: `await stop({name!r})` first")
    if old is not None and old is not server:
        old.stop()
    _servers[name] = server
    _starters[name] = start_again


async def ensure(name: str) -> Any:
    """The server called ``name`` if it is serving; else start it again, as it was last started.

    The address may differ from last time (a new free port, a new private
    directory): use the returned server's ``address``. ``LookupError`` if no
    server of that name was ever started in this process.
    """
    server = _servers.get(name)
    if server is not None and server.is_serving():
        return server
    if name not in _starting:  # two clicks at once start it once
        start_again = _starters.get(name)
        if start_again is None:
            raise LookupError(f"no server called {name!r} was started here: run the cell "
                              "that starts it first")

        async def start() -> Any:
            started = start_again()
            return await started if inspect.isawaitable(started) else started

        task = asyncio.create_task(start())
        _starting[name] = task
        task.add_done_callback(lambda done: _starting.pop(name, None))
    # shield: a click that gives up must not cancel the start the others wait for
    return await asyncio.shield(_starting[name])


def get(name: str) -> Any:
    """The running server called ``name``, if any."""
    return _servers.get(name)


def running() -> list[str]:
    """Names of the servers that are running now."""
    return sorted(_servers)


async def stop(name: str, timeout: float = 2.0) -> None:
    """Stop the server called ``name``; nothing happens if there is none."""
    server = _servers.pop(name, None)
    if isinstance(server, BackgroundServer):
        await server.stop(timeout)
    elif server is not None:
        server.stop()  # a registered server: stop() is a plain function


async def stop_all(timeout: float = 2.0) -> list[str]:
    """Stop every server started or registered here; returns their names.

    ``ensure(name)`` can still start any of them again.
    """
    names = running()
    for name in names:
        await stop(name, timeout)
    return names
