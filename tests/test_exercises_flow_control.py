"""helpers.exercises.flow_control: the reference solution passes, wrong answers fail."""

import asyncio
import runpy
from pathlib import Path

from helpers.exercises.flow_control import check

SOLUTION = Path(__file__).parents[1] / "notebooks/solutions/04-writing-and-flow-control.py"


def verdict(fn, capsys, **kwargs):
    ok = asyncio.run(check(fn, **kwargs))
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0, out  # one line
    return ok, out


def test_the_reference_solution_passes(capsys):
    send_all = runpy.run_path(str(SOLUTION))["send_all"]
    ok, out = verdict(send_all, capsys)
    assert ok and out.startswith("✓ send_all sent 512 KiB in 32 chunks")


async def never_drains(writer, chunks):
    for chunk in chunks:
        writer.write(chunk)


async def yields_but_never_drains(writer, chunks):
    for chunk in chunks:
        writer.write(chunk)
        await asyncio.sleep(0)


async def drains_once_at_the_end(writer, chunks):
    writer.writelines(chunks)
    await writer.drain()


def test_a_writer_that_never_drains_fails(capsys):
    for fn in (never_drains, yields_but_never_drains, drains_once_at_the_end):
        ok, out = verdict(fn, capsys)
        assert not ok, fn.__name__
        assert out == ("✗ not yet: the write buffer grew far past the high-water mark "
                       "(64 KiB): await writer.drain() after each write()")


def test_the_stub_and_a_crash_fail_without_raising(capsys):
    async def stub(writer, chunks):
        raise NotImplementedError("your code here")

    async def crashes(writer, chunks):
        writer.write("text")

    assert verdict(stub, capsys) == (
        False, "✗ not yet: send_all raised NotImplementedError: write its body first")
    ok, out = verdict(crashes, capsys)
    assert not ok and out.startswith("✗ not yet: send_all raised TypeError: data argument")


def test_a_plain_function_or_one_that_writes_nothing_fails(capsys):
    def plain(writer, chunks):
        for chunk in chunks:
            writer.write(chunk)

    async def lazy(writer, chunks):
        await writer.drain()

    ok, out = verdict(plain, capsys)
    assert not ok and "coroutine function" in out
    assert verdict(lazy, capsys) == (False, "✗ not yet: send_all never called writer.write()")


def test_lost_or_reordered_chunks_fail(capsys):
    async def drops_one(writer, chunks):
        for chunk in chunks[1:]:
            writer.write(chunk)
            await writer.drain()

    async def reversed_order(writer, chunks):
        for chunk in reversed(chunks):
            writer.write(chunk)
            await writer.drain()

    assert verdict(drops_one, capsys) == (
        False, "✗ not yet: the reader got 496 KiB of 512 KiB: send every chunk, once")
    ok, out = verdict(reversed_order, capsys)
    assert not ok and "not the chunks in order" in out


def test_a_writer_that_hangs_fails_fast(capsys):
    async def hangs(writer, chunks):
        await asyncio.Event().wait()

    ok, out = verdict(hangs, capsys, timeout=0.2)
    assert (ok, out) == (False, "✗ not yet: send_all did not finish within 0.2 s")
