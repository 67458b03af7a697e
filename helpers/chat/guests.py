"""Test clients for notebook 13: they connect, talk and listen, so the lesson can be the server.

    reader, writer = await join(address, "alice")   # connect and send a nickname
    print(await heard(reader))                      # the lines that arrived, until a pause
    writer = await slow_member(address)             # joins, then never reads again
    await leave_all()                               # close every connection opened here

``heard`` stops when no line comes for ``quiet`` seconds: a notebook shows what a person
would have seen on screen. Tests of the server wait for exact lines instead
(``tests/chat_support.py``).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, cast

from helpers.background import close_quietly

opened: list[asyncio.StreamWriter] = []  # every connection these helpers opened


async def join(address: Any, nick: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``address`` (host, port) and send ``nick`` as the first line."""
    reader, writer = await asyncio.open_connection(*address)
    opened.append(writer)
    writer.write(f"{nick}\n".encode())
    return reader, writer


async def heard(reader: asyncio.StreamReader, quiet: float = 0.15) -> list[str]:
    """The lines that arrive until none comes for ``quiet`` s; then "(closed)" or "(reset)"."""
    lines: list[str] = []
    while True:
        try:
            async with asyncio.timeout(quiet):
                line = await reader.readline()
        except TimeoutError:
            return lines
        except ConnectionError:
            return [*lines, "(reset)"]
        if not line:
            return [*lines, "(closed)"]
        lines.append(line.decode(errors="backslashreplace").rstrip("\n"))


async def slow_member(address: Any, nick: str = "slow") -> asyncio.StreamWriter:
    """A client with a small receive buffer that joins, then never reads again."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)  # connect() without blocking the loop
    except BaseException:
        sock.close()
        raise
    _, writer = await asyncio.open_connection(sock=sock)
    opened.append(writer)
    writer.write(f"{nick}\n".encode())
    cast(asyncio.Transport, writer.transport).pause_reading()  # its buffers fill up
    return writer


async def leave_all() -> None:
    """Close every connection opened here (a peer that already left is fine)."""
    while opened:
        await close_quietly(opened.pop(), 0.2)
