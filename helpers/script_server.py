"""Serve until Ctrl-C or ``kill``, then stop in order: what every server script shares.

    await serve_until_stopped(PROG, lambda connected: asyncio.start_server(connected, host, port),
                              handle_echo)

prints ``Serving on ADDRESS (Ctrl-C to stop)``, serves, and on SIGINT (Ctrl-C),
SIGTERM (``kill``) or SIGHUP (a closed terminal) stops accepting, ends every
connection, waits for every handler, prints ``PROG: stopped`` on stderr and
returns: the script exits with status 0 and nothing else on stderr.

Why not just catch ``KeyboardInterrupt`` around ``asyncio.run``? Then ``asyncio.run``
cancels the handlers as it shuts the loop down, and on 3.11 and 3.12 asyncio's own
callback for a cancelled handler task prints a ``CancelledError`` traceback. And
``Server.wait_closed()`` does not help: on 3.11 it returns while handlers still run,
on 3.12+ it waits for every client to leave, so one silent client hangs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator

from helpers.background import close_quietly

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Connected = Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]
Farewell = Callable[[], Awaitable[None]]  # says goodbye to every client, before they are dropped

STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")  # Ctrl-C, kill, a closed terminal
GRACE = 1.0  # seconds a handler gets to return once its connection is gone


@contextlib.contextmanager
def stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop()`` on Ctrl-C, SIGTERM or SIGHUP, in the event loop, between two steps.

    Where the loop cannot do that (Windows), Ctrl-C stays a ``KeyboardInterrupt``:
    ``asyncio.run`` cancels the main task, and ``helpers.cli.run`` says "stopped".
    """
    loop = asyncio.get_running_loop()
    installed = []
    for name in STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            loop.add_signal_handler(number, stop)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            continue
        installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            loop.remove_signal_handler(number)


class Connections:
    """Every open connection's handler task, so that shutdown can end them and wait."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.open: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._cancelled: list[asyncio.StreamWriter] = []  # their handler may never have closed

    def connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The callback for ``start_server``: run the handler in a task we keep.

        A plain function on purpose. Given a coroutine, asyncio would make the task
        itself and attach the callback that prints a traceback when it is cancelled
        (3.11, 3.12); and the task exists from this very moment, so shutdown sees it.
        """
        task = asyncio.get_running_loop().create_task(self._run(reader, writer))
        self.open[task] = writer
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        writer = self.open.pop(task)
        if task.cancelled():  # by end(), perhaps before the handler even ran
            self._cancelled.append(writer)

    async def _run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.handler(reader, writer)
        except Exception as exc:  # a bug in the handler: report it as asyncio would, serve on
            asyncio.get_running_loop().call_exception_handler({
                "message": "Unhandled exception in client_connected_cb",
                "exception": exc,
                "transport": writer.transport,
            })
            writer.transport.abort()
        finally:
            # A handler that forgot to close: the connection ends with it. Waiting for the
            # close also takes the error a broken connection leaves in the writer's "closed"
            # future; left alone, the garbage collector may reach that future first and
            # print "Future exception was never retrieved" (seen on 3.11.7 at shutdown).
            await close_quietly(writer)

    async def end(self, grace: float = GRACE) -> None:
        """Drop every client, then wait for the handlers; cancel one that lingers."""
        for writer in list(self.open.values()):
            # abort(), not close(): close() first sends what is queued, and a client
            # that never reads would keep us waiting. The handler's next read sees
            # end of file, its next drain() a ConnectionResetError: it returns.
            writer.transport.abort()
        if self.open:
            await asyncio.wait(list(self.open), timeout=grace)
        for task in list(self.open):  # busy with something other than its connection
            task.cancel()
        if self.open:
            await asyncio.wait(list(self.open), timeout=grace)
        # A task cancelled before its first step never ran its finally: close those here,
        # taking the error a reset connection leaves in the writer's "closed" future.
        for writer in self._cancelled:
            await close_quietly(writer, timeout=grace)
        self._cancelled.clear()


async def shut_down(server: asyncio.Server, connections: Connections,
                    grace: float = GRACE, before_close: Farewell | None = None) -> None:
    """Stop accepting, end every connection, wait for the handlers.

    ``before_close()``, if given, runs once nobody new can connect and before any
    connection is dropped: the place to tell every client goodbye.
    """
    loop = asyncio.get_running_loop()
    # 1. Stop accepting, but leave the server open for two more turns of the loop:
    # a connection accepted just before the signal gets its transport in one turn
    # and its handler in the next, so step 3 ends it too. Closed before then, it
    # fails half-made (3.13.0 prints "Exception ignored ... TypeError" for it).
    for sock in server.sockets:
        with contextlib.suppress(NotImplementedError):  # a loop without readers (Windows)
            loop.remove_reader(sock.fileno())
    for _ in range(2):
        await asyncio.sleep(0)
    # 2. Close the listening sockets (3.13 also removes a Unix socket's file).
    server.close()
    if before_close is not None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await before_close()
    # 3. End the connections and wait for their handlers.
    if hasattr(server, "abort_clients"):  # 3.13+: also a client still in its TLS handshake
        server.abort_clients()
    await connections.end(grace)
    # 4. 3.12+ waits here until the server has let go of every connection; 3.11 returns.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(grace):
            await server.wait_closed()


async def serve_until_stopped(prog: str, start: Callable[[Connected], Awaitable[asyncio.Server]],
                              handler: Handler, grace: float = GRACE,
                              before_close: Farewell | None = None) -> None:
    """Start a server with ``start(connected)``, serve until a stop signal, shut down.

    ``start`` gets the callback to pass to ``asyncio.start_server`` (or
    ``start_unix_server``); it may raise ``helpers.cli.UserError`` to refuse.
    ``before_close`` is awaited (at most ``grace`` s) before the connections are dropped.
    """
    stop = asyncio.Event()
    connections = Connections(handler)
    with stop_signals(stop.set):
        server = await start(connections.connected)
        try:
            where = server.sockets[0].getsockname()
            print(f"Serving on {where} (Ctrl-C to stop)", flush=True)
            await stop.wait()
        finally:  # also when Ctrl-C arrives as a KeyboardInterrupt (Windows)
            await shut_down(server, connections, grace, before_close)
    print(f"{prog}: stopped", file=sys.stderr, flush=True)
