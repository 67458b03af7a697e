"""Reading a cProfile run without machine paths: the hot spots, and how often one function ran."""

from __future__ import annotations

import os
from typing import Any


def hot_spots(profiler: Any, n: int = 6) -> list[str]:
    """The ``n`` functions with the most time of their own in a cProfile run, as lines.

    Only file names are shown (no machine paths); code typed in the notebook is "(notebook)".
    """
    import pstats

    # {(file, line, function): (cc, nc, tt, ct, callers)}; typeshed does not list .stats
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:n]
    lines = [f"{'calls':>8} {'own s':>7} {'total s':>8}  function"]
    for (filename, _, function), (_, calls, own, total, _) in rows:
        where = os.path.basename(filename)
        if "ipykernel_" in filename or where.startswith("<ipython"):
            where = "(notebook)"
        name = f"{where}:{function}" if where and where != "~" else function
        lines.append(f"{calls:>8} {own:>7.3f} {total:>8.3f}  {name}")
    return lines


def calls_to(profiler: Any, function: str, file_end: str) -> int:
    """How many times a cProfile run saw ``function`` from a file ending with ``file_end``."""
    import pstats

    return sum(calls for (filename, _, name), (_, calls, *_) in
               pstats.Stats(profiler).stats.items()  # type: ignore[attr-defined]
               if name == function and filename.endswith(file_end))


