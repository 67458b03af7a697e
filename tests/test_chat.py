"""The chat server's rules, each on real sockets (helpers.chat; the script in test_chat_script)."""

from __future__ import annotations

import asyncio
import socket
import struct

from helpers.chat import ChatServer
from helpers.chat.protocol import MAX_NICK
from helpers.script_server import Connections, shut_down
from tests.chat_support import Person, chat_server
from tests.support import run


def test_a_nickname_first_then_everyone_else_hears_every_line():
    async def main():
        async with chat_server() as (_chat, address):
            alice = await Person.connect(address, "alice")
            bob = await Person.connect(address)
            await bob.say("bob")
            assert await bob.line() == "* hello bob! here: alice, bob"
            assert await alice.line() == "* bob joined"
            carol = await Person.connect(address, "carol")
            assert [await alice.line(), await bob.line()] == ["* carol joined"] * 2
            await alice.say("hi all, 你好")
            assert await bob.line() == "alice: hi all, 你好"
            assert await carol.line() == "alice: hi all, 你好"
            assert await alice.nothing_more()  # never to the one who said it
            await alice.say("")  # an empty line says nothing
            await alice.say("and again\r")  # nc may end its lines with \r\n
            assert await bob.line() == "alice: and again"
    run(main())


def test_a_bad_or_taken_nickname_gets_one_line_and_another_try():
    async def main():
        async with chat_server() as (_chat, address):
            alice = await Person.connect(address, "alice")
            newcomer = await Person.connect(address)
            for nick, why in [("", "cannot be empty"), ("two words", "cannot hold spaces"),
                              ("x" * (MAX_NICK + 1), f"at most {MAX_NICK} characters"),
                              ("/who", "cannot start with / or *"),
                              ("*server*", "cannot start with / or *"),
                              ("alice", "alice is taken")]:
                await newcomer.say(nick)
                line = await newcomer.line()
                assert line.startswith("* ") and why in line and line.endswith("send another")
            assert await alice.nothing_more()  # nobody joined yet
            await newcomer.say("x" * MAX_NICK)
            assert (await newcomer.line()).startswith(f"* hello {'x' * MAX_NICK}!")
            assert await alice.line() == f"* {'x' * MAX_NICK} joined"
    run(main())


def test_who_lists_everyone_and_quit_says_bye():
    async def main():
        async with chat_server() as (_chat, address):
            alice = await Person.connect(address, "alice")
            bob = await Person.connect(address, "bob")
            assert await alice.line() == "* bob joined"
            await bob.say("/who")
            assert await bob.line() == "* here: alice, bob"
            await bob.say("/shout hello")
            assert await bob.line() == "* unknown command /shout (try /who or /quit)"
            await bob.say("/quit")
            assert await bob.rest() == ["* bye"]  # then the server closes
            assert await alice.line() == "* bob left"
            await alice.say("/who")
            assert await alice.line() == "* here: alice"
    run(main())


def rude_case(limit_settings: dict, send: bytes, told: str, others_hear: str):
    async def main():
        async with chat_server(**limit_settings) as (_chat, address):
            alice = await Person.connect(address, "alice")
            rude = await Person.connect(address, "rude")
            assert await alice.line() == "* rude joined"
            if send:
                await rude.say(send)
            lines = await rude.rest()
            assert len(lines) == 1 and lines[0].startswith("* ") and told in lines[0], lines
            assert await alice.line() == f"* rude {others_hear}"
            bob = await Person.connect(address, "bob")  # everyone else is unaffected
            assert await alice.line() == "* bob joined"
            await bob.say("still here?")
            assert await alice.line() == "bob: still here?"
    run(main())


def test_a_line_longer_than_max_line_is_refused():
    rude_case({"max_line": 64}, b"x" * 65 + b"\n", "longer than 64 bytes",
              "was disconnected (line too long)")


def test_a_line_of_exactly_max_line_bytes_is_fine():
    async def main():
        async with chat_server(max_line=64) as (_chat, address):
            alice = await Person.connect(address, "alice")
            bob = await Person.connect(address, "bob")
            await alice.line()
            text = "y" * (64 - len("\n"))  # the newline is not counted: 63 + 1 ... and 64
            await bob.say(text)
            assert await alice.line() == f"bob: {text}"
            await bob.say("z" * 64)
            assert await alice.line() == f"bob: {'z' * 64}"
    run(main())


def test_a_long_line_without_newline_is_refused_too():
    rude_case({"max_line": 64}, b"x" * 5000, "longer than 64 bytes",
              "was disconnected (line too long)")


def test_bytes_that_are_not_utf8_are_refused():
    rude_case({}, b"caf\xe9\n", "not UTF-8", "was disconnected (not UTF-8)")


def test_a_silent_client_is_dropped_after_the_idle_timeout():
    async def main():
        # alice speaks every 0.05 s: ten times as often as the limit, so a busy machine's
        # pause does not make her look silent
        async with chat_server(idle_timeout=0.5) as (_chat, address):
            alice = await Person.connect(address, "alice")
            quiet = await Person.connect(address, "quiet")
            heard = [await alice.line()]
            loop = asyncio.get_running_loop()
            started = loop.time()
            while loop.time() - started < 1.0:  # alice keeps talking: she stays
                await alice.say("/who")
                heard.append(await alice.line())
                await asyncio.sleep(0.05)
            assert await quiet.rest() == ["* silent for 0.5 s: disconnected"]
            assert heard[0] == "* quiet joined"
            assert "* quiet was disconnected (silent too long)" in heard
            assert heard[-1] == "* here: alice"
    run(main())


