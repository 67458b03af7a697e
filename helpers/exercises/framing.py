"""Check for notebook 03's exercise: a length-prefixed message codec.

The learner writes two functions:

* ``encode_message(message: bytes) -> bytes``: a 4-byte big-endian unsigned
  length (``struct.pack("!I", len(message))``), then the message;
* ``async def read_message(reader) -> bytes | None``: the next message; ``None``
  when the stream ends cleanly between messages; ``asyncio.IncompleteReadError``
  when it ends in the middle of one.

The check tries the wire format, a clean end, the messages split into 1-byte
pieces, the messages through a real relay that re-chunks them
(``helpers.relay``), and truncated input. It prints one line: ✓ or ✗ not yet.
"""

from __future__ import annotations

import asyncio
import inspect
import struct
from collections.abc import Callable

from helpers.background import stop
from helpers.exercises.contract import Exercise, NotYet, Trial
from helpers.exercises.contract import short as _short
from helpers.relay import start_relay

SERVER = "_check_framing_server"  # private names: never clash with the notebook's
RELAY = "_check_framing_relay"
MESSAGES = [
    b"hello",
    b"",  # an empty message is a message, not the end
    b"two\nlines",  # a newline is just a byte here
    bytes(range(256)),  # any bytes at all
    b"x" * 1000,
]
#: How the relay cuts the stream: pieces of 1, 2, 3, 5, 8, ... bytes.
CHUNKS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610]
HINTS = [
    "encode_message: struct.pack('!I', len(message)) + message. read_message: first"
    " readexactly(4) for the header, then readexactly(size) for the body: read(n) may"
    " return fewer than n bytes.",
    "At the end of the stream readexactly raises asyncio.IncompleteReadError; its"
    " .partial is b'' when the stream ended cleanly between messages (return None),"
    " anything else means a cut-short message (raise it again).",
]


def _frame(message: bytes) -> bytes:
    """The reference wire format, to test read_message apart from encode_message."""
    return struct.pack("!I", len(message)) + message


