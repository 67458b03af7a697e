"""helpers.exercises.framing: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio
import runpy
import struct

from helpers import background
from helpers.exercises.framing import MESSAGES, RELAY, SERVER, _relayed, check
from tests.notebook_tools import NOTEBOOK_DIR

SOLUTION = runpy.run_path(str(NOTEBOOK_DIR / "solutions" / "03-reading-and-framing.py"))
encode_message = SOLUTION["encode_message"]
read_message = SOLUTION["read_message"]


def verdict(encode, read, capsys, timeout: float = 2.0) -> tuple[bool, str]:
    ok = asyncio.run(check(encode, read, timeout=timeout))
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"check prints exactly one line, got {out!r}"
    assert background.get(SERVER) is None and background.get(RELAY) is None
    return ok, out


def test_the_reference_solution_passes(capsys):
    ok, out = verdict(encode_message, read_message, capsys)
    assert ok and out.startswith("✓"), out
    assert f"{len(MESSAGES)} messages" in out


def test_the_stubs_are_not_yet(capsys):
    def encode(message):
        raise NotImplementedError("your code here")

    async def read(reader):
        raise NotImplementedError("your code here")

    ok, out = verdict(encode, read, capsys)
    assert not ok and "encode_message still raises NotImplementedError" in out
    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "read_message still raises NotImplementedError" in out


def test_a_little_endian_length_is_not_yet(capsys):
    def encode(message):
        return struct.pack("<I", len(message)) + message

    ok, out = verdict(encode, read_message, capsys)
    assert not ok and "expected b'\\x00\\x00\\x00\\x02hi'" in out, out


def test_an_async_encoder_or_a_plain_reader_is_not_yet(capsys):
    async def encode(message):
        return encode_message(message)

    ok, out = verdict(encode, read_message, capsys)
    assert not ok and "plain function" in out

    def read(reader):
        return None

    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "async function" in out


async def read_with_read(reader):
    """The classic bug: read(n) returns UP TO n bytes."""
    header = await reader.read(4)
    if not header:
        return None
    (size,) = struct.unpack("!I", header)
    return await reader.readexactly(size)


def test_read_instead_of_readexactly_fails_when_bytes_trickle_in(capsys):
    ok, out = verdict(encode_message, read_with_read, capsys)
    assert not ok and "one at a time" in out and "readexactly(n) waits" in out, out


def test_the_relay_alone_also_catches_read_instead_of_readexactly():
    data = b"".join(encode_message(m) for m in MESSAGES)

    async def main():
        assert await _relayed(read_message, data, timeout=2) == MESSAGES
        try:
            await _relayed(read_with_read, data, timeout=2)
        except struct.error:
            return
        raise AssertionError("read(4) survived the relay's 1-byte pieces")
    asyncio.run(main())


def test_empty_bytes_instead_of_none_at_the_end_is_not_yet(capsys):
    async def read(reader):
        try:
            return await read_message(reader) or b""
        except asyncio.IncompleteReadError:
            raise

    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "should return None, not b''" in out, out


def test_passing_off_a_truncated_message_as_whole_is_not_yet(capsys):
    async def read(reader):
        try:
            return await read_message(reader)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # a cut-short message passed off as a whole one

    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "half a message" in out and "should raise" in out, out


def test_read_n_for_the_body_is_not_yet(capsys):
    async def read(reader):
        try:
            header = await reader.readexactly(4)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            return None
        (size,) = struct.unpack("!I", header)
        return await reader.read(size)  # UP TO size bytes: whatever has arrived

    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "one at a time" in out, out


def test_reading_one_byte_too_many_is_not_yet(capsys):
    async def read(reader):
        header = await reader.readexactly(4)
        (size,) = struct.unpack("!I", header)
        return await reader.readexactly(size + 1)  # off by one

    ok, out = verdict(encode_message, read, capsys)
    assert not ok and "raised IncompleteReadError" in out, out


def test_a_read_that_never_returns_times_out(capsys):
    async def read(reader):
        await asyncio.Event().wait()  # waits for ever, as a read for bytes that never come

    ok, out = verdict(encode_message, read, capsys, timeout=0.3)
    assert not ok and "no message within 0.3 s" in out, out
