"""Check for notebook 04's exercise: an `async def send_all(writer, chunks)` that drains.

``check(send_all)`` connects to a slow reader (``helpers.flow.slow_peer``), calls
``await send_all(writer, chunks)`` with 32 chunks of 16 KiB, and watches the
writer's transport buffer after every ``write()`` / ``writelines()``. It passes
when the buffer never went past the high-water mark by more than one chunk and
the reader got every byte, in order. It prints one line and returns a bool; it
never raises what the learner's code raised.

A writer that merely paces itself (``asyncio.sleep`` between writes) keeps up with
a reader that keeps up, and so proves nothing. So the reader starts out much slower
(about 40 KiB/s), and speeds up only a quarter of a second after the buffer first
went past the high-water mark: a writer that drains waits there; one that does not
keeps writing, and its buffer shows it.
"""

from __future__ import annotations

import asyncio

from helpers.exercises.contract import Exercise, NotYet, Trial
from helpers.flow import PAUSE, KiB, slow_peer

CHUNK = 16 * KiB
COUNT = 32
SLOW_PAUSE = 0.1  # the reader's pause per 4 KiB read at first: about 40 KiB/s
HOLD = 0.25  # seconds the reader stays slow once the buffer went past the high-water mark
SLOW_AT_MOST = 2.0  # seconds: after this the reader speeds up whatever happened
HINTS = [
    "write() only queues the bytes in the transport's buffer and returns at once;"
    " `await writer.drain()` is what waits while that buffer is above the high-water mark.",
    "After each writer.write(chunk), `await writer.drain()`. Sleeping between writes is no"
    " substitute: it cannot know how fast the reader reads.",
]


class WatchedWriter:
    """Behaves like the ``StreamWriter`` it wraps; remembers the fullest write buffer seen."""

    def __init__(self, writer: asyncio.StreamWriter, high: int) -> None:
        self._writer = writer
        self._high = high
        self.peak = 0
        self.writes = 0
        self.full_at: float | None = None  # when the buffer first went past ``high``

    def __getattr__(self, name):
        return getattr(self._writer, name)

    def _note(self) -> None:
        self.writes += 1
        size = self._writer.transport.get_write_buffer_size()
        self.peak = max(self.peak, size)
        if size > self._high and self.full_at is None:
            self.full_at = asyncio.get_running_loop().time()

    def write(self, data) -> None:
        self._writer.write(data)
        self._note()

    def writelines(self, data) -> None:
        self._writer.writelines(data)
        self._note()


async def _speed_up_later(peer, watched: WatchedWriter) -> None:
    """Keep the reader slow until ``HOLD`` s after the buffer filled (at most ``SLOW_AT_MOST``)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < SLOW_AT_MOST:
        if watched.full_at is not None and loop.time() - watched.full_at >= HOLD:
            break
        await asyncio.sleep(0.01)
    peer.pause = PAUSE


async def _run(trial: Trial, send_all, *, count: int = COUNT, chunk: int = CHUNK,
               timeout: float = 5.0) -> str:
    """Run ``send_all`` against a slow reader; print ✓ or ✗ with the reason; return the verdict."""
    chunks = [bytes([65 + i % 26]) * chunk for i in range(count)]
    expected = b"".join(chunks)
    peer = await trial.enter_async(slow_peer(keep=True, pause=SLOW_PAUSE))
    low, high = peer.writer.transport.get_write_buffer_limits()
    watched = WatchedWriter(peer.writer, high)
    trial.task(_speed_up_later(peer, watched))
    await trial.call(send_all, watched, chunks, name="send_all", timeout=timeout,
                     stub="send_all raised NotImplementedError: write its body first",
                     on_timeout=f"send_all did not finish within {timeout:g} s")
    if watched.writes == 0:
        raise NotYet("send_all never called writer.write()")
    if watched.peak > high + chunk:
        raise NotYet(f"the write buffer grew far past the high-water mark ({high // KiB} KiB)"
                     " while the reader was slow: await writer.drain() after each write()")
    try:
        await peer.finish(timeout)
    except TimeoutError:
        raise NotYet(f"the reader did not get everything within {timeout:g} s") from None
    got = bytes(peer.data)
    if got != expected:
        if len(got) != len(expected):
            raise NotYet(f"the reader got {len(got) // KiB} KiB of {len(expected) // KiB} KiB:"
                         " send every chunk, once")
        raise NotYet("the reader got the right number of bytes but not the chunks in order")
    return (f"send_all sent {len(expected) // KiB} KiB in {count} chunks and the write buffer"
            f" never went past the high-water mark ({high // KiB} KiB) by more than one chunk,"
            " even while the reader was slow")


check = Exercise(_run, hints=HINTS, deadline=60)
hint = check.hint
