"""How much one run does, and the sizes every part of the benchmark agrees on."""

from __future__ import annotations

from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB
CHUNK = 64 * KiB  # what the clients send per call, and what the fast servers read
SMALL = 100  # the seed's read size, and the size of the "small writes"
MESSAGE = 64  # one request or reply in the latency and scaling tests
DEFAULT_LIMIT = 64 * KiB  # asyncio's StreamReader limit (streams._DEFAULT_LIMIT)
LIMITS = (64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB)  # the sweep: StreamReader limit=...
READ_SIZES = (64 * KiB, 256 * KiB, 1 * MiB)  # ... times the handler's read(n)
RECEIVE = 256 * KiB  # what asyncio's selector transport asks recv() for (max_size)
PROG = "python -m helpers.bench"


def size_name(n: int) -> str:
    """``65536`` → ``"64 KiB"``, ``1048576`` → ``"1 MiB"``, ``100`` → ``"100 B"``."""
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} B"


def variant(limit: int, read: int) -> str:
    """The server variant (in the child process) for one cell of the sweep."""
    return f"limit {size_name(limit)}, read {size_name(read)}"


@dataclass(frozen=True)
class Size:
    """How much work one run does."""

    name: str
    payload: int  # bytes echoed by each throughput variant, per repeat
    repeats: int  # throughput: the best of this many
    round_trips: int  # latency: round trips per variant
    nagle_round_trips: int  # latency with Nagle on (each may wait ~40 ms)
    scaling_round_trips: int  # round trips per concurrency level, all clients together
    clients: tuple[int, ...] = (1, 10, 100, 1000)


TINY = Size("tiny", 1 * MiB, 3, 300, 8, 3000, (1, 10, 100))
QUICK = Size("quick", 8 * MiB, 3, 3000, 16, 10000)
FULL = Size("full", 64 * MiB, 5, 20000, 40, 40000)
SWEEP = Size("sweep", 8 * MiB, 3, 300, 8, 3000, (1, 10, 100))  # the notebook's limit sweep
