"""helpers.exercises.flow_control: the reference solution passes, wrong answers fail."""

from __future__ import annotations

import asyncio

import pytest

from helpers.exercises.flow_control import check
from tests.exercise_support import not_yet, passes, solution

send_all = solution("04-writing-and-flow-control", "send_all")
GREW = ("the write buffer grew far past the high-water mark (64 KiB) while the reader was"
        " slow: await writer.drain() after each write()")


def test_the_reference_solution_passes():
    assert passes(check, send_all) == (
        "✓ send_all sent 512 KiB in 32 chunks and the write buffer never went past the"
        " high-water mark (64 KiB) by more than one chunk, even while the reader was slow")


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


@pytest.mark.parametrize("fn", [never_drains, yields_but_never_drains, drains_once_at_the_end])
def test_a_writer_that_never_drains_fails(fn):
    assert not_yet(check, fn) == GREW


@pytest.mark.parametrize("pause", [0.01, 0.05])
def test_a_writer_that_sleeps_instead_of_draining_fails(pause):
    """Pacing looks fine while the reader keeps up; it does not wait for a slow one."""
    async def sleeps(writer, chunks):
        for chunk in chunks:
            writer.write(chunk)
            await asyncio.sleep(pause)

    assert not_yet(check, sleeps) == GREW


def test_the_stub_and_a_crash_fail_without_raising():
    async def stub(writer, chunks):
        raise NotImplementedError("your code here")

    async def crashes(writer, chunks):
        writer.write("text")

    assert not_yet(check, stub) == "send_all raised NotImplementedError: write its body first"
    # The exception's text differs between Python versions: only its type is pinned.
    assert not_yet(check, crashes).startswith("send_all raised TypeError: ")


def test_a_plain_function_or_one_that_writes_nothing_fails():
    def plain(writer, chunks):
        for chunk in chunks:
            writer.write(chunk)

    async def lazy(writer, chunks):
        await writer.drain()

    assert not_yet(check, plain) == "plain must be a coroutine function (async def)"
    assert not_yet(check, lazy) == "send_all never called writer.write()"


def test_lost_or_reordered_chunks_fail():
    async def drops_one(writer, chunks):
        for chunk in chunks[1:]:
            writer.write(chunk)
            await writer.drain()

    async def reversed_order(writer, chunks):
        for chunk in reversed(chunks):
            writer.write(chunk)
            await writer.drain()

    assert not_yet(check, drops_one) == (
        "the reader got 496 KiB of 512 KiB: send every chunk, once")
    assert "not the chunks in order" in not_yet(check, reversed_order)


def test_a_writer_that_hangs_fails_fast():
    async def hangs(writer, chunks):
        await asyncio.Event().wait()

    assert not_yet(check, hangs, timeout=0.2) == "send_all did not finish within 0.2 s"
