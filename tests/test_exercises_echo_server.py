"""The check of notebook 02's exercise: the solution passes, typical mistakes do not."""

import asyncio
import time

from helpers.exercises.echo_server import check
from tests import exercise_support
from tests.exercise_support import solution

FAST = 0.3  # the check's per-step timeout in these tests: mistakes fail fast
SOLUTION = solution("02-echo-server", "shout")


def judge(fn, timeout: float = FAST) -> tuple[bool, str]:
    """The one-line verdict, contract asserted."""
    return exercise_support.judge(check, fn, timeout)


def test_the_solution_passes():
    start = time.perf_counter()
    ok, out = judge(SOLUTION, timeout=1.0)
    assert ok, out
    assert out == ("✓ shout answers whole lines, in bytes, 10 connections (5 at once, one"
                   " rude), and closes at EOF")
    assert time.perf_counter() - start < 3


def test_the_stub_is_not_yet():
    async def shout(reader, writer):
        raise NotImplementedError("your code here")

    ok, out = judge(shout)
    assert not ok
    assert out.startswith("✗ not yet:") and "NotImplementedError: your code here" in out


def test_echo_without_upper_case():
    async def shout(reader, writer):
        async for line in reader:
            writer.write(line)
            await writer.drain()
        writer.close()

    ok, out = judge(shout)
    assert not ok
    assert "expected b'HELLO\\n', got b'hello\\n'" in out


def test_decoding_text_breaks_on_non_utf8():
    async def shout(reader, writer):
        async for line in reader:
            writer.write(line.decode().upper().encode())
            await writer.drain()
        writer.close()

    ok, out = judge(shout)
    assert not ok
    assert "not UTF-8" in out and "UnicodeDecodeError" in out


def test_forgetting_to_close_at_eof():
    async def shout(reader, writer):
        async for line in reader:
            writer.write(line.upper())
            await writer.drain()

    ok, out = judge(shout)
    assert not ok
    assert "returned without closing the writer" in out


def test_never_letting_go_after_eof():
    async def shout(reader, writer):
        async for line in reader:
            writer.write(line.upper())
            await writer.drain()
        await asyncio.sleep(3600)  # waits for something else; the client waits for EOF

    ok, out = judge(shout)
    assert not ok
    assert "after the client's EOF the connection stayed open" in out


def test_replying_only_at_eof():
    async def shout(reader, writer):
        data = await reader.read()  # waits for EOF: no reply per line
        writer.write(data.upper())
        writer.close()

    ok, out = judge(shout)
    assert not ok
    assert "no reply to b'hello\\n'" in out


def test_answering_pieces_instead_of_lines():
    """Upper-cases whatever arrives: the same bytes, but half a line gets half an answer."""
    async def shout(reader, writer):
        while data := await reader.read(100):
            writer.write(data.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    ok, out = judge(shout)
    assert (ok, out) == (False, "✗ not yet: the server answered b'HEL' to half a line, b'hel':"
                                " reply to whole lines (async for line in reader, or readline())")


def test_one_client_at_a_time():
    lock = asyncio.Lock()

    async def shout(reader, writer):
        async with lock:  # every other client waits for this one's EOF
            async for line in reader:
                writer.write(line.upper())
                await writer.drain()
            writer.close()

    ok, out = judge(shout)
    assert not ok
    assert "5 clients connected at once, only 1 got an answer" in out


def test_a_handler_that_crashes_on_rude_clients_is_reported():
    async def shout(reader, writer):
        try:
            async for line in reader:
                writer.write(line.upper())
                await writer.drain()
        except ConnectionError:
            raise RuntimeError("lost a client") from None
        writer.close()

    ok, out = judge(shout)
    assert not ok
    assert "RuntimeError: lost a client" in out


def test_a_plain_function_that_schedules_nothing():
    def shout(reader, writer):
        return None

    ok, out = judge(shout)
    assert not ok
    assert "no reply to b'hello\\n'" in out


def test_a_plain_function_that_schedules_the_solution_passes():
    tasks = set()

    def shout(reader, writer):
        task = asyncio.create_task(SOLUTION(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    ok, out = judge(shout, timeout=1.0)
    assert ok, out


def test_not_a_function():
    ok, out = judge(42)
    assert not ok
    assert "pass your handler itself" in out
