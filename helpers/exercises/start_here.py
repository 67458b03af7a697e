"""Check for 00-start-here's exercise: make a slow coroutine stop blocking the event loop.

The learner gets ``nap_then_echo(message, address)``, which naps 0.3 s with
``time.sleep`` and then asks an echo server. The nap is fine; the *blocking* is
not: while ``time.sleep`` runs, no other task, and no server, in the kernel runs.

``check`` starts its own echo server and a heartbeat task that ticks every 10 ms,
runs the learner's function, and looks at the longest silence of the heartbeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

from helpers.background import serve, stop
from helpers.cli import describe
from helpers.echo import handle_echo
from helpers.exercises.attempt import attempt, not_yet

NAP = 0.3  # seconds the function must take (it is a nap, after all)
TICK = 0.01  # the heartbeat's period
FROZEN = NAP - 0.01  # time.sleep(NAP) silences the heartbeat for NAP s at least; keep
# the margin thin so a busy machine pausing us briefly is not taken for a blocked loop
NAME = "start-here-check"


async def _beat(ticks: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        ticks.append(loop.time())
        await asyncio.sleep(TICK)


async def check(fn: Callable, timeout: float = 5.0) -> bool:
    """Print ✓ or "✗ not yet: why"; return whether ``fn`` naps without blocking the loop."""
    name = getattr(fn, "__name__", "your function")
    srv = await serve(NAME, handle_echo)
    loop = asyncio.get_running_loop()
    ticks: list[float] = []
    heartbeat = asyncio.create_task(_beat(ticks))
    try:
        await asyncio.sleep(0)  # the first tick
        start = loop.time()
        reply, problem = await attempt(fn, "ping", srv.address, name=name, timeout=timeout,
                                       say=describe)
        end = loop.time()
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
        await stop(NAME)
    if problem is not None:
        return not_yet(problem)
    beats = [start] + [t for t in ticks if start < t < end] + [end]
    silence = max(b - a for a, b in pairwise(beats))
    if end - start < NAP - 0.05:
        return not_yet(f"{name} returned too soon: keep the {NAP} s nap, "
                       "just make it non-blocking")
    if silence >= FROZEN:
        return not_yet(f"the event loop stood still during {name} "
                       "(a blocking call such as time.sleep?)")
    if reply != "ping":
        return not_yet(f"expected the echo 'ping', got {reply!r}")
    print(f"✓ {name} naps without blocking: the event loop kept running, "
          "and the echo came back")
    return True
