"""helpers.widgets.stream_lab: the widget's steps report what StreamReader really does."""

from __future__ import annotations

import asyncio

import pytest

from helpers.widgets.stream_lab import StreamLab, parse_bytes


def lab_run(coro_fn):
    """Run ``coro_fn()`` in a loop: a StreamReader (and so the lab) needs one."""
    async def main():
        return await coro_fn()
    return asyncio.run(main())


def test_parse_bytes_understands_escapes_and_refuses_guesses():
    assert parse_bytes(r"a\nb\r\n\t\0\\") == b"a\nb\r\n\t\x00\\"
    assert parse_bytes(r"\x00\xffé") == b"\x00\xff\xc3\xa9"
    assert parse_bytes(r"\'\"") == b"'\""
    for bad in (r"\q", "\\", r"\x4", r"\xzz"):
        with pytest.raises(ValueError):
            parse_bytes(bad)


def test_each_call_returns_what_streamreader_returns():
    async def main():
        lab = StreamLab(r"hello\nworld--rest", eof=True, limit=16)
        got = [await lab.run("read", 3), await lab.run("readline"),
               await lab.run("readuntil", b"--"), await lab.run("at_eof"),
               await lab.run("readexactly", 2), await lab.run("read")]
        assert [s.returned for s in got] == [b"hel", b"lo\n", b"world--", False, b"re", b"st"]
        assert [s.call for s in got] == ["read(3)", "readline()", "readuntil(b'--')",
                                         "at_eof()", "readexactly(2)", "read()"]
        assert got[1].before == b"lo\nworld--rest" and got[1].after == b"world--rest"
        assert got[-1].at_eof and lab.buffered == b""
        assert (await lab.run("readline")).returned == b""  # at EOF: empty bytes
        return lab
    lab = lab_run(main)
    assert repr(lab) == "StreamLab(limit=16, steps=7)"


def test_typed_arguments_are_parsed_like_the_boxes():
    async def main():
        lab = StreamLab(r"a\r\nb", limit=16)
        lab.call.value = "readuntil"
        lab.arg.value = r"\r\n"
        assert (await lab.run()).returned == b"a\r\n"
        assert (await lab.run("read", "")).returned == b"b"  # empty: read to EOF
        bad = await lab.run("readexactly", "two")
        assert isinstance(bad.error, ValueError) and "whole number" in bad.text()
    lab_run(main)


def test_readuntil_keeps_an_over_long_line_but_readline_drops_it():
    async def main():
        lab = StreamLab(r"xxxxxxxxxxxx\nok\n", limit=8)
        over = await lab.run("readuntil")
        assert isinstance(over.error, asyncio.LimitOverrunError)
        assert over.after == over.before == b"x" * 12 + b"\nok\n"  # left in the buffer
        assert "consumed=12" in over.text()
        dropped = await lab.run("readline")
        assert isinstance(dropped.error, ValueError)  # readline wraps LimitOverrunError
        assert dropped.after == b"ok\n"  # the long line and its newline are gone
        assert (await lab.run("readline")).returned == b"ok\n"
    lab_run(main)


def test_readline_over_the_limit_without_newline_clears_the_buffer():
    async def main():
        lab = StreamLab("x" * 10, eof=False, limit=8)
        step = await lab.run("readline")
        assert isinstance(step.error, ValueError) and step.after == b""
        lab.feed(r"tail\nnext\n")
        # The rest of the long line now reads as if it were a line of its own.
        assert (await lab.run("readline")).returned == b"tail\n"
    lab_run(main)


def test_a_call_that_would_wait_is_reported_and_read_to_eof_loses_data():
    async def main():
        lab = StreamLab(r"abc", eof=False)
        waits = await lab.run("readexactly", 5)
        assert waits.waiting and waits.after == b"abc" and "waits" in waits.text()
        lost = await lab.run("read")
        assert lost.waiting and lost.after == b"" and "lost: 3 bytes" in lost.text()
        lab.feed(b"de")
        lab.feed_eof()
        short = await lab.run("readexactly", 5)
        assert isinstance(short.error, asyncio.IncompleteReadError)
        assert "partial=b'de'" in short.text() and short.at_eof
        lab.feed("more")
        assert "start over" in lab.text
    lab_run(main)


def test_changing_the_bytes_or_the_limit_starts_over():
    async def main():
        lab = StreamLab("abc", limit=16)
        await lab.run("read", 1)
        lab.limit.value = 2
        assert lab.steps == [] and lab.buffered == b"abc" and lab.reader._limit == 2
        lab.data.value = r"x\ny"
        assert lab.buffered == b"x\ny"
        lab.data.value = "bad \\q"
        assert "cannot read the bytes" in lab.text and lab.buffered == b""
    lab_run(main)


def test_the_buttons_start_kept_tasks_and_the_html_shows_the_text():
    async def main():
        lab = StreamLab(r"one\ntwo\n")
        lab.run_button.click()
        assert len(lab._tasks) == 1  # kept: asyncio holds tasks only weakly
        step = await next(iter(lab._tasks))
        assert step.returned == b"one\n" and lab._tasks == set()
        lab.more.value = "x"
        lab.feed_button.click()  # after EOF: refused, with a note
        assert "start over" in lab.text
        lab.reset_button.click()
        assert lab.buffered == b"one\ntwo\n"
        assert lab.output.value.startswith("<pre>") and "one\\ntwo\\n" in lab.output.value
        assert lab._repr_mimebundle_()["text/plain"] == "StreamLab(limit=16, steps=0)"
    lab_run(main)
