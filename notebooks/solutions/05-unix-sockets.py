"""Reference solution for 05-unix-sockets' exercise (loaded with %run)."""

import asyncio
import os
import stat


async def probe(path):
    """What is at ``path``: "missing", "not a socket", "stale" or "listening"."""
    try:
        mode = os.stat(path).st_mode  # path-like: str and pathlib.Path both work
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISSOCK(mode):  # ls -l shows a socket file with type "s"
        return "not a socket"
    try:
        async with asyncio.timeout(2):
            reader, writer = await asyncio.open_unix_connection(path)
    except ConnectionRefusedError:  # a socket file, but no server behind it
        return "stale"
    writer.close()  # we only wanted to know: hang up at once
    await writer.wait_closed()
    return "listening"
