"""Notebook 08's exercise, solved: one deadline for a whole request, no connection left open."""

import asyncio

from helpers.deadlines import close_within


async def fetch(host: str, port: int, request: bytes, timeout: float) -> bytes:
    """Send ``request``, say EOF, read the reply to EOF: all within ``timeout`` s."""
    async with asyncio.timeout(timeout):  # ONE deadline: connecting, sending, reading
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(request)
            writer.write_eof()  # "that is all": the server answers, then closes
            await writer.drain()
            return await reader.read()  # the whole reply, up to the server's EOF
        finally:
            # Runs on success, on TimeoutError and on cancellation alike. No except:
            # TimeoutError and CancelledError both go on to the caller.
            await close_within(writer, 1.0)
