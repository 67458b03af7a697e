"""Notebook 10's exercise, solved: slow_echo's loop with 64 KiB reads."""


async def fast_echo(reader, writer):
    """Echo whatever has arrived, up to 64 KiB at a time; drain; close at EOF."""
    while data := await reader.read(64 * 1024):
        writer.write(data)
        await writer.drain()  # the client reads slower than we write: wait, don't pile up
    writer.close()
    await writer.wait_closed()
