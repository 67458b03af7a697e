"""Who is here, and getting a line to each of them without waiting for any of them.

Each connection is a ``Client`` with an **outbox**: a bounded ``asyncio.Queue`` of lines
that a task of its own, the *sender*, writes out with ``write()`` then ``drain()``.
Delivering a message never awaits: it is written at once to a client that keeps up, and
put in the outbox (``put_nowait``) of one that does not, so a client that reads slowly
makes only its own outbox grow. When its outbox is full (``QueueFull``), that client is
too slow: it is dropped, and the others never notice.

Notebook 13 builds this same code in its cells (its ``Client``, ``Room``, ``converse``
and ``serve_client``); tests/test_chat_notebook.py holds the two to the same answers.
"""

from __future__ import annotations

import asyncio
import contextlib

from helpers.chat.protocol import (
    GRACE,
    GREETING,
    SHUTDOWN,
    TOO_SLOW,
    Settings,
    nickname_problem,
    notice,
)
from helpers.deadlines import close_within

HIGH_WATER = 64 * 1024  # bytes: asyncio's default, where drain() starts to wait


class Client:
    """One connection: its nickname (None until it has one) and its bounded outbox."""

    def __init__(self, writer: asyncio.StreamWriter, limit: int) -> None:
        self.writer = writer
        self.nick: str | None = None
        self.leaving = False
        # At most ``limit`` lines wait for this client (0 would mean no bound at all).
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=limit)
        self.sender = asyncio.create_task(self._send_all())

    def send(self, data: bytes) -> bool:
        """Hand ``data`` on for this client; False if its outbox is full (it is too slow).

        Never waits. A client that keeps up (nothing queued, the transport's buffer below
        its high-water mark) gets it written at once; else it waits in the outbox.
        """
        if self.leaving or self.writer.transport.is_closing():
            return True  # on its way out: nothing more for it, and not its fault
        if self.outbox.empty() and self.writer.transport.get_write_buffer_size() < HIGH_WATER:
            self.writer.write(data)  # in order: everything before it is written already
            return True
        try:
            self.outbox.put_nowait(data)
        except asyncio.QueueFull:
            return False
        return True

    async def _send_all(self) -> None:
        """The sender: write the outbox out, line after line; at None, say "that was all"."""
        done = False
        try:
            while (data := await self.outbox.get()) is not None:
                self.writer.write(data)
                await self.writer.drain()  # waits for this client only
            self.writer.write_eof()  # the client closes its side; then ``finished`` closes ours
            done = True
        except OSError:  # a reset, or "not connected": it went away, its handler sees that too
            pass
        finally:
            if not done:  # dropped (too slow, or gone): close now, its handler sees the end
                await close_within(self.writer, GRACE)

    def leave(self, last: str | None = None) -> None:
        """Say ``last`` after what is queued, then close; with a full outbox, say it at once."""
        if self.leaving:
            return
        self.leaving = True
        room = self.outbox.maxsize - self.outbox.qsize()
        if self.outbox.maxsize == 0 or room >= 2:  # room for the last line and the end
            if last:
                self.outbox.put_nowait(notice(last))
            self.outbox.put_nowait(None)
            return
        self.sender.cancel()  # stuck in drain(): what waits in the outbox is dropped
        if last and not self.writer.transport.is_closing():
            self.writer.write(notice(last))  # after what the transport holds already

    async def finished(self, reader: asyncio.StreamReader, grace: float = GRACE) -> None:
        """Let the last lines go out, let the client close its side, then close ours.

        Each wait lasts at most ``grace`` seconds. While the client has not closed, what it
        still sends is read and dropped: closing a socket that holds unread bytes sends a
        reset (RST), and a reset can destroy our last line before the client has read it.
        """
        await asyncio.wait([self.sender], timeout=grace)
        if not self.sender.done():  # a client that does not read its last lines
            self.sender.cancel()
            await asyncio.wait([self.sender])
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(grace):
                while await reader.read(64 * 1024):
                    pass
        await close_within(self.writer, grace)


class Room:
    """Everyone connected (``clients``) and everyone with a nickname (``members``)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clients: set[Client] = set()
        self.members: dict[str, Client] = {}  # by nickname, in the order they joined

    def is_full(self) -> bool:
        return len(self.clients) >= self.settings.max_clients

    def enter(self, writer: asyncio.StreamWriter) -> Client:
        """A new connection: greet it and ask for a nickname."""
        client = Client(writer, self.settings.queue)
        self.clients.add(client)
        client.send(GREETING)
        return client

    def join(self, client: Client, nick: str) -> str | None:
        """Give ``client`` its nickname and tell the others; or say why not."""
        problem = nickname_problem(nick, nick in self.members)
        if problem is not None:
            return problem
        client.nick = nick
        self.broadcast(notice(f"{nick} joined"))  # before adding: the others only
        self.members[nick] = client
        self.tell(client, notice(f"hello {nick}! {self.who()}"))
        return None

    def who(self) -> str:
        return "here: " + ", ".join(self.members)

    def tell(self, client: Client, data: bytes) -> None:
        """A line for one client (an answer to /who, say)."""
        if not client.send(data):
            self.drop_slow([client])

    def broadcast(self, data: bytes, but: Client | None = None) -> None:
        """Put ``data`` in every member's outbox but ``but``'s; never waits."""
        slow = [member for member in self.members.values()
                if member is not but and not member.send(data)]
        self.drop_slow(slow)

    def drop_slow(self, slow: list[Client]) -> None:
        for client in slow:
            client.leave(TOO_SLOW)  # its outbox is full: said at once, the rest dropped
        for client in slow:
            self.exit(client, "was disconnected (too slow)")

    def exit(self, client: Client, why: str = "left (connection lost)") -> None:
        """``client`` is gone (or going): forget it and tell the others, once."""
        self.clients.discard(client)
        if client.nick is not None and self.members.get(client.nick) is client:
            del self.members[client.nick]
            self.broadcast(notice(f"{client.nick} {why}"))

    async def shut_down(self, grace: float = GRACE) -> None:
        """Tell every client the server is shutting down; wait (a little) for it to arrive."""
        clients = list(self.clients)
        for client in clients:
            client.leave(SHUTDOWN)
        if clients:
            await asyncio.wait([client.sender for client in clients], timeout=grace)
