"""How fast are streams? Echo servers measured side by side on 127.0.0.1, in one run.

    python -m helpers.bench            # the full run: under two minutes
    python -m helpers.bench --quick    # smaller: under 20 s
    python -m helpers.bench --tiny     # smallest: a few seconds, noisiest
    python -m helpers.bench --json     # the same figures as a JSON list

The servers run in a child Python (one for asyncio's own event loop, one for uvloop's
when uvloop is installed), the clients here, so each side has a core of its own on a
two-core machine. Every variant gets the same payload and the same client:

- echo throughput (MB/s of payload echoed): blocking sockets with a thread per connection
  (the baseline), an ``asyncio.Protocol``, Streams reading 64 KiB, Streams reading 100 bytes
  (the seed's handler), Streams writing 100-byte pieces with a ``drain()`` after each or all
  at once (``writelines``, one ``drain()``); the same on uvloop. The loopback's raw capacity:
  one-way transfers over TCP loopback and over a ``socketpair``, with no server in the middle.
- the limit sweep: Streams whose ``StreamReader`` has a ``limit`` of 64 KiB (the default),
  256 KiB, 1 MiB or 4 MiB, reading 64 KiB, 256 KiB or 1 MiB at a time; for each, how often
  its readers paused and resumed reading per MiB, the most one held, and what the limit
  costs in memory (about twice the limit per connection);
- request/response latency for 64-byte messages (p50 and p99), and what Nagle's algorithm
  does to a write-write-read exchange on a socket without ``TCP_NODELAY``;
- round trips per second with 1, 10, 100 and 1,000 concurrent clients.

Each line gives a figure and its ratio to its group's baseline, measured in the same run.
Absolute figures change from machine to machine and from run to run; ratios carry the lesson.

One concern per module: ``sizes`` (how much a run does), ``report`` (results, ratios, the
report), ``pauses`` (counting a reader's pauses), ``servers`` (the child process),
``clients`` (the clients), ``run`` (the run), ``plots``, ``profiling`` (reading cProfile),
``__main__`` (the command line). Everything a notebook uses is importable from here.
"""

from helpers.bench.clients import (
                                   asyncio_round_trips,
                                   concurrent_round_trips,
                                   echo_throughput,
                                   payload_of,
                                   pump,
                                   recv_exactly,
                                   round_trips,
                                   socketpair_one_way,
                                   tcp_one_way,
                                   transfer,
)
from helpers.bench.pauses import CountedTransport, CountingReader, PauseCount, start_counting_server
from helpers.bench.plots import plot_latency, plot_limits, plot_scaling, plot_throughput
from helpers.bench.profiling import calls_to, hot_spots
from helpers.bench.report import (
                                   Report,
                                   Result,
                                   buffer_bound,
                                   mb_per_s,
                                   percentile,
                                   uvloop_absent,
                                   uvloop_version,
                                   with_ratios,
)
from helpers.bench.run import BASELINES, GROUPS, LATENCY, LIMIT_SWEEP, THROUGHPUT, limit_name, run
from helpers.bench.servers import (
                                   EchoProtocol,
                                   ReplyProtocol,
                                   ServerProcess,
                                   echo_small_writes,
                                   echo_streams,
                                   raise_fd_limit,
                                   reply_streams,
                                   servers,
                                   thread_server,
)
from helpers.bench.sizes import (
                                   CHUNK,
                                   DEFAULT_LIMIT,
                                   FULL,
                                   LIMITS,
                                   MESSAGE,
                                   PROG,
                                   QUICK,
                                   READ_SIZES,
                                   RECEIVE,
                                   SMALL,
                                   SWEEP,
                                   TINY,
                                   KiB,
                                   MiB,
                                   Size,
                                   size_name,
                                   variant,
)

__all__ = [
    "BASELINES", "CHUNK", "DEFAULT_LIMIT", "FULL", "GROUPS", "LATENCY", "LIMITS", "LIMIT_SWEEP",
    "MESSAGE", "PROG", "QUICK", "READ_SIZES", "RECEIVE", "SMALL", "SWEEP", "THROUGHPUT", "TINY",
    "CountedTransport", "CountingReader", "EchoProtocol", "KiB", "MiB", "PauseCount", "Report",
    "ReplyProtocol", "Result", "ServerProcess", "Size", "asyncio_round_trips", "buffer_bound",
    "calls_to", "concurrent_round_trips", "echo_small_writes", "echo_streams",
    "echo_throughput", "hot_spots", "limit_name", "mb_per_s", "payload_of", "percentile",
    "plot_latency", "plot_limits", "plot_scaling", "plot_throughput", "pump", "raise_fd_limit",
    "recv_exactly", "reply_streams", "round_trips", "run", "servers", "size_name",
    "socketpair_one_way", "start_counting_server", "tcp_one_way", "thread_server", "transfer",
    "uvloop_absent", "uvloop_version", "variant", "with_ratios",
]
