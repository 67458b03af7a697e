"""Chat clients on real sockets for the chat tests: connect, say, read lines with a limit."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

from helpers.background import close_quietly
from helpers.chat import ChatServer, Settings
from helpers.script_server import Connections, shut_down

WAIT = 2.0  # seconds: the longest any single line may take to arrive
_opened: list[Person] = []  # closed when the test's chat_server ends


class Person:
    """One chat client; ``lines()`` reads what arrives, each within ``WAIT`` s."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        _opened.append(self)

    @classmethod
    async def connect(cls, address, nick: str | None = None, *, rcvbuf: int | None = None,
                      limit: int = 2**20) -> Person:
        """Connect and read the greeting; with ``nick``, join and read the hello."""
        sock = None
        if rcvbuf is not None:  # a small receive window: a client that stops reading fills it
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect(address)
            reader, writer = await asyncio.open_connection(sock=sock, limit=limit)
        else:
            reader, writer = await asyncio.open_connection(*address, limit=limit)
        person = cls(reader, writer)
        greeting = await person.line()
        assert greeting == "* welcome! send your nickname", greeting
        if nick is not None:
            await person.say(nick)
            hello = await person.line()
            assert hello.startswith(f"* hello {nick}! here: "), hello
        return person

    async def say(self, text: str | bytes) -> None:
        data = text if isinstance(text, bytes) else f"{text}\n".encode()
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, wait: float = WAIT) -> str:
        """The next line, without its newline; "" at end of file."""
        async with asyncio.timeout(wait):
            data = await self.reader.readline()
        return data.decode().removesuffix("\n")

    async def rest(self, wait: float = WAIT) -> list[str]:
        """Every line until the server closes the connection."""
        lines = []
        while line := await self.line(wait):
            lines.append(line)
        return lines

    async def nothing_more(self, wait: float = 0.1) -> bool:
        """True if no line arrives within ``wait`` s."""
        try:
            await self.line(wait)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        await close_quietly(self.writer)


@contextlib.asynccontextmanager
async def chat_server(**settings) -> AsyncIterator[tuple[ChatServer, tuple[str, int]]]:
    """The chat server on 127.0.0.1 (a free port), shut down as the script does."""
    chat = ChatServer(Settings(**settings))
    connections = Connections(chat.handle)
    server = await asyncio.start_server(connections.connected, "127.0.0.1", 0,
                                        limit=chat.settings.max_line)
    try:
        yield chat, server.sockets[0].getsockname()[:2]
    finally:
        await shut_down(server, connections, before_close=chat.room.shut_down)
        while _opened:
            await _opened.pop().close()


