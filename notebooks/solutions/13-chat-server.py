import asyncio


async def send_all(outbox: asyncio.Queue, writer: asyncio.StreamWriter) -> None:
    """One client's sender: write each line from the outbox, in order, until None."""
    try:
        while (line := await outbox.get()) is not None:
            writer.write(line)
            await writer.drain()  # a slow reader holds us back; the lines wait in the outbox
    finally:
        writer.close()
        await writer.wait_closed()
