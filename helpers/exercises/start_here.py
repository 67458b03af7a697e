"""Check for 00-start-here's exercise: make a slow coroutine stop blocking the event loop.

The learner gets ``nap_then_echo(message, address)``, which naps 0.3 s with
``time.sleep`` and then asks an echo server. The nap is fine; the *blocking* is
not: while ``time.sleep`` runs, no other task, and no server, in the kernel runs.

``check`` starts its own echo server and a heartbeat task that ticks every 10 ms,
runs the learner's function, and looks at the longest silence of the heartbeat.
The reply must come from the server (a function that returns its argument without
asking is not an echo client), over a connection the function closes itself.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from helpers.cli import describe
from helpers.echo import handle_echo
from helpers.exercises.contract import Exercise, NotYet, Trial, name_of

NAP = 0.3  # seconds the function must take (it is a nap, after all)
TICK = 0.01  # the heartbeat's period
FROZEN = NAP - 0.01  # time.sleep(NAP) silences the heartbeat for NAP s at least; keep
# the margin thin so a busy machine pausing us briefly is not taken for a blocked loop
NAME = "start-here-check"
HINTS = [
    "time.sleep() holds the whole event loop; its asyncio twin lets other tasks run"
    " while this one waits.",
    "Replace time.sleep(0.3) with await asyncio.sleep(0.3).",
]


async def _beat(ticks: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        ticks.append(loop.time())
        await asyncio.sleep(TICK)


async def _run(trial: Trial, fn, timeout: float = 5.0) -> str:
    """Print ✓ or "✗ not yet: why"; return whether ``fn`` naps without blocking the loop."""
    name = name_of(fn)
    srv = await trial.serve(NAME, handle_echo)
    loop = asyncio.get_running_loop()
    ticks: list[float] = []
    trial.task(_beat(ticks))
    await asyncio.sleep(0)  # the first tick
    start = loop.time()
    reply = await trial.call(fn, "ping", srv.address, name=name, timeout=timeout,
                             say=describe)
    end = loop.time()
    beats = [start] + [t for t in ticks if start < t < end] + [end]
    silence = max(b - a for a, b in pairwise(beats))
    if end - start < NAP - 0.05:
        raise NotYet(f"{name} returned too soon: keep the {NAP} s nap, just make it"
                     " non-blocking")
    if silence >= FROZEN:
        raise NotYet(f"the event loop stood still during {name} (a blocking call such as"
                     " time.sleep?)")
    if srv.served == 0:
        raise NotYet(f"{name} returned {reply!r} without asking the echo server: keep the"
                     " echo_once(...) line")
    if reply != "ping":
        raise NotYet(f"expected the echo 'ping', got {reply!r}")
    return f"{name} naps without blocking: the event loop kept running, and the echo came back"


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
