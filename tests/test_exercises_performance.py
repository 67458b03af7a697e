"""helpers.exercises.performance: the reference solution passes, wrong answers fail.

The speed test compares two handlers measured in the same run; no test asserts a time.
"""

from __future__ import annotations

import asyncio
import re

from helpers.exercises import performance
from helpers.exercises.performance import check, slow_echo
from tests.exercise_support import not_yet, passes, solution

fast_echo = solution("10-performance", "fast_echo")


def test_the_reference_solution_passes():
    assert passes(check, fast_echo) == (
        "✓ fast_echo answers at once, echoes every byte, closes at EOF, keeps its buffer"
        " small, and is at least 10× faster than slow_echo, measured just now")
    assert performance.last_ratio >= 10


def test_slow_echo_itself_is_not_faster():
    reason = not_yet(check, slow_echo)
    assert re.fullmatch(r"slow_echo is \d+\.\d× as fast as slow_echo, measured just now;"
                        r" make it at least 10× faster", reason), reason


def test_the_stub_and_a_plain_function_fail():
    async def stub(reader, writer):
        raise NotImplementedError("your code here")

    def plain(reader, writer):
        pass

    assert not_yet(check, stub) == "stub still raises NotImplementedError: write its body"
    assert not_yet(check, plain) == ("plain must be a coroutine function (async def), as"
                                     " start_server handlers are")


def test_reading_to_eof_before_echoing_fails():
    """Fast on a bulk transfer, but an interactive client never gets its answer."""
    async def all_at_the_end(reader, writer):
        writer.write(await reader.read())
        await writer.drain()
        writer.close()

    assert not_yet(check, all_at_the_end) == (
        "all_at_the_end sent nothing back for b'ping\\n' within 1 s while the client waited"
        " for it: echo what arrives as it arrives, not at the end")


def test_never_closing_after_eof_fails():
    async def stays_open(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        await asyncio.sleep(3600)

    assert not_yet(check, stays_open) == (
        "stays_open echoed every byte but did not close the connection after the client's"
        " EOF: when read() returns b'', close the writer")


def test_waiting_for_whole_chunks_fails():
    async def whole_chunks_only(reader, writer):
        while True:
            data = await reader.readexactly(65536)  # waits for 64 KiB; the tail raises
            writer.write(data)
            await writer.drain()

    assert not_yet(check, whole_chunks_only) == (
        "whole_chunks_only sent nothing back for b'ping\\n' within 1 s while the client"
        " waited for it: echo what arrives as it arrives, not at the end")


def test_losing_the_tail_fails():
    async def stops_at_a_short_read(reader, writer):
        while True:
            data = await reader.read(65536)
            writer.write(data)
            await writer.drain()
            if len(data) < 65536:  # "that must have been the last piece": not so
                break
        writer.close()

    reason = not_yet(check, stops_at_a_short_read)
    assert re.fullmatch(r"stops_at_a_short_read echoed [\d,]+ bytes for 1,000,003 sent",
                        reason), reason


def test_changing_the_bytes_fails():
    async def shouts(reader, writer):
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    assert not_yet(check, shouts) == "shouts answered b'ping\\n' with b'PING\\n'"

    async def as_ascii_text(reader, writer):
        while data := await reader.read(65536):
            writer.write(data.decode("ascii", "replace").encode("ascii", "replace"))
            await writer.drain()
        writer.close()

    assert not_yet(check, as_ascii_text) == (
        "as_ascii_text's echo differs from what was sent, from byte 128 on")

    async def as_utf8_text(reader, writer):
        while data := await reader.read(65536):
            writer.write(data.decode("utf-8", "replace").encode())
            await writer.drain()
        writer.close()

    reason = not_yet(check, as_utf8_text)
    assert re.fullmatch(r"as_utf8_text echoed [\d,]+ bytes for 1,000,003 sent", reason), reason


def test_fast_without_drain_fails():
    """As fast as the solution while the client reads; piles up megabytes when it does not."""
    async def never_drains(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
        writer.close()

    assert not_yet(check, never_drains) == (
        "never_drains's write buffer grew past 512 KiB while the client was not reading:"
        " await writer.drain() after each write, so it waits instead of piling up what it"
        " reads")


def test_bigger_reads_with_sleeps_are_not_fast_enough():
    """Right in every way but speed: a pause per read keeps it near slow_echo's pace."""
    async def naps(reader, writer):
        while data := await reader.read(100):
            writer.write(data)
            await writer.drain()
            await asyncio.sleep(0)
        writer.close()

    reason = not_yet(check, naps)
    assert re.fullmatch(r"naps is \d+\.\d× as fast as slow_echo, measured just now;"
                        r" make it at least 10× faster", reason), reason


def test_the_fast_handler_is_timed_more_often_while_its_runs_are_short():
    """A 1 ms run is easily slowed by a busy moment: the check keeps timing within a budget."""
    from helpers import serve, stop_all

    connections = []

    async def counted_echo(reader, writer):
        connections.append(1)
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main():
        try:
            srv = await serve("_test_counted_echo", counted_echo)
            best = await performance._best_time(srv, b"x" * 1000, 2, budget=0.05, most=12)
        finally:
            await stop_all()
        return best

    best = asyncio.run(main())
    assert best > 0
    assert 2 < len(connections) <= 12  # more than the two runs asked for, never past most


def test_returning_without_closing_fails():
    """Fast and right, but it leaves closing the connection to someone else."""
    async def never_closes(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    assert not_yet(check, never_closes) == (
        "never_closes echoed every byte but returned without closing the connection: when"
        " read() returns b'', close the writer (asyncio before 3.13 leaves the connection open)")
