"""helpers.widgets.EchoClientWidget against a real echo server on 127.0.0.1."""

from __future__ import annotations

import asyncio

from helpers.background import serve, stop_all
from helpers.echo import handle_echo
from helpers.widgets import EchoClientWidget
from tests.scripts import free_port


def test_send_returns_the_echo_and_writes_the_transcript():
    async def main():
        srv = await serve("t-widget", handle_echo)
        try:
            w = EchoClientWidget(srv.host, srv.port)
            assert await w.send("hello") == "hello"
            long = "é" * 150  # 300 bytes: the server echoes it 100 bytes at a time
            assert await w.send(long) == long
        finally:
            await stop_all()
        assert w.lines == ["→ 'hello'", "← 'hello'", f"→ {long!r}", f"← {long!r}"]
        assert w.log.value == w.transcript == "\n".join(w.lines)
        assert w.reply.value == repr(long)
        assert srv.served == 2 and srv.errors == []
    asyncio.run(main())


def test_clicking_send_starts_a_task_that_the_widget_keeps():
    async def main():
        srv = await serve("t-widget", handle_echo)
        try:
            w = EchoClientWidget(srv.host, srv.port)
            w.text.value = "clicked"
            w.button.click()
            assert len(w.pending) == 1  # kept, so it cannot be garbage-collected
            (future,) = w.pending
            assert await future == "clicked"
            assert w.pending == set()
        finally:
            await stop_all()
        assert w.reply.value == "'clicked'"
        assert w.lines[-1] == "← 'clicked'"
    asyncio.run(main())


def test_connection_refused_is_a_line_in_the_widget_not_an_exception():
    async def main():
        w = EchoClientWidget("127.0.0.1", free_port())
        assert await w.send("anyone?") is None
        return w
    w = asyncio.run(main())
    assert w.reply.value.startswith("✗ connection refused")
    assert w.lines == ["→ 'anyone?'",
                       "✗ ConnectionRefusedError: connection refused"
                       " (is the server running, on that port?)"]


def test_a_silent_server_is_a_timeout_line():
    async def main():
        client_gave_up = asyncio.Event()

        async def silent(reader, writer):
            await client_gave_up.wait()  # never answers

        srv = await serve("t-silent", silent)
        try:
            w = EchoClientWidget(srv.host, srv.port, timeout=0.2)
            assert await w.send("hello?") is None
            client_gave_up.set()
            await asyncio.wait(list(srv.tasks), timeout=1)
        finally:
            await stop_all()
        return w
    w = asyncio.run(main())
    assert w.lines[-1] == "✗ TimeoutError: timed out"
    assert w.reply.value == "✗ timed out"


def test_the_widget_tree_holds_the_parts():
    async def main():  # ipywidgets needs no loop, but the Button callback does
        return EchoClientWidget("127.0.0.1", 1)
    w = asyncio.run(main())
    children = w.widget.children
    assert children[0].children == (w.text, w.button)
    assert w.reply in children[1].children and children[2] is w.log
    assert w.log.disabled  # a transcript, not an input
