"""Check for notebook 04's exercise: an `async def send_all(writer, chunks)` that drains.

``check(send_all)`` connects to a slow reader (``helpers.flow.slow_peer``), calls
``await send_all(writer, chunks)`` with 32 chunks of 16 KiB, and watches the
writer's transport buffer after every ``write()`` / ``writelines()``. It passes
when the buffer never went past the high-water mark by more than one chunk and
the reader got every byte, in order. It prints one line and returns a bool; it
never raises what the learner's code raised.
"""

from __future__ import annotations

import asyncio
import inspect

from helpers.exercises.attempt import attempt, not_yet
from helpers.flow import KiB, slow_peer

CHUNK = 16 * KiB
COUNT = 32


class WatchedWriter:
    """Behaves like the ``StreamWriter`` it wraps; remembers the fullest write buffer seen."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.peak = 0
        self.writes = 0

    def __getattr__(self, name):
        return getattr(self._writer, name)

    def _note(self) -> None:
        self.writes += 1
        self.peak = max(self.peak, self._writer.transport.get_write_buffer_size())

    def write(self, data) -> None:
        self._writer.write(data)
        self._note()

    def writelines(self, data) -> None:
        self._writer.writelines(data)
        self._note()


async def check(send_all, *, count: int = COUNT, chunk: int = CHUNK,
                timeout: float = 5.0) -> bool:
    """Run ``send_all`` against a slow reader; print ✓ or ✗ with the reason; return the verdict."""
    if not inspect.iscoroutinefunction(send_all):
        return not_yet("send_all must be a coroutine function (async def): "
                       "it has to await writer.drain()")
    chunks = [bytes([65 + i % 26]) * chunk for i in range(count)]
    expected = b"".join(chunks)
    async with slow_peer(keep=True) as peer:
        watched = WatchedWriter(peer.writer)
        low, high = peer.writer.transport.get_write_buffer_limits()
        _, problem = await attempt(
            send_all, watched, chunks, name="send_all", timeout=timeout,
            stub="send_all raised NotImplementedError: write its body first",
            on_timeout=f"send_all did not finish within {timeout:g} s")
        if problem is not None:
            return not_yet(problem)
        if watched.writes == 0:
            return not_yet("send_all never called writer.write()")
        if watched.peak > high + chunk:
            return not_yet(f"the write buffer grew far past the high-water mark "
                           f"({high // KiB} KiB): await writer.drain() after each write()")
        try:
            await peer.finish(timeout)
        except TimeoutError:
            return not_yet(f"the reader did not get everything within {timeout:g} s")
        got = bytes(peer.data)
    if got != expected:
        if len(got) != len(expected):
            return not_yet(f"the reader got {len(got) // KiB} KiB of "
                           f"{len(expected) // KiB} KiB: send every chunk, once")
        return not_yet("the reader got the right number of bytes but not the chunks "
                       "in order")
    print(f"✓ send_all sent {len(expected) // KiB} KiB in {count} chunks and the write "
          f"buffer never went past the high-water mark ({high // KiB} KiB) "
          f"by more than one chunk")
    return True