def test_a_client_over_max_clients_is_told_and_never_admitted():
    async def main():
        async with chat_server(max_clients=2) as (chat, address):
            alice = await Person.connect(address, "alice")
            waiting = await Person.connect(address)  # counts, even without a nickname yet
            reader, writer = await asyncio.open_connection(*address)
            extra = Person(reader, writer)
            assert await extra.rest() == ["* the server is full, try again later"]
            await extra.close()
            assert await alice.nothing_more()
            assert len(chat.room.clients) == 2
            await waiting.say("bob")  # the ones inside carry on
            assert await alice.line() == "* bob joined"
    run(main())


def test_a_slow_client_is_dropped_and_never_holds_up_the_others():
    async def main():
        async with chat_server(queue=5) as (chat, address):
            alice = await Person.connect(address, "alice")
            slow = await Person.connect(address, "slow", rcvbuf=4096, limit=1024)
            assert await alice.line() == "* slow joined"
            slow.writer.transport.pause_reading()  # stops reading: its buffers fill
            bob = await Person.connect(address, "bob")
            assert await alice.line() == "* bob joined"
            loop = asyncio.get_running_loop()
            text = "z" * 900
            count, started = 0, loop.time()
            while "slow" in chat.room.members:  # talk until the server gives up on slow
                count += 1
                await bob.say(f"{count} {text}")
                assert await alice.line() == f"bob: {count} {text}"  # alice gets each at once
                assert loop.time() - started < 10, "slow was never dropped"
            assert await alice.line() == "* slow was disconnected (too slow)"
            await bob.say("after")
            assert await alice.line() == "bob: after"
            slow.writer.transport.resume_reading()
            lines = await slow.rest()
            said = [line for line in lines if line.startswith("bob: ")]
            assert said == [f"bob: {n} {text}" for n in range(1, len(said) + 1)]  # no gap
            assert len(said) < count  # it did miss some: they were never queued for it
            assert lines[-1] in ("* you are not reading fast enough: disconnected",
                                 f"bob: {len(said)} {text}")
    run(main())


def test_a_client_that_vanishes_is_announced_without_empty_messages():
    async def main():
        async with chat_server() as (_chat, address):
            alice = await Person.connect(address, "alice")
            for nick in ("reset", "eof"):
                gone = await Person.connect(address, nick)
                assert await alice.line() == f"* {nick} joined"
                await gone.say(b"half a li")  # no newline: this is not a line
                if nick == "reset":  # SO_LINGER on, 0 s: close() sends a reset (RST)
                    sock = gone.writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    gone.writer.transport.abort()
                else:
                    gone.writer.write_eof()
                assert await alice.line() == f"* {nick} left (connection lost)"
                await gone.close()
            assert await alice.nothing_more()
    run(main())


def test_shutdown_tells_every_client_once_then_closes():
    async def main():
        chat = ChatServer()
        connections = Connections(chat.handle)
        server = await asyncio.start_server(connections.connected, "127.0.0.1", 0)
        address = server.sockets[0].getsockname()
        alice = await Person.connect(address, "alice")
        bob = await Person.connect(address, "bob")
        newcomer = await Person.connect(address)  # no nickname yet
        assert await alice.line() == "* bob joined"
        await shut_down(server, connections, before_close=chat.room.shut_down)
        for person in (alice, bob, newcomer):  # one line each, then the end
            assert await person.rest() == ["* the server is shutting down"]
            await person.close()
        assert not chat.room.clients and not connections.open
    run(main())


def test_300_clients_each_message_reaches_every_other_client_once_in_order():
    n, talkers, each = 300, 30, 5

    async def main():
        async with chat_server(max_clients=n) as (chat, address):
            people = []
            for start in range(0, n, 100):
                people += await asyncio.gather(
                    *(Person.connect(address, f"p{i}") for i in range(start, start + 100)))
            assert len(chat.room.members) == n

            async def listen(person: Person, expect: int) -> list[str]:
                got = []
                while len(got) < expect:
                    line = await person.line(10)
                    if not line.startswith("* "):  # joins of the ones after it
                        got.append(line)
                return got

            listening = [asyncio.create_task(listen(p, talkers * each - each * (i < talkers)))
                         for i, p in enumerate(people)]
            for m in range(each):
                for i in range(talkers):
                    people[i].writer.write(f"{m}\n".encode())
            got = await asyncio.gather(*listening)
            for i, lines in enumerate(got):
                for t in range(talkers):
                    mine = [line for line in lines if line.startswith(f"p{t}: ")]
                    assert mine == ([] if t == i else [f"p{t}: {m}" for m in range(each)])
            quiet = await asyncio.gather(*(p.nothing_more(0.1) for p in people))
            assert all(quiet), "a line arrived more than once"
            await asyncio.gather(*(p.close() for p in people))
    run(main())


def test_a_client_that_talks_at_once_still_reads_why_it_was_turned_away():
    """Closing with its unread bytes would reset the connection and lose the last line."""
    async def main():
        async with chat_server(max_clients=1, max_line=64) as (_chat, address):
            await Person.connect(address, "alice")
            reader, writer = await asyncio.open_connection(*address)
            writer.write(b"bob\nhello? anyone?\n")  # before it has read anything
            assert await Person(reader, writer).rest() == ["* the server is full, try again later"]
        async with chat_server(max_line=64) as (_chat, address):
            flood = await Person.connect(address, "flood")
            flood.writer.write(b"x" * 200_000)  # far more than a line, and it goes on sending
            lines = await flood.rest()
            assert lines == ["* that line was longer than 64 bytes: disconnected"], lines
    run(main())


def test_quit_works_before_a_nickname_too():
    async def main():
        async with chat_server() as (chat, address):
            undecided = await Person.connect(address)
            await undecided.say("/quit")
            assert await undecided.rest() == ["* bye"]
            assert not chat.room.members
    run(main())
