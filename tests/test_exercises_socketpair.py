"""06-socketpair's exercise check: the reference test passes; weak or wrong tests fail."""

from __future__ import annotations

import asyncio
import socket

from helpers.background import close_quietly
from helpers.echo import handle_echo
from helpers.exercises.socketpair import BROKEN, CORRECT, check
from tests.exercise_support import not_yet, passes, solution

reference_test = solution("06-socketpair", "test_echo_handler")


def weak_test(*, size: int = 225, text: bytes = b"a", timeout: float | None = 0.5,
              whole: bool = True, close: bool = True):
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
            if close:
                await close_quietly(writer)

    return test_echo_handler


def test_the_reference_solution_passes():
    assert passes(check, reference_test) == (
        "✓ test_echo_handler passes both correct handlers and catches all 4 broken ones"
        " (silent, shouting, one-shot, never answering)")


def test_a_well_made_test_passes_too():
    passes(check, weak_test())


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


def test_the_stub_is_reported_not_raised():
    async def test_echo_handler(handler):
        raise NotImplementedError("your code here")

    assert not_yet(check, test_echo_handler) == (
        "test_echo_handler raised NotImplementedError: your code here")


def test_a_test_that_checks_nothing_fails():
    async def test_echo_handler(handler):
        pass

    assert "passes a broken handler that hangs up without a word" in not_yet(
        check, test_echo_handler)


def test_digits_only_miss_the_shouting_handler():
    assert "passes a broken handler that upper-cases the echo" in not_yet(
        check, weak_test(text=b"0123456789"))


def test_a_short_message_misses_the_one_shot_handler():
    reason = not_yet(check, weak_test(size=50))
    assert "echoes only its first read(100)" in reason and "send more than 100 bytes" in reason


def test_one_read_of_100_fails_a_correct_handler():
    assert "fails a correct handler" in not_yet(check, weak_test(whole=False))


def test_no_timeout_hangs_and_is_reported():
    reason = not_yet(check, weak_test(timeout=None), timeout=0.5)
    assert "hung for 0.5 s on a handler that never answers" in reason
    assert "asyncio.timeout" in reason


def test_a_test_that_never_closes_its_end_fails():
    assert not_yet(check, weak_test(close=False)) == (
        "test_echo_handler left a connection open on a handler that"
        " helpers.echo.handle_echo, the suite's echo handler (only Python's garbage"
        " collector closed it): close your end in a finally: writer.close(), then await"
        " writer.wait_closed()")


def test_a_test_that_closes_only_when_it_passes_fails():
    async def test_echo_handler(handler):
        a, b = socket.socketpair()
        server = await asyncio.open_connection(sock=b)
        reader, writer = await asyncio.open_connection(sock=a)
        task = asyncio.create_task(handler(*server))
        writer.write(b"abc" * 50)
        writer.write_eof()
        try:
            async with asyncio.timeout(0.5):
                echoed = await reader.read()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert echoed == b"abc" * 50  # a failure leaves the writer open
        writer.close()
        await writer.wait_closed()

    assert not_yet(check, test_echo_handler).startswith(
        "test_echo_handler left a connection open on a handler that hangs up without a word")


def test_a_test_that_tells_handlers_apart_by_name_fails():
    async def test_echo_handler(handler):
        name = getattr(handler, "__name__", "")
        assert name in ("handle_echo", "echo_byte_by_byte"), name

    assert "fails a correct handler" in not_yet(check, test_echo_handler)


def test_a_plain_function_fails_without_raising():
    def test_echo_handler(handler):
        return None

    assert "must be a coroutine function" in not_yet(check, test_echo_handler)


def test_handle_echo_is_the_first_correct_handler():
    assert CORRECT[0].handler is handle_echo
