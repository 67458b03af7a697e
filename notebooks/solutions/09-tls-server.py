"""Notebook 09's exercise, solved: a STARTTLS client that verifies and refuses injected text."""

import asyncio
import ssl

from helpers.background import close_quietly
from helpers.starttls import read_line, take_buffered


async def secure_greeting(host: str, port: int, ctx: ssl.SSLContext) -> str:
    """Upgrade to TLS with STARTTLS; return the server's first line over TLS."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await read_line(reader)  # WELCOME say STARTTLS
        writer.write(b"STARTTLS\n")
        if (answer := await read_line(reader)) != "GO AHEAD":
            raise ConnectionError(f"the server did not agree to STARTTLS: {answer!r}")
        # Anything still buffered arrived in plain text, after GO AHEAD: refuse it.
        if extra := await take_buffered(reader):
            raise ConnectionError(f"{len(extra)} bytes of plain text before the handshake")
        await writer.start_tls(ctx, server_hostname=host)  # verifies chain and name
        return await read_line(reader)
    finally:
        await close_quietly(writer)
