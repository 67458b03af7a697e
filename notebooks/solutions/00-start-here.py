"""Reference solution for 00-start-here's exercise (loaded with %run)."""

import asyncio

from helpers.echo import echo_once


async def nap_then_echo(message, address):
    """Pretend to be slow for 0.3 s, then return the echo server's reply."""
    await asyncio.sleep(0.3)  # non-blocking: the loop runs other tasks meanwhile
    return await echo_once(message, *address)
