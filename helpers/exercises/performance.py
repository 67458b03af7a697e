"""Check for notebook 10's exercise: an echo handler at least 10× faster than ``slow_echo``.

``check(fast_echo)`` serves the learner's handler and ``slow_echo`` (the seed's: 100 bytes
at a time, a ``drain()`` after each write) side by side, on 127.0.0.1, and asks, in order:

1. Does it answer at once? A client sends ``ping\\n`` and waits for it before sending more,
   so a handler that collects everything until the end (``read()`` to EOF) never answers.
2. Does it echo every byte, in order, and close the connection after the client's EOF
   (itself: the check's server would close it for a handler that just returns)?
   About 1 MB that is not a multiple of 64 KiB nor of 100, so a lost tail shows.
3. Does it keep its write buffer small when the client stops reading? The check shrinks the
   kernel's buffers on that connection, sends 2 MiB and reads nothing for a while: a handler
   that awaits ``drain()`` stops reading, one that does not piles it all up in memory.
4. Is it at least 10× faster? The same 1 MiB through both servers, measured now, the best
   of a few runs each (more for the fast one, whose runs last a millisecond: one busy moment
   of the machine would otherwise decide): a ratio from the same run on the same machine,
   never an absolute time. A blocking client in a thread does the sending, so the handlers'
   cost dominates. A handler that reads 64 KiB at a time is 20 to 150× faster here, with
   another program keeping one of the two cores busy.

The measured ratio of the last check is kept in ``last_ratio``.
"""

from __future__ import annotations

import asyncio
import inspect
import socket

from helpers import bench
from helpers.background import close_quietly
from helpers.exercises.contract import Exercise, NotYet, Trial

NEEDED = 10.0  # times faster than slow_echo
PAYLOAD = 1_000_003  # bytes echoed in step 2
TIMED = 1 << 20  # bytes echoed in each timed run
FLOOD = 2 << 20  # bytes sent to a client that does not read (step 3)
BUFFER_LIMIT = 512 << 10  # a handler that drains stays far below this (about 128 KiB)
HINTS = [
    "slow_echo makes one read() and one write() (so one send() system call) per 100 bytes,"
    " like slow_download above. Fewer, bigger calls move the same bytes.",
    "Keep slow_echo's shape: `while data := await reader.read(N):` write the data, await"
    " writer.drain(); then close. Pick N = 64 * 1024: the reader hands over whatever it has,"
    " up to N bytes, at once.",
]

last_ratio: float | None = None  # slow_echo's time / fast_echo's, from the last check


async def slow_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The seed's echo loop: read up to 100 bytes, write them back, drain; until EOF."""
    while data := await reader.read(100):
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def _errors(srv, name: str) -> None:
    """NotYet with the handler's own exception, if it raised one."""
    if srv.errors:
        exc = srv.errors[0]
        if isinstance(exc, NotImplementedError):
            raise NotYet(f"{name} still raises NotImplementedError: write its body")
        raise NotYet(f"{name} raised {type(exc).__name__}: {exc}")


async def _answers_at_once(srv, name: str) -> None:
    reader, writer = await asyncio.open_connection(*srv.address)
    try:
        writer.write(b"ping\n")
        got = b""
        try:
            async with asyncio.timeout(1.0):
                while len(got) < 5:
                    chunk = await reader.read(100)
                    if not chunk:
                        break
                    got += chunk
        except TimeoutError:
            _errors(srv, name)
            raise NotYet(f"{name} sent nothing back for b'ping\\n' within 1 s while the"
                         " client waited for it: echo what arrives as it arrives, not at"
                         " the end") from None
        except ConnectionError:
            pass  # judged below: its error, or what arrived
        await asyncio.sleep(0.01)  # a handler that failed: let its error arrive
        _errors(srv, name)
        if got != b"ping\n":
            raise NotYet(f"{name} answered b'ping\\n' with {got!r}")
    finally:
        await close_quietly(writer)


async def _echoes_everything(srv, name: str) -> None:
    payload = bench.payload_of(PAYLOAD)
    reader, writer = await asyncio.open_connection(*srv.address)
    got = bytearray()
    try:
        async def send() -> None:
            writer.write(payload)
            await writer.drain()
            writer.write_eof()

        sending = asyncio.create_task(send())
        try:
            async with asyncio.timeout(5.0):
                while len(got) < len(payload) and (chunk := await reader.read(1 << 16)):
                    got += chunk
                await sending
        except TimeoutError:
            sending.cancel()
            _errors(srv, name)
            raise NotYet(f"{name} echoed {len(got):,} of {len(payload):,} bytes within"
                         " 5 s") from None
        except ConnectionError:
            pass  # judged below, by what arrived
        if len(got) == len(payload):  # then the end: EOF, soon
            try:
                async with asyncio.timeout(1.0):
                    extra = await reader.read(1 << 16)
            except TimeoutError:
                _errors(srv, name)
                raise NotYet(f"{name} echoed every byte but did not close the connection"
                             " after the client's EOF: when read() returns b'', close the"
                             " writer") from None
            except ConnectionError:
                extra = b""
            got += extra
    finally:
        await close_quietly(writer)
    _errors(srv, name)
    if bytes(got) != payload:
        if len(got) != len(payload):
            raise NotYet(f"{name} echoed {len(got):,} bytes for {len(payload):,} sent")
        first = next(i for i, (a, b) in enumerate(zip(got, payload, strict=True)) if a != b)
        raise NotYet(f"{name}'s echo differs from what was sent, from byte {first:,} on")


