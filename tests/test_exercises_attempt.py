"""helpers.exercises.attempt: the learner's function runs, and every failure becomes a reason."""

from __future__ import annotations

import asyncio

from helpers.cli import describe
from helpers.exercises.attempt import attempt, not_yet, verdict


def run(fn, *args, **kwargs):
    kwargs.setdefault("name", "fn")
    kwargs.setdefault("timeout", 0.2)
    return asyncio.run(attempt(fn, *args, **kwargs))


def test_a_coroutine_that_returns_gives_its_result():
    async def double(x, y):
        await asyncio.sleep(0)
        return 2 * x + y

    assert run(double, 20, 2) == (42, None)


def test_a_coroutine_that_returns_none_is_still_a_success():
    async def nothing():
        return None

    assert run(nothing) == (None, None)


def test_the_stub_gets_its_own_reason_or_the_plain_one():
    async def stub(x):
        raise NotImplementedError("your code here")

    assert run(stub, 1, stub="write its body") == (None, "write its body")
    assert run(stub, 1) == (None, "fn raised NotImplementedError: your code here")


def test_running_too_long_is_a_reason_not_a_hang():
    async def forever():
        await asyncio.Event().wait()

    assert run(forever, name="forever", timeout=0.05) == (
        None, "forever did not finish within 0.05 s")
    assert run(forever, timeout=0.05, on_timeout="too slow") == (None, "too slow")


def test_an_exception_is_reported_in_words_never_raised():
    async def refused():
        raise ConnectionRefusedError(111, "Connection refused")

    assert run(refused, name="probe(a file)") == (
        None, "probe(a file) raised ConnectionRefusedError: [Errno 111] Connection refused")
    _, reason = run(refused, say=describe)
    assert reason == ("fn raised ConnectionRefusedError: "
                      "connection refused (is the server running, on that port?)")


def test_a_plain_function_is_refused_by_its_own_name():
    calls = []

    def plain(x):
        calls.append(x)
        return x

    assert run(plain, 7, name="plain(a case)") == (
        None, "plain must be a coroutine function (async def)")
    assert calls == [7]


def test_a_plain_function_that_raises_is_reported():
    def plain():
        raise ValueError("bad")

    assert run(plain) == (None, "fn raised ValueError: bad")


def test_cancellation_is_not_swallowed():
    async def main() -> bool:
        async def forever():
            await asyncio.Event().wait()

        task = asyncio.create_task(attempt(forever, name="f", timeout=10))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    assert asyncio.run(main()) is True


def test_not_yet_and_verdict_print_one_line_and_return_the_verdict(capsys):
    assert not_yet("why") is False
    assert capsys.readouterr().out == "✗ not yet: why\n"
    assert verdict("why", "fine") is False
    assert capsys.readouterr().out == "✗ not yet: why\n"
    assert verdict(None, "fine") is True
    assert capsys.readouterr().out == "✓ fine\n"
