"""Check for notebook 12's exercise: ``shutdown(server, clients, grace)``.

The learner writes ``async def shutdown(server, clients, grace)``, where ``clients``
maps each handler task to its ``StreamWriter`` (as ``KVServer.clients`` does). It must
stop accepting, tell every client ``BYE server stopping``, close each connection, drop
one that does not read, cancel a handler still busy, and bound every wait by ``grace``.

The check starts a server of its own whose callback keeps the tasks the same way, with
three clients: one silent, one that asked for 4 MiB and never reads, and one whose
handler sleeps for an hour. Then it calls ``shutdown(server, clients, 0.2)`` and asks:
did it return in time, is the port closed, is every handler done, was the silent client
told, is the reader-that-never-reads's connection really closed?
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from helpers.exercises.contract import Exercise, NotYet, Trial

GRACE = 0.2  # seconds: the grace the check gives shutdown
LIMIT = 3.0  # seconds shutdown may take in all, before the check calls it a hang
SLOW = 8 * GRACE  # seconds: more than this, and some wait was not bounded by grace
BYE = b"BYE server stopping\n"
FLOOD = 16 * 1024 * 1024  # bytes the flooding client asks for and never reads
SMALL = 16 * 1024  # socket buffers on both ends of the flood: it fills them at once
HINTS = [
    "Six steps, in order: server.close(); write BYE to each writer and close it; wait for"
    " the tasks (asyncio.wait(list(clients), timeout=grace)); abort the writers; cancel the"
    " tasks and wait again; a bounded server.wait_closed().",
    "A client that never reads keeps its handler in drain() and close() cannot finish:"
    " only writer.transport.abort() ends it. A handler asleep ends only when you cancel it.",
    "Every wait gets the grace: asyncio.wait(..., timeout=grace), and"
    " async with asyncio.timeout(grace): await server.wait_closed() with TimeoutError caught."
    " On 3.12+ wait_closed() waits for every connection; on 3.11 it returns at once.",
]
STUB = "shutdown still raises NotImplementedError: write its body"
HANG = (f"shutdown did not return within {LIMIT:g} s: bound every wait by grace"
        " (on 3.12+ server.wait_closed() waits until every connection is gone)")
STILL_ACCEPTS = "the server still accepts connections after shutdown: call server.close() first"
NOT_TOLD = ("the silent client was closed without a word: write b'BYE server stopping\\n' to"
            " each writer before you close it")
LEFT_OPEN = ("the silent client's connection is still open after shutdown: close each writer"
             " (writer.close())")
FLOOD_OPEN = ("the connection of the client that never reads is still open: close() waits to"
              " send what is queued, forever; drop it with writer.transport.abort()")


class _Lab:
    """The check's own server: its callback keeps each handler task with its writer."""

    def __init__(self) -> None:
        self.clients: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self.server: asyncio.Server | None = None
        self.flooded: asyncio.StreamWriter | None = None
        self.mine: list[asyncio.StreamWriter] = []  # the clients' ends
        self.all_tasks: list[asyncio.Task] = []

    def connected(self, reader, writer) -> None:
        task = asyncio.get_running_loop().create_task(self.handle(reader, writer))
        self.clients[task] = writer
        self.all_tasks.append(task)
        task.add_done_callback(self.clients.pop)

    async def handle(self, reader, writer) -> None:
        try:
            while line := await reader.readline():
                if line == b"FLOOD\n":
                    writer.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL)
                    self.flooded = writer
                    writer.write(bytes(FLOOD))
                elif line == b"NAP\n":
                    writer.write(b"napping\n")
                    await writer.drain()
                    await asyncio.sleep(3600)  # busy with something other than its client
                else:
                    writer.write(b"OK\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def client(self, line: bytes, answer: bytes | None) -> tuple:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        except BaseException:
            sock.close()
            raise
        reader, writer = await asyncio.open_connection(sock=sock)
        self.mine.append(writer)
        writer.write(line)
        await writer.drain()
        if answer is not None:
            async with asyncio.timeout(LIMIT):
                got = await reader.readline()
            if got != answer:
                raise NotYet(f"the check's own server answered {got!r}")  # pragma: no cover
        return reader, writer

    @contextlib.asynccontextmanager
    async def running(self):
        self.server = await asyncio.start_server(self.connected, "127.0.0.1", 0)
        try:
            yield self
        finally:  # whatever the learner's shutdown did or did not do
            self.server.close()
            for writer in [*self.clients.values(), *self.mine]:
                writer.transport.abort()
            for task in self.all_tasks:
                task.cancel()
            await asyncio.gather(*self.all_tasks, return_exceptions=True)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def _run(trial: Trial, shutdown) -> str:
    lab = await trial.enter_async(_Lab().running())
    port = lab.server.sockets[0].getsockname()[1]
    silent, _ = await lab.client(b"HELLO\n", b"OK\n")
    await lab.client(b"FLOOD\n", None)
    await lab.client(b"NAP\n", b"napping\n")
    for _ in range(100):  # until the flood fills the buffers and its handler waits in drain()
        if lab.flooded is not None and lab.flooded.transport.get_write_buffer_size() > FLOOD // 2:
            break
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await trial.call(shutdown, lab.server, lab.clients, GRACE, name="shutdown",
                     timeout=LIMIT, on_timeout=HANG, stub=STUB)
    took = loop.time() - start
    if _port_open(port):
        raise NotYet(STILL_ACCEPTS)
    running = [t for t in lab.all_tasks if not t.done()]
    if running:
        raise NotYet(f"{len(running)} of 3 handler tasks still running after shutdown returned:"
                     " drop the connections that do not read (writer.transport.abort()), then"
                     " cancel the tasks that are left and wait for them")
    try:
        async with asyncio.timeout(1.0):
            heard = await silent.read()
    except TimeoutError:
        raise NotYet(LEFT_OPEN) from None
    except ConnectionError:
        heard = b""
    if heard != BYE:
        raise NotYet(NOT_TOLD if heard == b""
                     else f"the silent client heard {heard!r}, not {BYE!r}")
    flooded_sock = lab.flooded.get_extra_info("socket") if lab.flooded else None
    for _ in range(50):
        if flooded_sock is None or flooded_sock.fileno() == -1:
            break
        await asyncio.sleep(0.01)
    else:
        raise NotYet(FLOOD_OPEN)
    if took > SLOW:
        raise NotYet(f"shutdown took {took:.2f} s with grace={GRACE:g}: wait at most grace"
                     " at each step")
    return ("shutdown stopped 3 clients within its grace: the silent one was told, the one"
            " that never reads was dropped, the sleeping handler was cancelled")


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
