"""helpers.widgets.chat: chat windows against a real chat server on 127.0.0.1."""

from __future__ import annotations

import asyncio

from helpers.background import serve, stop_all
from helpers.chat import ChatServer
from helpers.widgets.chat import ChatRoom, ChatWindow


def test_a_line_sent_in_one_window_shows_in_the_others():
    async def main():
        chat = ChatServer()
        await serve("t-chat", chat.handle, limit=chat.settings.max_line)
        room = ChatRoom("t-chat", ["alice", "bob", "carol"])
        try:
            assert await room["alice"].send("你好 bob") == "✓ delivered to bob, carol"
            assert "alice: 你好 bob" in room["bob"].lines
            assert room["bob"].log.value.endswith("alice: 你好 bob")
            assert room["alice"].result.value == "✓ delivered to bob, carol"
            assert await room["carol"].send("/who") == "✓ sent"  # an answer, not a message
            assert room["carol"].lines[-1] == "* here: alice, bob, carol"
        finally:
            await room.leave()
            await stop_all()
    asyncio.run(main())


def test_after_the_server_was_stopped_a_send_starts_it_and_everyone_joins_again():
    async def main():
        chat = ChatServer()
        await serve("t-chat", chat.handle, limit=chat.settings.max_line)
        room = ChatRoom("t-chat", ["alice", "bob", "carol"])
        try:
            await room["alice"].send("first")
            await stop_all()  # the notebook's clean-up cell
            async with asyncio.timeout(10):  # each window sees its connection end
                await asyncio.gather(*(w.listening for w in room.windows.values()
                                       if w.listening is not None), return_exceptions=True)
            assert await room["bob"].send("again") == "✓ delivered to alice, carol"
            assert "bob: again" in room["alice"].lines
        finally:
            await room.leave()
            await stop_all()
    asyncio.run(main())


def test_a_window_the_server_drops_says_why_and_joins_again_at_the_next_send():
    async def main():
        chat = ChatServer()
        await serve("t-chat", chat.handle, limit=chat.settings.max_line)
        room = ChatRoom("t-chat", ["alice", "bob"])
        try:
            result = await asyncio.wait_for(room["alice"].send("x" * 2000), 1.5)
            assert result == "✗ that line was longer than 1024 bytes: disconnected"
            assert room["bob"].lines[-1] == "* alice was disconnected (line too long)"
            assert await room["alice"].send("/quit") == "✓ you left: the next Send joins again"
            assert await room["alice"].send("back") == "✓ delivered to bob"
        finally:
            await room.leave()
            await stop_all()
    asyncio.run(main())


def test_a_window_shows_one_line_when_it_cannot_join():
    async def main():
        never = ChatWindow("t-never-started", "alice")
        assert (await never.send("hi")).startswith("✗ no server called 't-never-started'")
        chat = ChatServer()
        await serve("t-chat", chat.handle)
        taken = ChatWindow("t-chat", "alice")
        other = ChatWindow("t-chat", "alice")
        try:
            assert await taken.send("hi") == "✓ sent"
            assert await other.send("hi") == "✗ alice is taken: send another"
        finally:
            await taken.leave()
            await other.leave()
            await stop_all()
    asyncio.run(main())