async def _keeps_its_buffer_small(srv, name: str) -> int:
    """The largest write buffer the handler held while the client did not read."""
    before = set(srv.connections)  # earlier connections may still be closing
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # before connecting
    client.setblocking(False)
    await asyncio.get_running_loop().sock_connect(client, srv.address)
    reader, writer = await asyncio.open_connection(sock=client)
    peak = 0
    try:
        async with asyncio.timeout(2.0):
            while not srv.connections - before:
                await asyncio.sleep(0.005)
        (theirs,) = srv.connections - before
        theirs.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                                   32 * 1024)
        writer.write(bench.payload_of(FLOOD))  # all at once, and read nothing for a while
        loop = asyncio.get_running_loop()
        until = loop.time() + 0.4
        while loop.time() < until and peak <= BUFFER_LIMIT:
            await asyncio.sleep(0.01)
            peak = max(peak, theirs.transport.get_write_buffer_size())
        _errors(srv, name)
        got = 0
        writer.write_eof()
        async with asyncio.timeout(5.0):
            while chunk := await reader.read(1 << 16):
                got += len(chunk)
    except TimeoutError:
        _errors(srv, name)
        raise NotYet(f"{name} did not echo {FLOOD >> 20} MiB to a client that reads late"
                     " within 5 s") from None
    finally:
        await close_quietly(writer)
    if peak > BUFFER_LIMIT:
        raise NotYet(f"{name}'s write buffer grew past {BUFFER_LIMIT >> 10} KiB while the client"
                     " was not reading: await writer.drain() after each write, so it waits"
                     " instead of piling up what it reads")
    if got != FLOOD:
        raise NotYet(f"{name} echoed {got:,} of {FLOOD:,} bytes to a client that read late")
    return peak


async def _best_time(srv, payload: bytes, runs: int, budget: float = 0.0,
                     most: int = 30) -> float:
    """The shortest of ``runs`` timed echoes, more while they took under ``budget`` s in all.

    A fast handler echoes 1 MiB in about a millisecond, so one busy moment of the machine
    can make a run several times slower; the best of many runs is the handler's own speed.
    """
    best, spent, done = float("inf"), 0.0, 0
    while done < runs or (spent < budget and done < most):
        seconds, got = await asyncio.to_thread(bench.echo_throughput, srv.port, payload,
                                               False, 5.0)
        if got != len(payload):
            raise NotYet(f"echoed {got:,} of {len(payload):,} bytes in a timed run")
        best = min(best, seconds)
        spent += seconds
        done += 1
    return best


async def _run(trial: Trial, fast_echo) -> str:
    """Serve ``fast_echo(reader, writer)`` beside slow_echo; is it right, and 10× faster?"""
    global last_ratio
    last_ratio = None
    name = getattr(fast_echo, "__name__", "your handler")
    if not inspect.iscoroutinefunction(fast_echo):
        raise NotYet(f"{name} must be a coroutine function (async def), as start_server"
                     " handlers are")
    closed: list[bool] = []  # for each connection: had the handler closed it when it returned?

    async def served(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await fast_echo(reader, writer)
        finally:
            closed.append(writer.is_closing())

    fast = await trial.serve("_check_fast_echo", served)
    slow = await trial.serve("_check_slow_echo", slow_echo)
    await _answers_at_once(fast, name)
    await _echoes_everything(fast, name)
    if not all(closed):  # the server's wrapper closed it for the handler
        raise NotYet(f"{name} echoed every byte but returned without closing the connection:"
                     " when read() returns b'', close the writer (asyncio before 3.13 leaves"
                     " the connection open)")
    await _keeps_its_buffer_small(fast, name)
    payload = bench.payload_of(TIMED)
    try:
        slow_time = await _best_time(slow, payload, 2)
        fast_time = await _best_time(fast, payload, 5, budget=0.1)
    except TimeoutError:
        _errors(fast, name)
        raise NotYet(f"{name} stalled for 5 s while echoing {TIMED >> 20} MiB") from None
    _errors(fast, name)
    last_ratio = slow_time / fast_time
    if last_ratio < NEEDED:
        raise NotYet(f"{name} is {last_ratio:.1f}× as fast as slow_echo, measured just now;"
                     f" make it at least {NEEDED:g}× faster")
    return (f"{name} answers at once, echoes every byte, closes at EOF, keeps its buffer"
            f" small, and is at least {NEEDED:g}× faster than slow_echo, measured just now")


check = Exercise(_run, hints=HINTS, deadline=60)
hint = check.hint
