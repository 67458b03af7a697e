"""Three ways to cut a byte stream into messages ("framing"), as encode/read pairs.

TCP delivers bytes, not messages: one ``write`` may arrive as several reads and
several writes as one read. A *framing* is the rule both ends agree on to find
where a message ends. Each framing here is a pair:

* ``encode_*(message: bytes) -> bytes``: the bytes to write for one message;
* ``async read_*(reader: asyncio.StreamReader) -> bytes | None``: the next
  message, or ``None`` when the stream ends cleanly *between* messages.

Every reader raises ``asyncio.IncompleteReadError`` when the stream ends in the
middle of a message (its ``partial`` holds what had arrived), so a truncated
message is never mistaken for a whole one.

===================  ==========================  =========================================
framing              on the wire for ``b"hi"``   reads with
===================  ==========================  =========================================
newline-delimited    ``b"hi\\n"``                 ``readuntil(b"\\n")`` (or ``readline``)
length-prefixed      ``b"\\0\\0\\0\\x02hi"``        ``readexactly(4)`` then ``readexactly(n)``
separator-delimited  ``b"hi\\r\\n\\r\\n"``           ``readuntil(separator)``
===================  ==========================  =========================================

    reader, writer = await asyncio.open_connection(host, port)
    writer.write(encode_length_prefixed(b"hello"))
    message = await read_length_prefixed(reader)
"""

from __future__ import annotations

import asyncio
import struct
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

#: The length prefix: 4 bytes, unsigned, big-endian ("network byte order").
HEADER = struct.Struct("!I")
#: The largest message ``read_length_prefixed`` accepts unless told otherwise (1 MiB).
MAX_MESSAGE = 1024 * 1024
#: The separator of the separator-delimited framing: a blank line, as HTTP headers end.
SEPARATOR = b"\r\n\r\n"

Reader = Callable[[asyncio.StreamReader], Awaitable[bytes | None]]


# -- newline-delimited ---------------------------------------------------------------

def encode_line(message: bytes) -> bytes:
    """``message`` followed by ``b"\\n"``; a message may not contain ``b"\\n"`` itself."""
    if b"\n" in message:
        raise ValueError("a newline-delimited message cannot contain b'\\n'")
    return message + b"\n"


async def read_line(reader: asyncio.StreamReader) -> bytes | None:
    """The next line without its ``b"\\n"``; ``None`` at a clean end of stream.

    Uses ``readuntil`` rather than ``readline``: ``readline`` returns a last line
    that has no newline as if it were whole, which hides a truncated message.
    A line longer than the reader's ``limit`` raises ``asyncio.LimitOverrunError``
    and stays in the buffer.
    """
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    return line[:-1]


# -- length-prefixed -----------------------------------------------------------------

def encode_length_prefixed(message: bytes) -> bytes:
    """A 4-byte big-endian length, then the message: any bytes at all may be sent."""
    if len(message) > 0xFFFF_FFFF:
        raise ValueError(f"a message of {len(message)} bytes does not fit a 4-byte length")
    return HEADER.pack(len(message)) + message


async def read_length_prefixed(reader: asyncio.StreamReader,
                               max_size: int = MAX_MESSAGE) -> bytes | None:
    """The next message; ``None`` at a clean end of stream.

    ``readexactly`` waits until all the bytes asked for have arrived, however
    the network split them. A length over ``max_size`` raises ``ValueError``
    before anything is read: a peer must not make us allocate 4 GiB.
    """
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    (size,) = HEADER.unpack(header)
    if size > max_size:
        raise ValueError(f"a message of {size} bytes is over the limit of {max_size} bytes")
    return await reader.readexactly(size)


# -- separator-delimited -------------------------------------------------------------

def encode_delimited(message: bytes, separator: bytes = SEPARATOR) -> bytes:
    """``message`` followed by ``separator``.

    Refused when the separator would be found earlier than where it is put:
    inside the message, or straddling its end (``b"a\\r\\n"`` followed by
    ``b"\\r\\n\\r\\n"`` contains ``b"\\r\\n\\r\\n"`` one byte too early).
    """
    if not separator:
        raise ValueError("the separator must be at least one byte")
    framed = message + separator
    if framed.find(separator) != len(message):
        raise ValueError(f"message contains (or ends with part of) the separator {separator!r}")
    return framed


async def read_delimited(reader: asyncio.StreamReader,
                         separator: bytes = SEPARATOR) -> bytes | None:
    """The next message without its separator; ``None`` at a clean end of stream."""
    try:
        framed = await reader.readuntil(separator)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    return framed[: -len(separator)]


# -- all three, for tests and tables ---------------------------------------------------

@dataclass(frozen=True)
class Framing:
    """One framing: a name, its encoder and its reader."""

    name: str
    encode: Callable[[bytes], bytes]
    read: Reader

    def can_carry(self, message: bytes) -> bool:
        """Whether ``encode`` accepts ``message``."""
        try:
            self.encode(message)
        except ValueError:
            return False
        return True


FRAMINGS: dict[str, Framing] = {
    f.name: f
    for f in (
        Framing("newline", encode_line, read_line),
        Framing("length-prefixed", encode_length_prefixed, read_length_prefixed),
        Framing("separator", encode_delimited, read_delimited),
    )
}


async def read_all(reader: asyncio.StreamReader, read: Reader) -> list[bytes]:
    """Every message until a clean end of stream."""
    messages = []
    while (message := await read(reader)) is not None:
        messages.append(message)
    return messages


async def readuntil_any(reader: asyncio.StreamReader, separators: Sequence[bytes]) -> bytes:
    """``reader.readuntil(tuple(separators))``, also on Python before 3.13.

    Returns the shortest data that ends with any of the separators. Python 3.13
    added tuples of separators to ``readuntil``; before that this falls back to
    reading one byte at a time (slow, and the ``limit`` is not checked), which is
    fine for a demonstration and for short headers.
    """
    seps = tuple(separators)
    if not seps or not all(seps):
        raise ValueError("separators must be non-empty bytes")
    if sys.version_info >= (3, 13):
        return await reader.readuntil(seps)
    data = bytearray()
    while not data.endswith(seps):
        try:
            data += await reader.readexactly(1)
        except asyncio.IncompleteReadError:
            raise asyncio.IncompleteReadError(bytes(data), None) from None
    return bytes(data)
