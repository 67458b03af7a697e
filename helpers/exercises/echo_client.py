"""Check for notebook 01's exercise: ``echo_all(host, port, messages)``.

The learner writes ``async def echo_all(host, port, messages) -> list[str]``:
send every message over ONE connection, collect each echo, close. The check
runs it against a private echo server (the helpers' ``handle_echo``, which
echoes in chunks of at most 100 bytes) and prints one line: ✓ or ✗ not yet.

"Close" is checked twice: the server must see the connection end (a writer kept
somewhere stays open), and the learner's code must close it itself (a writer
simply dropped is closed later by Python's garbage collector, with a warning).
"""

from __future__ import annotations

from helpers.echo import handle_echo
from helpers.exercises.contract import Exercise, NotYet, Trial, short

NAME = "_check_echo_client"  # a private server name: never clashes with the notebook's
MESSAGES = [
    "Hello World!",
    "naïve café ✓",  # more bytes than characters once encoded
    "x" * 250,  # longer than one read(100): the echo comes back in pieces
    "bye",
]
HINTS = [
    "Encode each message and remember len(data), its length in BYTES; after writing it,"
    " await reader.readexactly(len(data)): read(100) may return only part of an echo.",
    "Open the connection once, before the loop; after the loop, writer.close() and"
    " await writer.wait_closed() (a try/finally keeps that even if a read fails).",
]
UNCLOSED = ("the echoes are right, but echo_all never closed its connection (only Python's"
            " garbage collector did, later): end with writer.close(), then"
            " await writer.wait_closed()")
STILL_OPEN = ("the echoes are right, but the connection is still open: writer.close(),"
              " then await writer.wait_closed()")


async def _run(trial: Trial, fn, timeout: float = 2.0) -> str:
    """Print ✓ if ``fn`` echoes every message over one connection and closes it."""
    srv = await trial.serve(NAME, handle_echo)
    got = await trial.call(
        fn, srv.host, srv.port, list(MESSAGES), name="echo_all", timeout=timeout,
        stub="echo_all still raises NotImplementedError: write its body",
        on_timeout=(f"no result within {timeout:g} s. Does it wait for an EOF that never"
                    " comes? The server only closes after YOUR EOF."),
        leak=UNCLOSED)
    if not isinstance(got, list):
        raise NotYet(f"expected a list of str, got {type(got).__name__}")
    if len(got) != len(MESSAGES):
        raise NotYet(f"sent {len(MESSAGES)} messages, got {len(got)} echoes back")
    for sent, echoed in zip(MESSAGES, got, strict=True):
        if echoed != sent:
            raise NotYet(f"sent {short(sent)}, got back {short(echoed)}")
    if srv.served != 1:
        raise NotYet(f"the echoes are right, but you opened {srv.served} connections;"
                     " use ONE for all messages")
    # The server closes its side once it has read the client's EOF.
    if not await srv.wait_idle(timeout=1.0):
        raise NotYet(STILL_OPEN)
    return f"{len(MESSAGES)} messages echoed over one connection, then closed cleanly"


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