def _fed(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def _read_all(read: Callable, reader: asyncio.StreamReader) -> list:
    messages = []
    while (message := await read(reader)) is not None:
        messages.append(message)
        if len(messages) > len(MESSAGES):
            break  # a reader that never returns None must not loop forever
    return messages


def _compare(got: object, how: str) -> str | None:
    if got == MESSAGES:
        return None
    if not isinstance(got, list) or not all(isinstance(m, bytes) for m in got):
        return f"{how}, read_message should return bytes, got {_short(got)}"
    if len(got) != len(MESSAGES):
        return f"{how}, wrote {len(MESSAGES)} messages, read back {len(got)}: {_short(got)}"
    for sent, read in zip(MESSAGES, got, strict=True):
        if sent != read:
            return f"{how}, wrote {_short(sent)}, read back {_short(read)}"
    return None


async def _trickled(read: Callable, data: bytes) -> list:
    """Read while ``data`` arrives one byte at a time (the loop runs between bytes)."""
    reader = asyncio.StreamReader()

    async def trickle() -> None:
        for i in range(len(data)):
            reader.feed_data(data[i:i + 1])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.create_task(trickle())
    try:
        return await _read_all(read, reader)
    finally:
        feeder.cancel()


async def _relayed(trial: Trial, read: Callable, data: bytes, timeout: float) -> list:
    """Send ``data`` in one write through a re-chunking relay to a server that reads it."""
    results: list = []

    async def handler(reader, writer) -> None:
        try:
            results.append(await _read_all(read, reader))
        except Exception as exc:  # the learner's error: the check reports it
            results.append(exc)

    srv = await trial.serve(SERVER, handler)  # the trial stops it at the end
    try:
        relay = await start_relay(RELAY, srv.address, chunks=CHUNKS, pause=0.002)
        reader, writer = await asyncio.open_connection(*relay.address)
        try:
            writer.write(data)
            writer.write_eof()
            async with asyncio.timeout(timeout):
                await reader.read()  # the server closes when its reading is done
        finally:
            writer.close()
            await writer.wait_closed()
        await relay.wait_idle(timeout)  # let the relay finish: stop() would cancel it
    finally:
        await stop(RELAY)
    if not results:
        raise TimeoutError
    if isinstance(results[0], Exception):
        raise results[0]
    return results[0]


async def _problem(trial: Trial, encode: Callable, read: Callable,
                   timeout: float) -> str | None:
    """What is wrong with the codec, or None."""
    try:
        wire = encode(b"hi")
    except NotImplementedError:
        return "encode_message still raises NotImplementedError: write its body"
    except Exception as exc:  # the learner's bug: report it, never raise
        return f"encode_message(b'hi') raised {type(exc).__name__}: {exc}"
    if inspect.iscoroutine(wire):
        wire.close()
        return "encode_message should be a plain function (def, not async def)"
    expected = b"\x00\x00\x00\x02hi"
    if wire != expected:
        return (f"encode_message(b'hi') returned {_short(wire)}; expected {expected!r}: "
                "struct.pack('!I', 2) (4 bytes, big-endian), then the message")
    for message in MESSAGES:
        try:
            wire = encode(message)
        except Exception as exc:  # the learner's bug: report it, never raise
            return f"encode_message({_short(message)}) raised {type(exc).__name__}: {exc}"
        if wire != _frame(message):
            size = len(message)
            return (f"encode_message of a {size}-byte message returned {_short(wire, 30)};"
                    f" expected the header {_frame(message)[:4]!r} (struct.pack('!I', {size}))"
                    " then the message")
    if not inspect.iscoroutinefunction(read):
        return "read_message must be an async function (async def read_message(reader))"
    data = b"".join(_frame(m) for m in MESSAGES)
    how = "reading"
    try:
        async with asyncio.timeout(timeout):
            how = "at a clean end of stream"
            got = await read(_fed(b""))
            if got is not None:
                return f"{how}, read_message should return None, not {_short(got)}"
            how = "with all the bytes already there"
            if problem := _compare(await _read_all(read, _fed(data)), how):
                return problem
            how = "with the bytes arriving one at a time"
            if problem := _compare(await _trickled(read, data), how):
                return problem
            how = "through the relay (pieces of 1, 2, 3, 5, 8, ... bytes)"
            if problem := _compare(await _relayed(trial, read, data, timeout), how):
                return problem
            for cut, what in ((b"\x00\x00\x00\x05hel", "half a message"),
                              (b"\x00\x00", "half a header")):
                how = f"on {what} then EOF ({cut!r})"
                try:
                    got = await read(_fed(cut))
                except asyncio.IncompleteReadError:
                    continue
                return (f"{how}, read_message returned {_short(got)}; it should raise "
                        "asyncio.IncompleteReadError (readexactly does)")
    except NotImplementedError:
        return "read_message still raises NotImplementedError: write its body"
    except TimeoutError:
        return (f"{how}: no message within {timeout} s. Does read_message wait for more "
                "bytes than the header announced?")
    except Exception as exc:  # the learner's bug: report it, never raise
        hint = ""
        if "unpack requires a buffer" in str(exc):
            hint = (" (reader.read(n) returns UP TO n bytes, whatever has arrived; "
                    "readexactly(n) waits for all n)")
        return f"{how}, read_message raised {type(exc).__name__}: {exc}{hint}"
    return None


async def _run(trial: Trial, encode: Callable, read: Callable, timeout: float = 2.0) -> str:
    """Print ✓ if the codec round-trips every message however the bytes are split."""
    problem = await _problem(trial, encode, read, timeout)
    if problem is not None:
        raise NotYet(problem)
    return (f"{len(MESSAGES)} messages survived 1-byte pieces and the relay's re-chunking;"
            " a clean end gives None, a truncated message raises IncompleteReadError")


check = Exercise(_run, hints=HINTS, deadline=40)
hint = check.hint
