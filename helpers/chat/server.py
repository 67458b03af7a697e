"""The chat server's handler: one coroutine per connection, reading that client's lines.

    chat = ChatServer(Settings(idle_timeout=60))
    await asyncio.start_server(chat.handle, "127.0.0.1", 0, limit=chat.settings.max_line)

``limit=`` makes ``readline()`` refuse a longer line (``ValueError``): pass it, or
``max_line`` is not enforced. The writing is done by each client's sender
(``helpers.chat.room``); this side only reads, and decides.
"""

from __future__ import annotations

import asyncio
import contextlib

from helpers.chat.protocol import (
    BYE,
    FULL,
    GRACE,
    NOT_UTF8,
    Settings,
    notice,
    said,
    text_of,
    too_long,
    too_quiet,
    unknown,
)
from helpers.chat.room import Client, Room
from helpers.deadlines import close_within

VANISHED = (None, "left (connection lost)")  # (the last line to the client, what the others hear)


class ChatServer:
    """A room and the handler that lets clients into it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.room = Room(self.settings)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """``start_server``'s handler: admit, converse, and always leave the room tidy."""
        if self.room.is_full():  # never admitted: one line, then close
            writer.write(notice(FULL))
            with contextlib.suppress(TimeoutError, OSError):
                writer.write_eof()  # "that was all": a polite client closes now
                async with asyncio.timeout(GRACE):
                    while await reader.read(64 * 1024):  # unread bytes would make a reset
                        pass
            await close_within(writer, GRACE)
            return
        client = self.room.enter(writer)
        last, why = VANISHED
        try:
            last, why = await self.converse(client, reader)
        except ConnectionError:  # a reset: the same as leaving without a word
            pass
        finally:  # also when cancelled: the others hear of it, the connection is closed
            self.room.exit(client, why)
            client.leave(last)
            await client.finished(reader)

    async def converse(self, client: Client,
                       reader: asyncio.StreamReader) -> tuple[str | None, str]:
        """Read lines until the client leaves; return its last line and what the others hear."""
        room, settings = self.room, self.settings
        while True:
            try:
                async with asyncio.timeout(settings.idle_timeout):
                    line = await reader.readline()
            except TimeoutError:
                assert settings.idle_timeout is not None  # only a limit runs out
                return too_quiet(settings.idle_timeout), "was disconnected (silent too long)"
            except ValueError:  # longer than the reader's limit
                return too_long(settings.max_line), "was disconnected (line too long)"
            if not line.endswith(b"\n"):  # end of file, perhaps in the middle of a line
                return VANISHED
            try:
                text = text_of(line)
            except UnicodeDecodeError:
                return NOT_UTF8, "was disconnected (not UTF-8)"
            if text == "/quit":  # with a nickname or not yet
                return BYE, "left"
            if client.nick is None:
                problem = room.join(client, text)
                if problem is not None:
                    room.tell(client, notice(problem))
            elif text == "/who":
                room.tell(client, notice(room.who()))
            elif text.startswith("/"):
                room.tell(client, notice(unknown(text.split()[0])))
            elif text:  # an empty line says nothing: nobody gets it
                room.broadcast(said(client.nick, text), but=client)
