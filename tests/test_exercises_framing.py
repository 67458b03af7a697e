"""helpers.exercises.framing: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio
import struct

from helpers.exercises.contract import Trial
from helpers.exercises.framing import MESSAGES, _relayed, check
from tests import exercise_support
from tests.exercise_support import solution

encode_message = solution("03-reading-and-framing", "encode_message")
read_message = solution("03-reading-and-framing", "read_message")


def verdict(encode, read, timeout: float = 2.0) -> tuple[bool, str]:
    """The one-line verdict, contract asserted (one line, nothing left running)."""
    return exercise_support.judge(check, encode, read, timeout=timeout)


def test_the_reference_solution_passes():
    ok, out = verdict(encode_message, read_message)
    assert ok and out.startswith("✓"), out
    assert f"{len(MESSAGES)} messages" in out


def test_the_stubs_are_not_yet():
    def encode(message):
        raise NotImplementedError("your code here")

    async def read(reader):
        raise NotImplementedError("your code here")

    ok, out = verdict(encode, read)
    assert not ok and "encode_message still raises NotImplementedError" in out
    ok, out = verdict(encode_message, read)
    assert not ok and "read_message still raises NotImplementedError" in out


def test_a_little_endian_length_is_not_yet():
    def encode(message):
        return struct.pack("<I", len(message)) + message

    ok, out = verdict(encode, read_message)
    assert not ok and "expected b'\\x00\\x00\\x00\\x02hi'" in out, out


def test_an_async_encoder_or_a_plain_reader_is_not_yet():
    async def encode(message):
        return encode_message(message)

    ok, out = verdict(encode, read_message)
    assert not ok and "plain function" in out

    def read(reader):
        return None

    ok, out = verdict(encode_message, read)
    assert not ok and "async function" in out


async def read_with_read(reader):
    """The classic bug: read(n) returns UP TO n bytes."""
    header = await reader.read(4)
    if not header:
        return None
    (size,) = struct.unpack("!I", header)
    return await reader.readexactly(size)


def test_read_instead_of_readexactly_fails_when_bytes_trickle_in():
    ok, out = verdict(encode_message, read_with_read)
    assert not ok and "one at a time" in out and "readexactly(n) waits" in out, out


def test_the_relay_alone_also_catches_read_instead_of_readexactly():
    data = b"".join(encode_message(m) for m in MESSAGES)

    async def main():
        trial = Trial()
        try:
            assert await _relayed(trial, read_message, data, timeout=2) == MESSAGES
            try:
                await _relayed(trial, read_with_read, data, timeout=2)
            except struct.error:
                return
            raise AssertionError("read(4) survived the relay's 1-byte pieces")
        finally:
            await trial.close()
    asyncio.run(main())


def test_empty_bytes_instead_of_none_at_the_end_is_not_yet():
    async def read(reader):
        try:
            return await read_message(reader) or b""
        except asyncio.IncompleteReadError:
            raise

    ok, out = verdict(encode_message, read)
    assert not ok and "should return None, not b''" in out, out


def test_passing_off_a_truncated_message_as_whole_is_not_yet():
    async def read(reader):
        try:
            return await read_message(reader)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # a cut-short message passed off as a whole one

    ok, out = verdict(encode_message, read)
    assert not ok and "half a message" in out and "should raise" in out, out


def test_read_n_for_the_body_is_not_yet():
    async def read(reader):
        try:
            header = await reader.readexactly(4)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            return None
        (size,) = struct.unpack("!I", header)
        return await reader.read(size)  # UP TO size bytes: whatever has arrived

    ok, out = verdict(encode_message, read)
    assert not ok and "one at a time" in out, out


def test_reading_one_byte_too_many_is_not_yet():
    async def read(reader):
        header = await reader.readexactly(4)
        (size,) = struct.unpack("!I", header)
        return await reader.readexactly(size + 1)  # off by one

    ok, out = verdict(encode_message, read)
    assert not ok and "raised IncompleteReadError" in out, out


def test_a_read_that_never_returns_times_out():
    async def read(reader):
        await asyncio.Event().wait()  # waits for ever, as a read for bytes that never come

    ok, out = verdict(encode_message, read, timeout=0.3)
    assert not ok and "no message within 0.3 s" in out, out


def test_an_encoder_right_only_for_short_messages_is_named():
    """One length byte: right for b'hi', wrong for 1000 bytes; the reader is not blamed."""
    def encode(message):
        return bytes([0, 0, 0, len(message) % 256]) + message

    ok, out = verdict(encode, read_message)
    assert not ok and out.startswith(
        "✗ not yet: encode_message of a 256-byte message returned b'\\x00\\x00\\x00\\x00"), out
    assert out.endswith(
        "expected the header b'\\x00\\x00\\x01\\x00' (struct.pack('!I', 256)) then the"
        " message"), out
