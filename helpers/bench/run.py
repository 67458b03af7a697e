"""The run: which variant is measured how, in what order, against which baseline."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable

from helpers.bench.clients import (
    asyncio_round_trips,
    concurrent_round_trips,
    echo_throughput,
    payload_of,
    round_trips,
    socketpair_one_way,
    tcp_one_way,
)
from helpers.bench.report import (
    Report,
    Result,
    buffer_bound,
    mb_per_s,
    percentile,
    uvloop_version,
    with_ratios,
)
from helpers.bench.servers import ServerProcess, raise_fd_limit, servers
from helpers.bench.sizes import (
    DEFAULT_LIMIT,
    LIMITS,
    QUICK,
    READ_SIZES,
    MiB,
    Size,
    size_name,
    variant,
)

THROUGHPUT = [  # (result name, loop, server variant)
    ("blocking sockets, a thread each", "asyncio", "threads"),
    ("asyncio Protocol", "asyncio", "protocol"),
    ("Streams, read(64 KiB)", "asyncio", "streams 64 KiB"),
    ("Streams, read(100) (the seed's)", "asyncio", "streams 100 B"),
    ("Streams, 100 B writes, drain each", "asyncio", "drain each"),
    ("Streams, 100 B writes, writelines", "asyncio", "writelines"),
    ("uvloop Protocol", "uvloop", "protocol"),
    ("uvloop Streams, read(64 KiB)", "uvloop", "streams 64 KiB"),
    ("uvloop Streams, read(100)", "uvloop", "streams 100 B"),
]


def limit_name(limit: int, read: int, loop_name: str = "asyncio") -> str:
    """``"Streams, limit 1 MiB, read(256 KiB)"``: one row of the limit sweep."""
    default = " (default)" if limit == DEFAULT_LIMIT else ""
    prefix = "uvloop Streams" if loop_name == "uvloop" else "Streams"
    return f"{prefix}, limit {size_name(limit)}{default}, read({size_name(read)})"


LIMIT_SWEEP = [  # (result name, loop, server variant, limit, read size)
    (limit_name(limit, read, loop_name), loop_name, variant(limit, read), limit, read)
    for loop_name in ("asyncio", "uvloop") for limit in LIMITS for read in READ_SIZES
]
LATENCY = [
    ("blocking sockets, a thread each", "asyncio", "threads reply"),
    ("asyncio Protocol", "asyncio", "protocol reply"),
    ("Streams", "asyncio", "streams reply"),
    ("uvloop Streams", "uvloop", "streams reply"),
]
BASELINES = {
    "throughput": THROUGHPUT[0][0],
    "limit": THROUGHPUT[0][0],
    "ceiling": THROUGHPUT[0][0],
    "latency": LATENCY[0][0] + " p50",
    "nagle": "raw socket, TCP_NODELAY",
    "scaling": "1 client",
}
GROUPS = ("throughput", "limit", "latency", "scaling")


Move = Callable[[bytes], tuple[float, int]]


def best_rates(moves: list[tuple[str, Move]], repeats: int, payload: bytes) -> dict[str, float]:
    """The best MB/s of each ``move(payload)`` over ``repeats`` rounds; each must move every
    byte. Round robin (each variant once per round), so a busy moment of the machine
    slows one run of many variants, not every run of one."""
    best = {name: 0.0 for name, _ in moves}
    for _ in range(repeats):
        for name, move in moves:
            seconds, moved = move(payload)
            if moved != len(payload):
                raise AssertionError(f"{name}: moved {moved} of {len(payload)} bytes")
            best[name] = max(best[name], mb_per_s(moved, seconds))
    return best


FAST = {"threads", "protocol", "streams 64 KiB"}  # what the sweep is compared with


def measure_throughput(report: Report, ports: dict[str, ServerProcess], verify: bool = False,
                       *, fast_only: bool = False, sweep: bool = False) -> None:
    """Every echo variant (``fast_only``: the baseline, Protocol and default Streams only),
    the limit sweep with its pause counts (``sweep``), then, unless ``fast_only``, the
    one-way transfers. The echoes take turns, round after round."""
    size = report.size
    payload = payload_of(size.payload)
    moves: list[tuple[str, Move]] = []
    for name, loop_name, kind in THROUGHPUT:
        if loop_name in ports and (kind in FAST or not fast_only):
            moves.append((name, functools.partial(echo_throughput, ports[loop_name][kind],
                                                  verify=verify)))
    cells = [cell for cell in LIMIT_SWEEP if sweep and cell[1] in ports]
    for name, loop_name, kind, _, _ in cells:
        moves.append((name, functools.partial(echo_throughput, ports[loop_name][kind],
                                              verify=verify)))
    before = {loop_name: process.pause_counts() for loop_name, process in ports.items()}
    best = best_rates(moves, size.repeats, payload)
    after = {loop_name: process.pause_counts() for loop_name, process in ports.items()}
    for name, _, _ in THROUGHPUT:
        if name in best:
            report.results.append(Result("throughput", name, best[name], "MB/s"))
    for name, loop_name, kind, limit, read in cells:
        count = after[loop_name][kind].since(before[loop_name][kind])
        mib = count.received / MiB
        report.results.append(Result(
            "limit", name, best[name], "MB/s", limit=limit, read_size=read,
            pauses_per_mib=count.pauses / mib, resumes_per_mib=count.resumes / mib,
            peak_buffer=count.peak, buffer_bound=buffer_bound(limit)))
    if fast_only:
        return
    ceilings: list[tuple[str, Move]] = [("TCP loopback, one way", tcp_one_way),
                                        ("socketpair, one way", socketpair_one_way)]
    for name, rate in best_rates(ceilings, size.repeats, payload).items():
        report.results.append(Result("ceiling", name, rate, "MB/s"))


def measure_latency(report: Report, ports: dict[str, ServerProcess]) -> None:
    size = report.size
    for name, loop_name, kind in LATENCY:
        if loop_name not in ports:
            continue
        round_trips(ports[loop_name][kind], 50)  # warm up: connection, caches
        samples = round_trips(ports[loop_name][kind], size.round_trips)
        report.samples[name] = samples
        report.results.append(Result("latency", f"{name} p50", percentile(samples, 50), "µs"))
        report.results.append(Result("latency", f"{name} p99", percentile(samples, 99), "µs"))
    port = ports["asyncio"]["streams reply"]
    n = size.nagle_round_trips
    nagle = {
        "raw socket, TCP_NODELAY": round_trips(port, n, pieces=2, nodelay=True),
        "raw socket, Nagle (no TCP_NODELAY)": round_trips(port, n, pieces=2, nodelay=False),
    }
    nagle["asyncio open_connection"], on = asyncio.run(asyncio_round_trips(port, n))
    report.nodelay["an open_connection socket"] = on
    for name, samples in nagle.items():
        report.samples[f"two pieces: {name}"] = samples
        report.results.append(Result("nagle", name, percentile(samples, 50), "µs"))


def measure_scaling(report: Report, ports: dict[str, ServerProcess]) -> None:
    size = report.size
    limit = raise_fd_limit()
    port = ports["asyncio"]["streams 64 KiB"]
    for clients in size.clients:
        if 2 * clients + 64 > limit:
            report.results.append(Result("scaling", f"{clients} clients: skipped,"
                                         f" only {limit} open files allowed", 0.0, "rt/s"))
            continue
        seconds, done = asyncio.run(
            concurrent_round_trips(port, clients, size.scaling_round_trips))
        label = "1 client" if clients == 1 else f"{clients:,} clients"
        report.results.append(Result("scaling", label, done / seconds, "rt/s"))


def run(size: Size = QUICK, *, groups: tuple[str, ...] = GROUPS,
        use_uvloop: bool = True, verify: bool = False) -> Report:
    """Run the benchmark (blocking: from a notebook, ``await asyncio.to_thread(run, ...)``).

    ``groups``: any of "throughput" (with the one-way transfers), "limit" (the sweep),
    "latency" (with Nagle's algorithm) and "scaling". The sweep's ratios are against the
    blocking sockets of "throughput", which is measured whenever "limit" is asked for.
    """
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"no such group: {', '.join(sorted(unknown))}")
    report = Report(size, uvloop=uvloop_version() if use_uvloop else None,
                    uvloop_left_out=not use_uvloop)
    with contextlib.ExitStack() as stack:
        ports = {"asyncio": stack.enter_context(servers("asyncio"))}
        if report.uvloop:
            ports["uvloop"] = stack.enter_context(servers("uvloop"))
        if "throughput" in groups or "limit" in groups:
            measure_throughput(report, ports, verify, fast_only="throughput" not in groups,
                               sweep="limit" in groups)
        if "latency" in groups:
            measure_latency(report, ports)
        if "scaling" in groups:
            measure_scaling(report, ports)
    present = {r.group for r in report.results}
    with_ratios(report.results, {g: b for g, b in BASELINES.items() if g in present})
    return report
