"""helpers.flow: the backpressure experiment measures what it claims, and cleans up."""

import asyncio

import matplotlib
import pytest

from helpers.flow import CHUNK, KiB, Run, compare, measure, plot, slow_peer

matplotlib.use("Agg")

TOTAL = 512 * KiB


def test_without_drain_the_buffer_holds_most_of_the_payload():
    run = asyncio.run(measure(False, total=TOTAL))
    assert (run.low, run.high) == (16 * KiB, 64 * KiB)  # the selector transport's defaults
    # The writer adds 16 KiB per loop step, the reader takes at most 4 KiB: however
    # slow the machine, most of the payload waits in the transport's buffer.
    assert run.peak > TOTAL // 2
    assert run.peak > 4 * run.high
    assert run.received == TOTAL
    assert run.samples[-1][1] == 0  # everything left the buffer in the end


def test_with_drain_the_buffer_stays_within_a_chunk_of_the_high_water_mark():
    run = asyncio.run(measure(True, total=TOTAL))
    assert run.peak <= run.high + CHUNK
    assert run.peak > run.high  # the writer really was held back (paused), not just lucky
    assert run.received == TOTAL
    assert run.samples[-1][1] == 0


def test_the_peak_without_drain_grows_with_the_amount_written():
    small = asyncio.run(measure(False, total=128 * KiB))
    large = asyncio.run(measure(False, total=TOTAL))
    assert large.peak > small.peak + 2 * large.high


def test_custom_water_marks_are_applied_and_respected():
    chunk = 8 * KiB
    run = asyncio.run(measure(True, total=256 * KiB, chunk=chunk, high=24 * KiB))
    assert (run.low, run.high) == (6 * KiB, 24 * KiB)  # low defaults to high // 4
    assert run.peak <= run.high + chunk
    assert run.received == 256 * KiB


def test_compare_returns_both_runs_in_order():
    without, with_ = asyncio.run(compare(total=256 * KiB))
    assert (without.drain, with_.drain) == (False, True)
    assert without.peak > with_.peak
    assert "without drain()" in str(without) and "with drain()" in str(with_)
    times = [t for t, _ in with_.samples]
    assert times == sorted(times) and times[0] == 0.0


def test_measure_rejects_empty_sizes():
    with pytest.raises(ValueError):
        asyncio.run(measure(True, total=0))
    with pytest.raises(ValueError):
        asyncio.run(measure(True, chunk=0))


def test_slow_peer_keeps_bytes_in_order_and_reports_eof():
    async def main():
        async with slow_peer(keep=True) as peer:
            for i in range(10):
                peer.writer.write(bytes([i]) * 3000)
                await peer.writer.drain()
            received = await peer.finish()
            return received, bytes(peer.data)

    received, data = asyncio.run(main())
    assert received == 30000
    assert data == b"".join(bytes([i]) * 3000 for i in range(10))


def test_slow_peer_cleans_up_when_the_body_fails():
    async def main():
        async with slow_peer() as peer:
            peer.writer.write(bytes(200 * KiB))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(main())  # -W error::ResourceWarning catches a leaked socket


def test_plot_draws_both_runs_and_the_marks():
    import matplotlib.pyplot as plt

    samples = [(0.0, 0), (0.01, 900 * KiB), (0.3, 0)]
    without = Run(False, 1024 * KiB, CHUNK, 16 * KiB, 64 * KiB, samples, 1024 * KiB)
    with_ = Run(True, 1024 * KiB, CHUNK, 16 * KiB, 64 * KiB, [(0.0, 0), (0.3, 0)], 1024 * KiB)
    fig = plot([without, with_])
    try:
        left, right, marks = fig.axes  # marks: the zoomed panel's right-hand axis
        labels = [line.get_label() for line in left.get_lines()]
        assert labels[0] == "without drain(): peak 900 KiB"
        assert labels[1].startswith("with drain(): peak")
        assert "high-water mark 64 KiB" in labels and "low-water mark 16 KiB" in labels
        assert right.get_ylim()[1] == (64 * KiB + 2 * CHUNK) / KiB
        assert [t.get_text() for t in marks.get_yticklabels()] == [
            "low-water mark\n16 KiB", "high-water mark\n64 KiB"]
    finally:
        plt.close(fig)
    single = plot([with_], zoom=False)
    try:
        assert len(single.axes) == 1
    finally:
        plt.close(single)
    with pytest.raises(ValueError):
        plot([])


def test_slow_peer_exits_cleanly_after_the_body_closed_the_writer():
    async def main():
        async with slow_peer() as peer:
            peer.writer.write(bytes(64 * KiB))
            peer.writer.close()
            await peer.writer.wait_closed()  # closed for good: abort() would fail on 3.11
            await peer.finish()
        async with slow_peer() as peer:
            peer.writer.write(bytes(256 * KiB))
            peer.writer.close()  # still sending when the block ends: dropped, fast
        return peer.received

    assert asyncio.run(asyncio.wait_for(main(), 5)) < 256 * KiB
