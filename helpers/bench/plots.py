"""Pictures of a report, for the notebook: bars, latency curves, scaling, the limit heat map."""

from __future__ import annotations

from typing import Any

from helpers.bench.report import Report
from helpers.bench.sizes import LIMITS, MESSAGE, READ_SIZES, MiB, size_name

Figure = Any  # matplotlib.figure.Figure; matplotlib is imported only when a plot is drawn


def plot_throughput(report: Report) -> Figure:
    """Horizontal bars, log scale: every echo variant and the two one-way transfers."""
    import matplotlib.pyplot as plt

    rows = report.group("throughput") + report.group("ceiling")
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.0))
    colors = ["tab:gray" if r.group == "ceiling" else "tab:orange" if "uvloop" in r.name
              else "tab:blue" for r in rows]
    ax.barh([r.name for r in rows], [r.value for r in rows], color=colors)
    for i, r in enumerate(rows):
        ax.text(r.value, i, f" {r.value:,.0f} MB/s  ({r.ratio:.2f}×)", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(r.value for r in rows) * 20)
    ax.set_xlabel("MB/s of payload, log scale (grey: one way, no server)")
    ax.set_title(f"Echo throughput on 127.0.0.1, {report.size.payload // MiB} MiB each")
    fig.tight_layout()
    return fig


def plot_latency(report: Report) -> Figure:
    """The distribution of round-trip times: the share of requests answered within x µs."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2))
    for name, samples in report.samples.items():
        if name.startswith("two pieces"):
            continue
        ordered = sorted(samples)
        share = [(i + 1) / len(ordered) for i in range(len(ordered))]
        ax.step(ordered, share, where="post", label=name)
    ax.set_xscale("log")
    for level, label in [(0.5, " p50"), (0.99, " p99")]:
        ax.axhline(level, color="grey", lw=0.5)
        ax.text(1.0, level, label, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.set_xlabel(f"µs for a {MESSAGE}-byte request and its reply, log scale")
    ax.set_ylabel("share answered")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_scaling(report: Report) -> Figure:
    """Round trips per second against the number of concurrent clients."""
    import matplotlib.pyplot as plt

    rows = [r for r in report.group("scaling") if r.value > 0]
    clients = [int(r.name.split()[0].replace(",", "")) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(clients, [r.value for r in rows], marker="o")
    for n, r in zip(clients, rows, strict=True):
        ax.annotate(f"{r.value:,.0f}  ({r.ratio:.2f}×)", (n, r.value), fontsize=8,
                    textcoords="offset points", xytext=(4, 6))
    ax.set_xscale("log")
    ax.set_xticks(clients, [f"{n:,}" for n in clients])
    ax.set_xlim(min(clients) / 2, max(clients) * 3)
    ax.set_ylim(bottom=0, top=max(r.value for r in rows) * 1.3)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.set_xlabel("concurrent clients, log scale")
    ax.set_ylabel("round trips per second")
    ax.set_title("One Streams echo server, many clients")
    fig.tight_layout()
    return fig


def plot_limits(report: Report, loop_name: str = "asyncio") -> Figure:
    """A heat map of the limit sweep: StreamReader limit × read size, coloured by the ratio
    to blocking sockets; each cell says its MB/s, its ratio and its pauses per MiB."""
    import matplotlib.pyplot as plt

    prefix = "uvloop Streams," if loop_name == "uvloop" else "Streams,"
    cells = {(r.limit, r.read_size): r for r in report.group("limit")
             if r.name.startswith(prefix)}
    if not cells:
        raise ValueError(f"this report has no limit sweep on {loop_name}")
    grid = [[cells[limit, read].ratio or 0.0 for read in READ_SIZES] for limit in LIMITS]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    top = max(1.0, max(max(row) for row in grid))
    image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=top)
    for i, limit in enumerate(LIMITS):
        for j, read in enumerate(READ_SIZES):
            r = cells[limit, read]
            text = f"{r.value:,.0f} MB/s\n{r.ratio or 0:.2f}×\n{r.pauses_per_mib:.1f} pauses/MiB"
            dark = (r.ratio or 0) < 0.6 * top
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(READ_SIZES)), [f"read({size_name(n)})" for n in READ_SIZES])
    ax.set_yticks(range(len(LIMITS)),
                  [f"limit {size_name(n)}" + (" (default)" if n == LIMITS[0] else "")
                   for n in LIMITS])
    fig.colorbar(image, ax=ax, label="× blocking sockets, same run")
    where = "uvloop" if loop_name == "uvloop" else "asyncio's own loop"
    ax.set_title(f"Streams echo, {report.size.payload // MiB} MiB, on {where}", fontsize=10)
    fig.tight_layout()
    return fig


__all__ = ["plot_latency", "plot_limits", "plot_scaling", "plot_throughput"]
