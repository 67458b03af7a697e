"""Reference solution for 01-echo-client's exercise (loaded with %run)."""

import asyncio


async def echo_all(host: str, port: int, messages: list[str]) -> list[str]:
    """Send each message over ONE connection and return the echoes, in order."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        echoes = []
        for message in messages:
            data = message.encode()  # str -> bytes: the wire carries bytes
            writer.write(data)
            await writer.drain()
            # The echo may come back in pieces (the server echoes 100 bytes at
            # a time), so read exactly as many BYTES as we sent, not read(100).
            echo = await reader.readexactly(len(data))
            echoes.append(echo.decode())
        return echoes
    finally:
        writer.close()
        await writer.wait_closed()
