"""A TCP relay that re-chunks bytes on purpose, and records what crossed.

On loopback a small ``write`` nearly always arrives as one read, so code that
assumes "one write = one read" seems to work, until a real network splits or
merges the bytes. This relay sits between a client and a server and makes the
splitting and merging happen, on demand and the same way every run::

    client ──► relay ──► server           relay.address: where the client connects
             (re-chunks)                  target: where the relay connects

    relay = await start_relay("split", server.address, chunks=[4])  # 4-byte pieces
    relay = await start_relay("merge", server.address, coalesce=True)  # one piece at EOF

What the relay forwards to the server is cut by a :class:`Plan`:

* ``coalesce``: ``False`` forwards each batch of bytes as soon as it is read;
  ``True`` collects everything until the client's end of stream (EOF), so several
  writes leave as one; an ``int`` n collects at least n bytes (or until EOF).
* ``chunks``: the sizes of the pieces each batch is cut into, in order; the last
  size repeats (``[4]``: 4, 4, 4, ...; ``[1, 5]``: 1, 5, 5, ...). ``None``: one piece.
* ``pause``: seconds to wait after each piece, so the receiver reads it alone.

Why the pauses make it deterministic: when the receiver runs in the same event
loop (a server started with ``helpers.serve``), the bytes of a piece are in its
socket before the relay's pause timer can fire, and asyncio handles I/O before
timers, so the receiver's pending read returns that piece alone. A receiver in
another process gets ``pause`` seconds to read it. Pieces are cut per batch (what
one read from the sender returned), so the cuts are the same every run for a
single write, or with ``coalesce``; writes in quick succession may be batched
differently from run to run.

The server → client direction is forwarded as is unless ``reply=Plan(...)`` says
otherwise. A client's EOF (``write_eof``) is passed on, and so is the server's.
Every piece forwarded is recorded in ``relay.crossed`` (a list of :class:`Piece`,
with the time it left, in seconds since the relay started); nothing is printed,
so it is safe in a notebook's background.

A slow link: ``chunks=[1024], pause=0.01`` forwards about 100 KiB/s. Without
``coalesce``, the relay reads from one side only as fast as it forwards to the
other and awaits
``drain()`` after each piece, so a slow relay pushes back on the sender (its
``drain()`` waits once the buffers in between are full), as a slow network does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from helpers.background import BackgroundServer, close_quietly, serve, stop

#: Default pause after each forwarded piece (seconds), when pieces are cut.
DEFAULT_PAUSE = 0.01
TO_SERVER = "→"
TO_CLIENT = "←"


@dataclass(frozen=True)
class Plan:
    """How one direction of the relay forwards bytes (see the module's docstring)."""

    chunks: Sequence[int] | int | None = None
    pause: float = 0.0
    coalesce: bool | int = False

    def __post_init__(self) -> None:
        sizes = [self.chunks] if isinstance(self.chunks, int) else self.chunks
        if sizes is not None and (not sizes or any(s < 1 for s in sizes)):
            raise ValueError(f"chunks must be sizes of at least 1 byte, not {self.chunks!r}")
        if self.pause < 0:
            raise ValueError(f"pause must be >= 0 seconds, not {self.pause}")
        if self.coalesce is not True and self.coalesce is not False and self.coalesce < 1:
            raise ValueError(f"coalesce must be True, False or a number of bytes >= 1, "
                             f"not {self.coalesce}")

    def sizes(self) -> Iterator[int] | None:
        """The piece sizes, in order, forever (the last one repeats)."""
        if self.chunks is None:
            return None
        sizes = [self.chunks] if isinstance(self.chunks, int) else list(self.chunks)
        return itertools.chain(sizes, itertools.repeat(sizes[-1]))

    def cut(self, batch: bytes) -> list[bytes]:
        """``batch`` cut into the pieces this plan forwards (their join is ``batch``)."""
        sizes = self.sizes()
        if sizes is None:
            return [batch] if batch else []
        pieces, start = [], 0
        while start < len(batch):
            size = next(sizes)
            pieces.append(batch[start:start + size])
            start += size
        return pieces


@dataclass(frozen=True)
class Piece:
    """One piece the relay forwarded: on connection ``conn`` (1, 2, ...), in ``direction``."""

    conn: int
    direction: str  # TO_SERVER ("→") or TO_CLIENT ("←")
    data: bytes
    at: float = 0.0  # when it was forwarded: seconds since the relay started


@dataclass
class Relay:
    """A running relay: where to connect, and what crossed it."""

    name: str
    target: tuple[str, int]
    plan: Plan
    reply: Plan
    crossed: list[Piece] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    background: BackgroundServer | None = None
    started: float = 0.0  # loop.time() when the relay started
    _conns: int = 0

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the relay: connect the client here."""
        assert self.background is not None, "the relay has not started"
        return self.background.address[:2]

    def pieces(self, direction: str = TO_SERVER, conn: int | None = None) -> list[bytes]:
        """The pieces forwarded in ``direction`` (on connection ``conn``, or on all)."""
        return [p.data for p in self.crossed
                if p.direction == direction and (conn is None or p.conn == conn)]

    def clear(self) -> None:
        """Forget what crossed so far (the relay keeps running)."""
        self.crossed.clear()
        self.errors.clear()

    def table(self) -> str:
        """What crossed, as a plain text table (one row per piece)."""
        rows = [(p.conn, p.direction, len(p.data), show(p.data)) for p in self.crossed]
        return text_table(["conn", "dir", "bytes", "data"], rows)

    def busy(self) -> bool:
        """Whether a connection through the relay is still being forwarded."""
        return bool(self.background and self.background.tasks)

    async def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until every connection has finished (False if ``timeout`` s passed first).

        Useful before ``stop()``: stopping cancels connections still in progress.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.busy():
                    await asyncio.sleep(0.005)
        return not self.busy()

    async def stop(self) -> None:
        """Stop the relay and drop its connections."""
        await stop(self.name)

    async def _handle(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        self._conns += 1
        conn = self._conns
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError as exc:
            self.errors.append(exc)
            return  # background.serve closes the client's side
        try:
            async with asyncio.TaskGroup() as both:  # one fails: the other is cancelled
                both.create_task(
                    self._pump(conn, TO_SERVER, self.plan, client_reader, server_writer))
                both.create_task(
                    self._pump(conn, TO_CLIENT, self.reply, server_reader, client_writer))
        finally:
            await close_quietly(server_writer)

    async def _pump(self, conn: int, direction: str, plan: Plan,
                    reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer`` as ``plan`` says, until EOF; then pass the EOF on."""
        try:
            while True:
                batch = await self._batch(reader, plan)
                for piece in plan.cut(batch):
                    writer.write(piece)
                    at = asyncio.get_running_loop().time() - self.started
                    self.crossed.append(Piece(conn, direction, piece, at))
                    await writer.drain()
                    if plan.pause:
                        await asyncio.sleep(plan.pause)
                if reader.at_eof():
                    break
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
        except (ConnectionError, OSError) as exc:
            # The side we write to left abruptly: record it, and drop that connection.
            self.errors.append(exc)
            writer.transport.abort()

    @staticmethod
    async def _batch(reader: asyncio.StreamReader, plan: Plan) -> bytes:
        """The next bytes to forward: what is there, or collected as ``plan.coalesce`` says."""
        if plan.coalesce is True:
            return await reader.read()
        want = 1 if plan.coalesce is False else plan.coalesce
        data = bytearray()
        while len(data) < want:
            more = await reader.read(64 * 1024)
            if not more:
                break
            data += more
        return bytes(data)


async def start_relay(name: str, target: Sequence, *,
                      chunks: Sequence[int] | int | None = None,
                      pause: float | None = None, coalesce: bool | int = False,
                      reply: Plan | None = None, host: str = "127.0.0.1") -> Relay:
    """Start (or restart) the relay called ``name`` in front of ``target`` (host, port).

    ``chunks``, ``pause`` and ``coalesce`` say how client → server bytes are
    forwarded (see :class:`Plan`); ``pause`` defaults to ``DEFAULT_PAUSE`` when
    ``chunks`` is given, else 0. ``reply`` is the plan for server → client bytes
    (default: as they come). The relay is a ``helpers.background`` server: it
    listens on ``host``, a free port, and ``stop_all()`` stops it too.
    """
    if pause is None:
        pause = DEFAULT_PAUSE if chunks is not None else 0.0
    relay = Relay(name, (target[0], target[1]), Plan(chunks, pause, coalesce), reply or Plan(),
                  started=asyncio.get_running_loop().time())
    relay.background = await serve(name, relay._handle, host=host)
    return relay


# -- showing bytes ------------------------------------------------------------------------

def show(data: bytes) -> str:
    """Bytes as a short, readable ``repr`` (``b'hi\\n'``)."""
    return repr(bytes(data))


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain, aligned text table (numbers right-aligned), for printing in a notebook."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], int) for row in rows) and bool(rows)
               for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(row, widths, numeric, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


@contextlib.asynccontextmanager
async def relayed(name: str, target, **kwargs):
    """``async with relayed("r", addr, chunks=[1]) as relay:``, stopped on exit."""
    relay = await start_relay(name, target, **kwargs)
    try:
        yield relay
    finally:
        await relay.stop()
