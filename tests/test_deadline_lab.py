"""helpers.widgets.deadline_lab.DeadlineLab against its own sleepy server on 127.0.0.1."""

from __future__ import annotations

import asyncio

from helpers import background
from helpers.background import stop_all
from helpers.widgets.deadline_lab import NAME, DeadlineLab, ask_within


def test_a_reply_in_time_is_a_tick_and_a_late_one_a_cross():
    async def main():
        lab = DeadlineLab()
        try:
            fast = await lab.ask(delay=0.02, deadline=1.0)
            late = await lab.ask(delay=0.5, deadline=0.05)
            srv = background.get(NAME)
            assert await srv.wait_idle(1), "the lab left a connection open"
            assert srv.errors == []
        finally:
            await stop_all()
        return lab, fast, late
    lab, fast, late = asyncio.run(main())
    assert fast.reply == "slept 0.02 s" and fast.closed
    assert str(fast) == "✓ 'slept 0.02 s' within the deadline (1 s), connection closed"
    assert late.reply is None and late.closed
    assert str(late).startswith("✗ TimeoutError: the deadline (0.05 s) came before the reply")
    assert lab.result.value == f"#2 {late}" and lab.outcomes == [fast, late]
    assert (lab.delay.value, lab.deadline.value) == (0.5, 0.05)


def test_it_starts_its_server_again_after_stop_all():
    async def main():
        lab = DeadlineLab()
        try:
            first = await lab.ask(0.01, 1.0)
            assert await stop_all() == [NAME]
            again = await lab.ask(0.01, 1.0)  # what a click after the clean-up cell does
        finally:
            await stop_all()
        return first, again
    first, again = asyncio.run(main())
    assert str(first).startswith("✓") and str(again).startswith("✓")


def test_clicking_ask_starts_a_task_that_the_widget_keeps():
    async def main():
        lab = DeadlineLab(delay=0.01, deadline=1.0)
        try:
            lab.button.click()
            assert len(lab.pending) == 1  # kept, so it cannot be garbage-collected
            (task,) = lab.pending
            outcome = await task
            assert lab.pending == set()
        finally:
            await stop_all()
        return lab, outcome
    lab, outcome = asyncio.run(main())
    assert lab.result.value.startswith("#1 ✓ 'slept 0.01 s'")
    assert lab.result.value == f"#1 {outcome}"


def test_the_browser_test_finds_its_parts_by_class():
    lab = DeadlineLab()
    assert "streams-lab-play" in lab.widget._dom_classes
    assert "streams-lab-input" in lab.delay._dom_classes
    assert "streams-lab-input" in lab.deadline._dom_classes
    assert "streams-lab-go" in lab.button._dom_classes
    assert "streams-lab-result" in lab.result._dom_classes


def test_nobody_listening_is_a_sentence_not_an_exception():
    async def main():
        async with asyncio.timeout(2):
            probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
            host, port = probe.sockets[0].getsockname()
            probe.close()
            await probe.wait_closed()
            try:
                return await ask_within(host, port, 0.01, 1.0)
            except ConnectionRefusedError:
                return "refused"
    assert asyncio.run(main()) == "refused"  # ask_within raises; the widget turns it into words
