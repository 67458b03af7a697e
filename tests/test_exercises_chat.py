"""helpers.exercises.chat: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

from helpers.exercises.chat import NOT_CLOSED, STOPPED_EARLY, STUB, check
from tests.exercise_support import not_yet, passes, solution

send_all = solution("13-chat-server", "send_all")


def test_the_reference_solution_passes():
    assert passes(check, send_all).startswith("✓ send_all sends every line in order")


def test_the_stub_is_not_yet():
    async def send_all(outbox, writer):
        raise NotImplementedError("your code here")

    assert not_yet(check, send_all) == STUB


def test_a_plain_function_is_not_yet():
    def send_all(outbox, writer):
        pass

    assert "async def" in not_yet(check, send_all)


def test_without_drain_is_not_yet():
    async def send_all(outbox, writer):
        try:
            while (line := await outbox.get()) is not None:
                writer.write(line)  # never waits for the reader
        finally:
            writer.close()
            await writer.wait_closed()

    reason = not_yet(check, send_all)
    assert reason.startswith("with a reader that stopped reading, send_all put ") and \
        reason.endswith("without waiting: await writer.drain() after each write"), reason


def test_stopping_when_the_outbox_is_empty_is_not_yet():
    async def send_all(outbox, writer):
        try:
            while not outbox.empty():  # stops at the first pause
                line = outbox.get_nowait()
                if line is None:
                    break
                writer.write(line)
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    assert not_yet(check, send_all) == STOPPED_EARLY


def test_never_closing_is_not_yet():
    async def send_all(outbox, writer):
        while (line := await outbox.get()) is not None:
            writer.write(line)
            await writer.drain()

    assert not_yet(check, send_all) == NOT_CLOSED


def test_ignoring_none_is_not_yet():
    async def send_all(outbox, writer):
        while True:
            line = await outbox.get()
            if line:
                writer.write(line)
                await writer.drain()

    assert "None means stop" in not_yet(check, send_all)


def test_writing_only_the_first_line_is_not_yet():
    async def send_all(outbox, writer):
        writer.write(await outbox.get())
        await writer.drain()
        while await outbox.get() is not None:
            pass
        writer.close()
        await writer.wait_closed()

    assert not_yet(check, send_all) == "the far end got b'line 0\\n', expected the 5 lines in order"



def test_only_sending_end_of_file_is_not_yet():
    async def send_all(outbox, writer):
        while (line := await outbox.get()) is not None:
            writer.write(line)
            await writer.drain()
        writer.write_eof()  # the far end sees the end, but the connection stays open

    assert not_yet(check, send_all) == NOT_CLOSED
