"""Reference solution for 03-reading-and-framing: a length-prefixed message codec.

Loaded in the notebook with ``%run solutions/03-reading-and-framing.py``.
"""

import asyncio
import struct

HEADER = struct.Struct("!I")  # 4 bytes, unsigned, big-endian ("network byte order")


def encode_message(message: bytes) -> bytes:
    """The message's length in 4 bytes, then the message."""
    return HEADER.pack(len(message)) + message


async def read_message(reader: asyncio.StreamReader) -> bytes | None:
    """The next message; None if the stream ended cleanly between messages."""
    try:
        header = await reader.readexactly(HEADER.size)  # waits for all 4 bytes
    except asyncio.IncompleteReadError as exc:
        if exc.partial:  # the stream ended inside a header: a truncated message
            raise
        return None  # the stream ended before a new message: a clean end
    (size,) = HEADER.unpack(header)
    return await reader.readexactly(size)  # raises IncompleteReadError if cut short
