"""helpers.widgets.read_size.ReadSizeLab against its own echo server on 127.0.0.1.

Only what the lab says and moves is checked, never how fast: figures on a shared machine
vary too much for that.
"""

from __future__ import annotations

import asyncio
import re
import socket

from helpers import background
from helpers.background import stop_all
from helpers.widgets.read_size import NAME, SIZES, ReadSizeLab, echo_rate, echo_reading

LINE = re.compile(r"#(\d+) ✓ read\((\d+)\): 1 MiB echoed at [\d,]+ MB/s(.*)")


def test_a_press_measures_the_chosen_size_and_the_seed_in_the_same_moment():
    async def main():
        lab = ReadSizeLab()
        try:
            fast = await lab.measure(65536)
            seed = await lab.measure(100)
            srv = background.get(NAME)
            assert await srv.wait_idle(1), "the lab left a connection open"
            assert srv.errors == []
        finally:
            await stop_all()
        return lab, fast, seed
    lab, fast, seed = asyncio.run(main())
    assert fast.rate > 0 and fast.seed_rate > 0 and fast.error is None
    assert re.fullmatch(r"✓ read\(65536\): 1 MiB echoed at [\d,]+ MB/s, \d+× the seed's"
                        r" read\(100\) \([\d,]+ MB/s just now\)", str(fast)), str(fast)
    assert seed.seed_rate is None  # measured once, not twice
    assert str(seed).endswith("(the seed's own loop)")
    assert LINE.fullmatch(lab.result.value).group(1, 2) == ("2", "100")
    assert lab.size.value == 100 and lab.measurements == [fast, seed]


def test_every_size_in_the_dropdown_echoes_the_whole_payload():
    async def main():
        srv = await background.serve(NAME, echo_reading)
        payload = bytes(range(256)) * 1000 + b"tail"
        try:
            for _, size in SIZES:
                assert await asyncio.to_thread(echo_rate, srv.port, size, payload) > 0
        finally:
            await stop_all()
    asyncio.run(main())


def test_a_bad_read_size_is_refused_with_a_sentence():
    async def main():
        lab = ReadSizeLab()
        try:
            await lab.measure(100)  # starts the server
            srv = background.get(NAME)
            answers = []
            for bad in (b"0\n", b"lots\n", b"99999999\n"):
                reader, writer = await asyncio.open_connection(*srv.address)
                writer.write(bad)
                answers.append(await reader.read())
                writer.close()
                await writer.wait_closed()
            return answers
        finally:
            await stop_all()
    assert asyncio.run(main()) == [b"a read size from 1 to 1048576, please\n"] * 3


def test_it_starts_its_server_again_after_stop_all():
    async def main():
        lab = ReadSizeLab()
        try:
            first = await lab.measure(4096)
            assert await stop_all() == [NAME]
            again = await lab.measure(4096)  # what a click after the clean-up cell does
        finally:
            await stop_all()
        return first, again
    first, again = asyncio.run(main())
    assert str(first).startswith("✓") and str(again).startswith("✓")


def test_clicking_measure_starts_a_task_that_the_widget_keeps():
    async def main():
        lab = ReadSizeLab(size=1024)
        try:
            lab.button.click()
            assert len(lab.pending) == 1  # kept, so it cannot be garbage-collected
            (task,) = lab.pending
            await task
            assert lab.pending == set()
        finally:
            await stop_all()
        return lab
    lab = asyncio.run(main())
    assert LINE.fullmatch(lab.result.value).group(1, 2) == ("1", "1024")


def test_a_server_that_is_gone_is_a_line_not_an_exception():
    async def main():
        lab = ReadSizeLab()
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = taken.getsockname()[1]
        srv = await background.serve(NAME, lambda r, w: None)
        srv.address = ("127.0.0.1", port)  # nothing listens there any more
        try:
            return await lab.measure(65536)
        finally:
            await stop_all()
    measurement = asyncio.run(main())
    assert str(measurement) == "✗ connection refused (is the server running, on that port?)"
