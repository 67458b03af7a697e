"""The echo servers, each variant on its own port, in a child Python process.

``servers(loop_name)`` starts ``python -m helpers.bench --child asyncio`` (or ``uvloop``),
which prints ``{variant: port}`` as one JSON line, then answers each line it reads on
stdin with one JSON line of pause counts (``helpers.bench.pauses``), and stops when its
stdin closes. The clients stay in this process, so each side has a core of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from helpers.bench.clients import recv_exactly
from helpers.bench.pauses import PauseCount, start_counting_server
from helpers.bench.sizes import CHUNK, LIMITS, MESSAGE, READ_SIZES, RECEIVE, SMALL, variant


async def echo_streams(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       n: int) -> None:
    """Read up to ``n`` bytes, write them back, drain; until the client's EOF."""
    try:
        while data := await reader.read(n):
            writer.write(data)
            await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


async def echo_small_writes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            batched: bool) -> None:
    """Read 64 KiB, write it back as 100-byte pieces: drain after each, or once for all."""
    try:
        while data := await reader.read(CHUNK):
            pieces = [data[i:i + SMALL] for i in range(0, len(data), SMALL)]
            if batched:
                writer.writelines(pieces)
                await writer.drain()
            else:
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


async def reply_streams(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Request/response: read exactly one whole request, then send the reply (its echo)."""
    try:
        while True:
            try:
                request = await reader.readexactly(MESSAGE)
            except asyncio.IncompleteReadError:
                break
            writer.write(request)
            await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    """Echo with callbacks, no StreamReader: bytes go straight from read to write."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: not a subclass

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def pause_writing(self) -> None:  # the peer reads slower than we write: stop reading
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.transport.resume_reading()


class ReplyProtocol(EchoProtocol):
    """Request/response with callbacks: a reply for each whole request."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= MESSAGE:
            self.transport.write(bytes(self.buffer[:MESSAGE]))
            del self.buffer[:MESSAGE]


def _thread_echo(conn: socket.socket) -> None:
    buf = bytearray(RECEIVE)  # asyncio's transports read up to 256 KiB at a time too
    with conn, contextlib.suppress(ConnectionError):  # a client that left: nothing to say
        while n := conn.recv_into(buf):
            conn.sendall(memoryview(buf)[:n])


def _thread_reply(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio does
    with conn, contextlib.suppress(ConnectionError):
        while request := recv_exactly(conn, MESSAGE):
            conn.sendall(request)


def thread_server(handle: Callable[[socket.socket], None]) -> socket.socket:
    """A blocking server: one thread accepts, one more thread per connection."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=2048)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def _reading(n: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]:
    return lambda r, w: echo_streams(r, w, n)


async def _child_main() -> None:
    """Start every server, print their ports as one JSON line, serve until stdin closes."""
    loop = asyncio.get_running_loop()
    local = "127.0.0.1"
    servers: dict[str, asyncio.Server] = {
        "streams 64 KiB": await asyncio.start_server(_reading(CHUNK), local, 0, backlog=2048),
        "streams 100 B": await asyncio.start_server(_reading(SMALL), local, 0),
        "drain each": await asyncio.start_server(
            lambda r, w: echo_small_writes(r, w, False), local, 0),
        "writelines": await asyncio.start_server(
            lambda r, w: echo_small_writes(r, w, True), local, 0),
        "streams reply": await asyncio.start_server(reply_streams, local, 0, backlog=2048),
        "protocol": await loop.create_server(EchoProtocol, local, 0),
        "protocol reply": await loop.create_server(ReplyProtocol, local, 0),
    }
    counts: dict[str, PauseCount] = {}
    for limit in LIMITS:
        for read in READ_SIZES:
            name = variant(limit, read)
            counts[name] = PauseCount()
            servers[name] = await start_counting_server(_reading(read), local, 0,
                                                        limit=limit, count=counts[name])
    ports = {name: s.sockets[0].getsockname()[1] for name, s in servers.items()}
    listeners = []
    if type(loop).__module__.startswith("asyncio"):  # the blocking ones once, not on uvloop
        listeners = [thread_server(_thread_echo), thread_server(_thread_reply)]
        ports["threads"] = listeners[0].getsockname()[1]
        ports["threads reply"] = listeners[1].getsockname()[1]
    print(json.dumps(ports), flush=True)

    async def snapshot() -> str:  # on the loop's thread, where the counts change
        return json.dumps({name: c.as_dict() for name, c in counts.items()})

    def answer() -> None:  # each line in: the counts so far, as one line out
        for _ in sys.stdin:
            print(asyncio.run_coroutine_threadsafe(snapshot(), loop).result(), flush=True)
        loop.call_soon_threadsafe(done.set)

    done = asyncio.Event()
    threading.Thread(target=answer, daemon=True).start()
    await done.wait()
    for s in servers.values():
        s.close()
    for listener in listeners:
        listener.close()


def raise_fd_limit(wanted: int = 4096) -> int:
    """Raise this process's open-file limit towards ``wanted``; return the new soft limit."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def child(loop_name: str) -> None:
    """The child process's whole life: serve on ``loop_name``'s loop until stdin closes."""
    # The parent stops this child by closing its stdin; a Ctrl-C is the parent's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_fd_limit()
    try:
        if loop_name == "uvloop":
            import uvloop

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_child_main())
        else:
            asyncio.run(_child_main())
    except BrokenPipeError:
        # The parent was interrupted before it read our ports: nobody is left to serve.
        # Point stdout at /dev/null, so Python's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class ServerProcess(dict[str, int]):
    """``{variant: port}`` of one child process, which can also be asked for its counts."""

    def __init__(self, ports: dict[str, int], stdin: IO[str], stdout: IO[str]) -> None:
        super().__init__(ports)
        self._stdin, self._stdout = stdin, stdout

    def pause_counts(self) -> dict[str, PauseCount]:
        """Each limit-sweep variant's pause counts so far, summed over its connections."""
        self._stdin.write("counts\n")
        self._stdin.flush()
        line = self._stdout.readline()
        if not line:
            raise RuntimeError("the server process stopped answering")
        return {name: PauseCount(**c) for name, c in json.loads(line).items()}


@contextlib.contextmanager
def servers(loop_name: str = "asyncio") -> Iterator[ServerProcess]:
    """Start the child process that serves every variant; yield its ``{variant: port}``."""
    # Its own session (process group on Windows): a Ctrl-C in the terminal reaches only
    # this process, even while the child is still starting (before it can ignore SIGINT,
    # it would die with a traceback); this process stops it by closing its stdin.
    apart: dict[str, Any] = (
        {"start_new_session": True} if os.name == "posix"
        else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)})
    proc = subprocess.Popen([sys.executable, "-m", "helpers.bench", "--child", loop_name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **apart)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {loop_name} server process did not start")
        yield ServerProcess(json.loads(line), proc.stdin, proc.stdout)
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
