"""helpers.framing: three framings survive any split of the byte stream.

The property test feeds the encoded bytes to a StreamReader in arbitrary pieces,
with the loop running between pieces (so a reader really waits mid-message);
the relay test does the same over real TCP connections on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.background import serve, stop_all
from helpers.framing import (
    FRAMINGS,
    HEADER,
    encode_delimited,
    encode_length_prefixed,
    encode_line,
    read_all,
    read_delimited,
    read_length_prefixed,
    read_line,
    readuntil_any,
)
from helpers.relay import start_relay


def fed(data: bytes, *, eof: bool = True, limit: int = 2**16) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=limit)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def run(coro_fn, *args):
    """Run ``coro_fn(*args)`` in a fresh loop (a StreamReader needs a loop to exist)."""
    async def main():
        return await coro_fn(*args)
    return asyncio.run(main())


async def read_in_pieces(read, data: bytes, sizes: list[int]) -> list[bytes]:
    """Read every message while ``data`` arrives in pieces of ``sizes`` (cycled)."""
    reader = asyncio.StreamReader()

    async def feed() -> None:
        start = 0
        for size in itertools.cycle(sizes):
            if start >= len(data):
                break
            reader.feed_data(data[start:start + size])
            start += size
            await asyncio.sleep(0)  # the reader runs, sees a partial message, waits
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    try:
        return await read_all(reader, read)
    finally:
        await feeder


# -- the wire formats ----------------------------------------------------------------

def test_the_wire_formats():
    assert encode_line(b"hi") == b"hi\n"
    assert encode_length_prefixed(b"hi") == b"\x00\x00\x00\x02hi"
    assert encode_length_prefixed(b"") == b"\x00\x00\x00\x00"
    assert encode_length_prefixed(b"x" * 258)[:4] == b"\x00\x00\x01\x02"  # big-endian
    assert encode_delimited(b"hi") == b"hi\r\n\r\n"
    assert encode_delimited(b"a\nb", b"--") == b"a\nb--"
    assert HEADER.size == 4


def test_a_message_that_would_end_early_is_refused():
    with pytest.raises(ValueError, match="newline"):
        encode_line(b"two\nlines")
    with pytest.raises(ValueError, match="separator"):
        encode_delimited(b"a\r\n\r\nb")
    # b"a\r\n" + b"\r\n\r\n" holds the separator one byte early: refused, not corrupted.
    with pytest.raises(ValueError, match="separator"):
        encode_delimited(b"a\r\n")
    with pytest.raises(ValueError, match="at least one byte"):
        encode_delimited(b"a", b"")
    assert encode_delimited(b"a\r") == b"a\r\r\n\r\n"  # a lone \r is fine
    assert FRAMINGS["separator"].can_carry(b"a\r\nb")
    assert not FRAMINGS["separator"].can_carry(b"a\r\n")
    assert not FRAMINGS["newline"].can_carry(b"\n")
    assert FRAMINGS["length-prefixed"].can_carry(b"\n\r\n\r\n")


@pytest.mark.parametrize("name", list(FRAMINGS))
def test_a_clean_end_is_none_and_a_truncated_message_raises(name):
    framing = FRAMINGS[name]
    whole = framing.encode(b"hello")

    async def main():
        assert await framing.read(fed(b"")) is None
        assert await framing.read(fed(whole)) == b"hello"
        for cut in range(1, len(whole)):
            with pytest.raises(asyncio.IncompleteReadError) as info:
                await framing.read(fed(whole[:cut]))
            assert whole[:cut].endswith(info.value.partial)  # the tail that had arrived
    run(main)


def test_read_line_keeps_an_over_long_line_in_the_buffer():
    async def main():
        reader = fed(b"x" * 20 + b"\nok\n", limit=8)
        with pytest.raises(asyncio.LimitOverrunError):
            await read_line(reader)
        assert await reader.readexactly(21) == b"x" * 20 + b"\n"  # nothing was lost
        assert await read_line(reader) == b"ok"
    run(main)


def test_read_length_prefixed_refuses_a_huge_length_before_reading_it():
    async def main():
        reader = fed(HEADER.pack(2**31) + b"tiny")
        with pytest.raises(ValueError, match="over the limit"):
            await read_length_prefixed(reader)
        reader = fed(encode_length_prefixed(b"x" * 100))
        with pytest.raises(ValueError):
            await read_length_prefixed(reader, max_size=99)
        assert await read_length_prefixed(fed(encode_length_prefixed(b"x" * 99)), 99)
    run(main)


def test_read_delimited_with_another_separator():
    async def main():
        reader = fed(b"one--two----")
        assert await read_delimited(reader, b"--") == b"one"
        assert await read_delimited(reader, b"--") == b"two"
        assert await read_delimited(reader, b"--") == b""
        assert await read_delimited(reader, b"--") is None
    run(main)


def test_readuntil_any_returns_the_shortest_match():
    async def main():
        reader = fed(b"GET /\r\nHost: x\nrest")
        assert await readuntil_any(reader, [b"\r\n", b"\n"]) == b"GET /\r\n"
        assert await readuntil_any(reader, (b"\r\n", b"\n")) == b"Host: x\n"
        with pytest.raises(asyncio.IncompleteReadError) as info:
            await readuntil_any(reader, [b"\n"])
        assert info.value.partial == b"rest"
        with pytest.raises(ValueError):
            await readuntil_any(fed(b"x"), [b""])
    run(main)


# -- any messages, any split ---------------------------------------------------------

# Bytes that are, or are parts of, the separators: the cases that break a framing.
TRICKY = st.lists(st.sampled_from([b"\n", b"\r", b"\r\n", b"\x00", b"a", b"\xff"]),
                  max_size=12).map(b"".join)
MESSAGE = st.one_of(st.binary(max_size=40), TRICKY)
MESSAGES = {name: st.lists(MESSAGE.filter(f.can_carry), max_size=8)
            for name, f in FRAMINGS.items()}


@pytest.fixture(scope="module")
def loop():
    """One event loop for every example (a new loop each time is the slow part)."""
    with asyncio.Runner() as runner:
        yield runner


@pytest.mark.parametrize("name", list(FRAMINGS))
@settings(max_examples=60, deadline=None)
@given(data=st.data(),
       sizes=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=8))
def test_any_messages_survive_any_split(loop, name, data, sizes):
    framing = FRAMINGS[name]
    messages = data.draw(MESSAGES[name])
    wire = b"".join(framing.encode(m) for m in messages)
    assert loop.run(read_in_pieces(framing.read, wire, sizes)) == messages


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=30), seps=st.lists(TRICKY.filter(bool), min_size=1, max_size=3))
def test_readuntil_any_stops_at_the_first_end_of_any_separator(loop, data, seps):
    ends = [i + len(s) for s in seps for i in range(len(data)) if data.startswith(s, i)]

    async def main():
        try:
            return await readuntil_any(fed(data), seps)
        except asyncio.IncompleteReadError as exc:
            return exc
    got = loop.run(main())
    if ends:
        assert got == data[:min(ends)]
    else:
        assert isinstance(got, asyncio.IncompleteReadError) and got.partial == data


# -- through real sockets and the relay ------------------------------------------------

@pytest.mark.parametrize("name", list(FRAMINGS))
def test_messages_survive_the_relay_over_tcp(name):
    framing = FRAMINGS[name]
    messages = [b"hello", b"", b"x" * 300, b"caf\xc3\xa9", b"last"]
    if name == "length-prefixed":
        messages.append(b"any\nbytes\r\n\r\n\x00")

    async def main():
        got = []

        async def collect(reader, writer):
            got.append(await read_all(reader, framing.read))

        srv = await serve("t-framing", collect)
        relay = await start_relay("t-framing-relay", srv.address, chunks=[1, 2, 3, 7],
                                  pause=0.001)
        try:
            reader, writer = await asyncio.open_connection(*relay.address)
            writer.write(b"".join(framing.encode(m) for m in messages))  # ONE write
            writer.write_eof()
            async with asyncio.timeout(5):
                assert await reader.read() == b""  # the server closed: it read everything
            writer.close()
            await writer.wait_closed()
        finally:
            await stop_all()
        assert got == [messages]
        assert srv.errors == [] and relay.errors == []
        pieces = relay.pieces()
        assert [len(p) for p in pieces[:4]] == [1, 2, 3, 7]  # really cut up
        assert b"".join(pieces) == b"".join(framing.encode(m) for m in messages)
    asyncio.run(main())
