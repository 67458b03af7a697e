"""Notebook 04's exercise, solved: a writer that respects backpressure."""


async def send_all(writer, chunks):
    """Write every chunk; after each one, wait while the reader falls behind."""
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()  # waits only while the buffer is above the high-water mark
