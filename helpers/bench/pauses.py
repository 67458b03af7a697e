"""Count how often a StreamReader pauses and resumes its transport, and how much it holds.

A ``StreamReader`` stops its transport reading (``transport.pause_reading()``) when its
buffer holds more than twice its ``limit`` and starts it again (``resume_reading()``) once
the buffer is back at ``limit`` or less: ``feed_data`` and ``_maybe_resume_transport`` in
``Lib/asyncio/streams.py``, the same in 3.11, 3.12 and 3.13. ``CountingReader`` hands the
reader a transport whose two methods count their calls, so the count is of what the reader
really did, on asyncio's loop and on uvloop's alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

from helpers.bench.sizes import DEFAULT_LIMIT


@dataclass
class PauseCount:
    """What the readers of one server did, summed over their connections."""

    pauses: int = 0  # pause_reading() calls
    resumes: int = 0  # resume_reading() calls
    received: int = 0  # bytes the transport handed to the readers
    feeds: int = 0  # how many pieces they came in (feed_data calls)
    peak: int = 0  # the most one reader's buffer held at once, in bytes

    def since(self, before: PauseCount) -> PauseCount:
        """What happened between ``before`` and this count (the peak is this one's)."""
        return PauseCount(self.pauses - before.pauses, self.resumes - before.resumes,
                          self.received - before.received, self.feeds - before.feeds,
                          self.peak)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class CountedTransport:
    """Stands in for a transport where the reader uses it: counts pause/resume calls."""

    def __init__(self, transport: Any, count: PauseCount) -> None:
        self._transport = transport
        self._count = count

    def pause_reading(self) -> None:
        self._count.pauses += 1
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._count.resumes += 1
        self._transport.resume_reading()

    def __getattr__(self, name: str) -> Any:  # anything else: the real transport's
        return getattr(self._transport, name)


class CountingReader(asyncio.StreamReader):
    """A StreamReader that counts what it does to its transport and how much it holds."""

    def __init__(self, count: PauseCount, limit: int = DEFAULT_LIMIT,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(limit=limit, loop=loop)
        self.count = count

    def set_transport(self, transport: Any) -> None:
        super().set_transport(cast(asyncio.BaseTransport, CountedTransport(transport, self.count)))

    def feed_data(self, data: bytes) -> None:  # type: ignore[override]  # as the transport
        super().feed_data(data)
        self.count.received += len(data)
        self.count.feeds += 1
        held = len(self._buffer)  # type: ignore[attr-defined]  # no public way to ask
        if held > self.count.peak:
            self.count.peak = held


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def start_counting_server(handler: Handler, host: str, port: int, *, limit: int,
                                count: PauseCount, **kwargs: Any) -> asyncio.Server:
    """``asyncio.start_server(handler, host, port, limit=limit)``, with counting readers.

    Built as ``start_server`` builds its servers (a reader and a ``StreamReaderProtocol``
    per connection), so the two differ only in the counting.
    """
    loop = asyncio.get_running_loop()

    def factory() -> asyncio.StreamReaderProtocol:
        reader = CountingReader(count, limit=limit, loop=loop)
        return asyncio.StreamReaderProtocol(reader, handler, loop=loop)

    return await loop.create_server(factory, host, port, **kwargs)
