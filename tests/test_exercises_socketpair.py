"""06-socketpair's exercise check: the reference test passes; weak or wrong tests fail."""

from __future__ import annotations

import asyncio
import runpy
import socket
from pathlib import Path

from helpers.background import close_quietly
from helpers.echo import handle_echo
from helpers.exercises.socketpair import BROKEN, CORRECT, check

SOLUTION = Path(__file__).resolve().parent.parent / "notebooks/solutions/06-socketpair.py"


def run_check(fn, **kwargs) -> bool:
    return asyncio.run(check(fn, **kwargs))


def weak_test(*, size: int = 225, text: bytes = b"a", timeout: float | None = 0.5,
              whole: bool = True):
    """A learner's test with one knob turned wrong: too short, digits only, no timeout..."""
    async def test_echo_handler(handler):
        sent = (text * size)[:size]
        a, b = socket.socketpair()
        server = await asyncio.open_connection(sock=b)
        reader, writer = await asyncio.open_connection(sock=a)
        task = asyncio.create_task(handler(*server))
        try:
            writer.write(sent)
            writer.write_eof()
            async with asyncio.timeout(timeout):
                echoed = await (reader.read() if whole else reader.read(100))
            assert echoed == sent
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await close_quietly(writer)

    return test_echo_handler


def test_the_reference_solution_passes(capsys):
    test_echo_handler = runpy.run_path(str(SOLUTION))["test_echo_handler"]
    assert run_check(test_echo_handler) is True
    assert capsys.readouterr().out.startswith(
        "✓ test_echo_handler passes both correct handlers and catches all 4 broken ones")


def test_a_well_made_test_passes_too(capsys):
    assert run_check(weak_test()) is True


def test_the_correct_handlers_echo_and_the_broken_ones_do_not():
    """The check's own handlers, over a socketpair: what each one sends back."""
    async def reply(handler) -> bytes:
        a, b = socket.socketpair()
        task = asyncio.create_task(handler(*await asyncio.open_connection(sock=b)))
        reader, writer = await asyncio.open_connection(sock=a)
        writer.write(b"abc" * 50)
        writer.write_eof()
        try:
            async with asyncio.timeout(0.3):
                return await reader.read()
        except (TimeoutError, ConnectionError) as exc:  # a reset, a broken pipe
            return type(exc).__name__.encode()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await close_quietly(writer)

    async def main():
        return [await reply(case.handler) for case in CORRECT + BROKEN]

    good, bytewise, silent, loud, once, mute = asyncio.run(main())
    assert good == bytewise == b"abc" * 50
    # A handler that closes with bytes unread makes the other end see a reset or a
    # broken pipe rather than a plain EOF, depending on timing: all are failures.
    errors = (b"BrokenPipeError", b"ConnectionResetError")
    assert silent in (b"", *errors)
    assert loud == b"ABC" * 50
    assert once in ((b"abc" * 50)[:100], *errors)
    assert mute == b"TimeoutError"


def test_the_stub_is_reported_not_raised(capsys):
    async def test_echo_handler(handler):
        raise NotImplementedError("your code here")

    assert run_check(test_echo_handler) is False
    assert capsys.readouterr().out == (
        "✗ not yet: test_echo_handler raised NotImplementedError: your code here\n")


def test_a_test_that_checks_nothing_fails(capsys):
    async def test_echo_handler(handler):
        pass

    assert run_check(test_echo_handler) is False
    assert "passes a broken handler that hangs up without a word" in capsys.readouterr().out


def test_digits_only_miss_the_shouting_handler(capsys):
    assert run_check(weak_test(text=b"0123456789")) is False
    assert "passes a broken handler that upper-cases the echo" in capsys.readouterr().out


def test_a_short_message_misses_the_one_shot_handler(capsys):
    assert run_check(weak_test(size=50)) is False
    out = capsys.readouterr().out
    assert "echoes only its first read(100)" in out
    assert "send more than 100 bytes" in out


def test_one_read_of_100_fails_a_correct_handler(capsys):
    assert run_check(weak_test(whole=False)) is False
    assert "fails a correct handler" in capsys.readouterr().out


def test_no_timeout_hangs_and_is_reported(capsys):
    assert run_check(weak_test(timeout=None), timeout=0.5) is False
    out = capsys.readouterr().out
    assert "hung for 0.5 s on a handler that never answers" in out
    assert "asyncio.timeout" in out


def test_a_plain_function_fails_without_raising(capsys):
    def test_echo_handler(handler):
        return None

    assert run_check(test_echo_handler) is False
    assert "must be a coroutine function" in capsys.readouterr().out


def test_handle_echo_is_the_first_correct_handler():
    assert CORRECT[0].handler is handle_echo
