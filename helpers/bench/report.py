"""What one run found: its results, their ratios to a baseline of the same run, the report."""

from __future__ import annotations

import importlib.util
import math
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from helpers.bench.sizes import MESSAGE, RECEIVE, MiB, Size, size_name


@dataclass
class Result:
    """One line of the report: a figure and its ratio to its group's baseline."""

    group: str  # "throughput", "limit", "ceiling", "latency", "nagle", "scaling"
    name: str
    value: float
    unit: str
    ratio: float | None = None  # value / baseline's value, both from this run
    baseline: str | None = None  # the name of the result the ratio is against
    # The "limit" group only: the StreamReader's limit, the handler's read size, how often
    # the reader paused and resumed its transport per MiB received, the most it held at once.
    limit: int | None = None
    read_size: int | None = None
    pauses_per_mib: float | None = None
    resumes_per_mib: float | None = None
    peak_buffer: int | None = None  # bytes, the largest buffer seen on any connection
    buffer_bound: int | None = None  # bytes one connection's reader can hold at most


def buffer_bound(limit: int, receive: int = RECEIVE) -> int:
    """The most a StreamReader with ``limit`` holds: it pauses above 2 × limit, checked after
    each receive is added, so up to one receive more (256 KiB on asyncio's own loop)."""
    return 2 * limit + receive


@dataclass
class Report:
    """Everything one run measured, with the raw latency samples for plots."""

    size: Size
    results: list[Result] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)  # latency, µs
    uvloop: str | None = None  # uvloop's version, or None when it is not installed
    uvloop_left_out: bool = False  # run(use_uvloop=False), --no-uvloop
    nodelay: dict[str, bool] = field(default_factory=dict)  # TCP_NODELAY, as found

    def get(self, name: str) -> Result:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def group(self, group: str) -> list[Result]:
        return [r for r in self.results if r.group == group]

    def best(self, prefix: str = "Streams, limit") -> Result:
        """The fastest row of the limit sweep whose name starts with ``prefix``."""
        return max((r for r in self.group("limit") if r.name.startswith(prefix)),
                   key=lambda r: r.value)

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.results]

    def lines(self) -> Iterator[str]:
        yield (f"Streams Lab benchmark ({self.size.name}): Python {platform.python_version()}"
               f" on {platform.system()}, {os.cpu_count()} cores")
        if self.uvloop_left_out:
            yield "uvloop: left out (--no-uvloop)"
        else:
            yield f"uvloop: {self.uvloop or uvloop_absent()}"
        for name, on in self.nodelay.items():
            yield f"TCP_NODELAY on {name}: {'on' if on else 'off'}"
        headings = {
            "throughput": f"Echo throughput, {self.size.payload // MiB} MiB each way,"
                          f" best of {self.size.repeats} (MB/s of payload echoed)",
            "limit": "Streams with a bigger StreamReader limit (start_server(..., limit=...))"
                     " and read size: MB/s, pauses of reading per MiB, the most buffered",
            "ceiling": "The loopback's raw capacity: one connection, one way, no server (MB/s)",
            "latency": f"Latency of a {MESSAGE}-byte request and its reply,"
                       f" {self.size.round_trips} round trips (µs)",
            "nagle": f"A request written in two pieces, then the reply read,"
                     f" {self.size.nagle_round_trips} round trips (µs, p50)",
            "scaling": f"Round trips per second, {self.size.scaling_round_trips} in all,"
                       " against the Streams echo server",
        }
        width = max(len(r.name) for r in self.results)
        for group, heading in headings.items():
            rows = self.group(group)
            if not rows:
                continue
            base = rows[0].baseline
            yield ""
            yield heading + (f"; ratio to {base!r}" if base else "")
            for r in rows:
                ratio = "" if r.ratio is None else f"{r.ratio:8.2f}×"
                line = f"  {r.name:<{width}}  {r.value:>10.1f} {r.unit:<4} {ratio}"
                if r.pauses_per_mib is not None and r.peak_buffer is not None:
                    line += (f"  {r.pauses_per_mib:6.2f} pauses/MiB,"
                             f" peak {size_name_round(r.peak_buffer)}")
                yield line
            if group == "limit":
                yield from self.memory_lines()
        yield ""
        yield "Ratios are against a figure measured in this same run; loopback figures differ"
        yield "from machine to machine and from run to run."

    def memory_lines(self) -> Iterator[str]:
        """What each limit costs: the most one connection's reader may hold, times 1,000."""
        limits = sorted({r.limit for r in self.group("limit") if r.limit is not None})
        yield "  What a limit costs: a reader pauses above 2 × limit, after adding one receive"
        for limit in limits:
            bound = buffer_bound(limit)
            yield (f"    limit {size_name(limit):>7}: at most {size_name_round(bound):>9}"
                   f" per connection; 1,000 connections: {bound * 1000 / MiB:,.0f} MiB")


def size_name_round(n: int) -> str:
    """Bytes, rounded to KiB (or MiB from 10 MiB up), for a report line."""
    if n >= 10 * MiB:
        return f"{n / MiB:.0f} MiB"
    return f"{n / 1024:,.0f} KiB"


def uvloop_absent() -> str:
    if sys.platform == "win32":
        return "not available on Windows (asyncio's own loop only)"
    return "not installed (pip install uvloop; requirements.txt lists it for Linux and macOS)"


def uvloop_version() -> str | None:
    """uvloop's version if this Python can import it, else None."""
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    return str(uvloop.__version__)


def with_ratios(results: list[Result], baselines: dict[str, str]) -> list[Result]:
    """Fill each result's ``ratio``: its value over its group's baseline, from this list.

    ``baselines`` maps a group to the name of its baseline result; for latencies, a p99
    is compared with the baseline's p99 (``"... p50"`` names become ``"... p99"``).
    """
    by_name = {r.name: r for r in results}
    for r in results:
        base_name = baselines.get(r.group)
        if base_name is None:
            continue
        if r.name.endswith(" p99") and base_name.endswith(" p50"):
            base_name = base_name[:-4] + " p99"
        base = by_name[base_name]
        r.baseline = base_name
        r.ratio = r.value / base.value if base.value else None
    return results


def mb_per_s(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


__all__ = ["Report", "Result", "buffer_bound", "mb_per_s", "percentile", "size_name",
           "uvloop_absent", "uvloop_version", "with_ratios"]
