"""helpers.exercises.contract: one line, True/False, everything stopped, whatever happens."""

from __future__ import annotations

import asyncio
import socket

import pytest

from helpers import background
from helpers.echo import handle_echo
from helpers.exercises.contract import CannotCheck, Exercise, NotYet, Trial
from tests.exercise_support import judge, judged


def exercise(body, **kwargs) -> Exercise:
    """An exercise whose run is ``body(trial, *answers)``."""
    kwargs.setdefault("hints", ["first hint", "second hint"])
    return Exercise(body, **kwargs)


async def passing(trial: Trial, fn) -> str:
    return f"{await trial.call(fn, 20, 2, name='fn', timeout=0.5)} is right"


async def double(x, y):
    await asyncio.sleep(0)
    return 2 * x + y


def test_a_right_answer_prints_one_check_mark_line():
    assert judge(exercise(passing), double) == (True, "✓ 42 is right")


def test_the_learners_mistakes_are_reasons_never_raised():
    async def stub(x, y):
        raise NotImplementedError("your code here")

    async def refused(x, y):
        raise ConnectionRefusedError(111, "Connection refused")

    async def forever(x, y):
        await asyncio.Event().wait()

    calls = []

    def plain(x, y):  # never called: blocking code would freeze the loop
        calls.append(x)

    check = exercise(passing)
    assert judge(check, stub) == (False, "✗ not yet: fn raised NotImplementedError: your code here")
    assert judge(check, refused) == (
        False, "✗ not yet: fn raised ConnectionRefusedError: [Errno 111] Connection refused")
    assert judge(check, forever) == (False, "✗ not yet: fn did not finish within 0.5 s")
    assert judge(check, plain) == (
        False, "✗ not yet: plain must be a coroutine function (async def)")
    assert calls == []


def test_a_reason_on_several_lines_is_printed_on_one():
    async def body(trial, fn):
        raise NotYet("first\nsecond   third")

    assert judge(exercise(body), None) == (False, "✗ not yet: first second third")


def test_a_check_that_cannot_finish_does_not_blame_the_learner():
    async def cannot(trial, fn):
        raise CannotCheck("Unix sockets are not available here")

    async def buggy(trial, fn):
        return {}["missing"]

    assert judge(exercise(cannot), double) == (
        False, "✗ could not check: Unix sockets are not available here")
    assert judge(exercise(buggy), double) == (
        False, "✗ could not check: the check itself failed (KeyError: 'missing'); this is not"
               " your code's fault")


def test_the_checks_own_server_failing_to_start_is_could_not_check():
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]

    async def body(trial, fn):
        await trial.serve("_contract_taken", handle_echo, port=port)
        return "never"

    try:
        ok, line = judge(exercise(body), double)
    finally:
        taken.close()
    assert not ok and line.startswith("✗ could not check: the check's own server did not start")


def test_the_deadline_is_could_not_check():
    async def slow(trial, fn):
        await asyncio.sleep(10)
        return "never"

    assert judge(exercise(slow, deadline=0.1), double) == (
        False, "✗ could not check: the check ran past its own deadline of 0.1 s (a busy"
               " machine?): run it again")


def started(outcome):
    """A check body that starts a server, a task and a directory, then ends with ``outcome``."""
    seen = {"ready": asyncio.Event()}

    async def body(trial, fn):
        seen["server"] = await trial.serve("_contract_server", handle_echo)
        seen["task"] = trial.task(asyncio.Event().wait())
        seen["dir"] = trial.temp_dir()
        seen["ready"].set()  # everything started
        return await outcome()

    return body, seen


@pytest.mark.parametrize("how", ["pass", "not yet", "bug"])
def test_everything_started_is_stopped_whatever_the_verdict(how):
    async def outcome():
        if how == "not yet":
            raise NotYet("no")
        if how == "bug":
            raise RuntimeError("the check's bug")
        return "fine"

    body, seen = started(outcome)
    ok, line = judge(exercise(body), double)  # judge asserts no server, no task is left
    assert ok is (how == "pass")
    assert not seen["server"].is_serving()
    assert seen["task"].cancelled()
    assert not seen["dir"].exists()


def test_a_cancelled_check_stops_everything_and_stays_cancelled(capsys):
    body, seen = started(lambda: asyncio.sleep(10))

    async def main():
        task = asyncio.create_task(exercise(body)(double))
        async with asyncio.timeout(10):
            await seen["ready"].wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert background.running() == []

    asyncio.run(main())
    assert capsys.readouterr().out == (
        "✗ could not check: the check was stopped before it finished\n")
    assert not seen["server"].is_serving() and not seen["dir"].exists()


async def leaky(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"hi")
    return (await reader.readexactly(2)).decode()  # and the writer is simply dropped


async def tidy(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"hi")
        return (await reader.readexactly(2)).decode()
    finally:
        writer.close()
        await writer.wait_closed()


async def echo_check(trial, fn):
    srv = await trial.serve("_contract_echo", handle_echo)
    return f"echo {await trial.call(fn, *srv.address, name='fn', timeout=1)}"


def test_a_connection_left_to_the_garbage_collector_is_not_yet():
    assert judge(exercise(echo_check), tidy) == (True, "✓ echo hi")
    assert judge(exercise(echo_check), leaky) == (
        False, "✗ not yet: leaky left a connection open (only Python's garbage collector"
               " closed it): close the writer, then await writer.wait_closed()")


def test_a_connection_in_a_reference_cycle_is_found_at_the_end():
    async def cyclic(host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.me = writer  # a cycle: only a full collection frees it
        writer.write(b"hi")
        return (await reader.readexactly(2)).decode()

    assert "cyclic left a connection open" in judge(exercise(echo_check), cyclic)[1]


def test_outcome_returns_the_learners_error_for_cases_where_raising_is_right():
    async def body(trial, fn):
        result, error = await trial.outcome(fn, 1, 2, name="fn", timeout=0.5)
        return f"{result!r} {type(error).__name__}"

    async def raises(x, y):
        raise ValueError("bad")

    assert judge(exercise(body), raises) == (True, "✓ None ValueError")
    assert judge(exercise(body), double) == (True, "✓ 4 NoneType")


def test_the_learners_own_timeout_error_is_an_answer_not_the_checks_time_limit():
    async def body(trial, fn):
        result, error = await trial.outcome(fn, 1, 2, name="fn", timeout=5)
        return f"{type(error).__name__} after {error.args}"

    async def own_deadline(x, y):
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)

    assert judge(exercise(body), own_deadline) == (True, "✓ TimeoutError after ()")


def test_help_shows_the_learners_side_of_the_signature():
    import inspect

    assert str(inspect.signature(exercise(passing))) == "(fn) -> bool"


def test_hint_prints_one_more_hint_at_each_call(capsys):
    check = exercise(passing)
    check.hint()
    check.hint()
    check.hint()
    check.hint(1)
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2 (call hint() again for the next): first hint",
        "Hint 2 of 2: second hint",
        "Hint 2 of 2: second hint",
        "Hint 1 of 2 (call hint() again for the next): first hint",
    ]


def test_judged_catches_a_check_that_leaves_a_server_running():
    async def sloppy():
        await background.serve("_contract_sloppy", handle_echo)
        print("✓ fine")
        return True

    async def main():
        try:
            await judged(sloppy)
        finally:
            await background.stop_all()

    with pytest.raises(AssertionError, match="servers left running"):
        asyncio.run(main())
