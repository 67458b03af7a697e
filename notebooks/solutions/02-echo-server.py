"""Reference solution for notebook 02's exercise: load it with %run solutions/02-echo-server.py."""

import asyncio


async def shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reply to each line with the same line upper-cased, until the client's EOF."""
    try:
        async for line in reader:  # one line per turn; the loop ends at EOF
            writer.write(line.upper())  # bytes.upper(): ASCII letters only, no decoding
            await writer.drain()
    except ConnectionError:
        pass  # a client that vanished is not an error of ours
    finally:
        writer.close()  # the client's read() to EOF can return
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
