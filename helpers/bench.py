"""How fast are streams? Echo servers measured side by side on 127.0.0.1, in one run.

    python -m helpers.bench            # the full run: a minute or two
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
- request/response latency for 64-byte messages (p50 and p99), and what Nagle's algorithm
  does to a write-write-read exchange on a socket without ``TCP_NODELAY``;
- round trips per second with 1, 10, 100 and 1,000 concurrent clients.

Each line gives a figure and its ratio to its group's baseline, measured in the same run.
Absolute figures change from machine to machine and from run to run; ratios carry the lesson.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from helpers.cli import Parser  # a usage error is one line, no usage text

KiB = 1024
MiB = 1024 * KiB
CHUNK = 64 * KiB  # what the clients send per call, and what the fast servers read
SMALL = 100  # the seed's read size, and the size of the "small writes"
MESSAGE = 64  # one request or reply in the latency and scaling tests
PROG = "python -m helpers.bench"


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


@dataclass
class Result:
    """One line of the report: a figure and its ratio to its group's baseline."""

    group: str  # "throughput", "latency", "nagle", "scaling", "ceiling"
    name: str
    value: float
    unit: str
    ratio: float | None = None  # value / baseline's value, both from this run
    baseline: str | None = None  # the name of the result the ratio is against


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

    def to_json(self) -> list[dict]:
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
                yield f"  {r.name:<{width}}  {r.value:>10.1f} {r.unit:<4} {ratio}"
        yield ""
        yield "Ratios are against a figure measured in this same run; loopback figures differ"
        yield "from machine to machine and from run to run."


def uvloop_absent() -> str:
    if sys.platform == "win32":
        return "not available on Windows (asyncio's own loop only)"
    return "not installed (pip install uvloop; requirements.txt lists it for Linux and macOS)"


def uvloop_version() -> str | None:
    """uvloop's version if this Python can import it, else None."""
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    return uvloop.__version__


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


# --- the servers (in the child process) ------------------------------------------------


async def echo_streams(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       n: int) -> None:
    """Read up to ``n`` bytes, write them back, drain; until the client's EOF."""
    try:
        while data := await reader.read(n):
            writer.write(data)
            await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


async def echo_small_writes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            batched: bool) -> None:
    """Read 64 KiB, write it back as 100-byte pieces: drain after each, or once for all."""
    try:
        while data := await reader.read(CHUNK):
            pieces = [data[i:i + SMALL] for i in range(0, len(data), SMALL)]
            if batched:
                writer.writelines(pieces)
                await writer.drain()
            else:
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


async def reply_streams(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Request/response: read exactly one whole request, then send the reply (its echo)."""
    try:
        while True:
            try:
                request = await reader.readexactly(MESSAGE)
            except asyncio.IncompleteReadError:
                break
            writer.write(request)
            await writer.drain()
    except ConnectionError:  # the client left (Ctrl-C): nothing to report
        pass
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    """Echo with callbacks, no StreamReader: bytes go straight from read to write."""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def pause_writing(self) -> None:  # the peer reads slower than we write: stop reading
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.transport.resume_reading()


class ReplyProtocol(EchoProtocol):
    """Request/response with callbacks: a reply for each whole request."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= MESSAGE:
            self.transport.write(bytes(self.buffer[:MESSAGE]))
            del self.buffer[:MESSAGE]


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _thread_echo(conn: socket.socket) -> None:
    buf = bytearray(4 * CHUNK)  # asyncio's transports read up to 256 KiB at a time too
    with conn, contextlib.suppress(ConnectionError):  # a client that left: nothing to say
        while n := conn.recv_into(buf):
            conn.sendall(memoryview(buf)[:n])


def _thread_reply(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio does
    with conn, contextlib.suppress(ConnectionError):
        while request := _recv_exactly(conn, MESSAGE):
            conn.sendall(request)


def thread_server(handle: Callable[[socket.socket], None]) -> socket.socket:
    """A blocking server: one thread accepts, one more thread per connection."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=2048)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


async def _child_main() -> None:
    """Start every server, print their ports as one JSON line, serve until stdin closes."""
    loop = asyncio.get_running_loop()
    servers: dict[str, asyncio.Server] = {
        "streams 64 KiB": await asyncio.start_server(
            lambda r, w: echo_streams(r, w, CHUNK), "127.0.0.1", 0, backlog=2048),
        "streams 100 B": await asyncio.start_server(
            lambda r, w: echo_streams(r, w, SMALL), "127.0.0.1", 0),
        "drain each": await asyncio.start_server(
            lambda r, w: echo_small_writes(r, w, False), "127.0.0.1", 0),
        "writelines": await asyncio.start_server(
            lambda r, w: echo_small_writes(r, w, True), "127.0.0.1", 0),
        "streams reply": await asyncio.start_server(reply_streams, "127.0.0.1", 0,
                                                    backlog=2048),
        "protocol": await loop.create_server(EchoProtocol, "127.0.0.1", 0),
        "protocol reply": await loop.create_server(ReplyProtocol, "127.0.0.1", 0),
    }
    ports = {name: s.sockets[0].getsockname()[1] for name, s in servers.items()}
    listeners = []
    if type(loop).__module__.startswith("asyncio"):  # the blocking ones once, not on uvloop
        listeners = [thread_server(_thread_echo), thread_server(_thread_reply)]
        ports["threads"] = listeners[0].getsockname()[1]
        ports["threads reply"] = listeners[1].getsockname()[1]
    print(json.dumps(ports), flush=True)
    done = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)),
                     daemon=True).start()
    await done.wait()
    for s in servers.values():
        s.close()
    for listener in listeners:
        listener.close()


def raise_fd_limit(wanted: int = 4096) -> int:
    """Raise this process's open-file limit towards ``wanted``; return the new soft limit."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def child(loop_name: str) -> None:
    # The parent stops this child by closing its stdin; a Ctrl-C is the parent's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_fd_limit()
    try:
        if loop_name == "uvloop":
            import uvloop

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_child_main())
        else:
            asyncio.run(_child_main())
    except BrokenPipeError:
        # The parent was interrupted before it read our ports: nobody is left to serve.
        # Point stdout at /dev/null, so Python's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@contextlib.contextmanager
def servers(loop_name: str = "asyncio") -> Iterator[dict[str, int]]:
    """Start the child process that serves every variant; yield ``{variant: port}``."""
    # Its own session (process group on Windows): a Ctrl-C in the terminal reaches only
    # this process, even while the child is still starting (before it can ignore SIGINT,
    # it would die with a traceback); this process stops it by closing its stdin.
    apart = ({"start_new_session": True} if os.name == "posix"
             else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP})
    proc = subprocess.Popen([sys.executable, "-m", "helpers.bench", "--child", loop_name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **apart)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {loop_name} server process did not start")
        yield json.loads(line)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


# --- the clients (here) ----------------------------------------------------------------


def payload_of(size: int) -> bytes:
    """``size`` bytes that are not all alike, so a reordered echo would be noticed."""
    block = bytes(range(256)) * (CHUNK // 256) + b"\x07"  # 64 KiB + 1: shifts each round
    return (block * (size // len(block) + 1))[:size]


def pump(sock: socket.socket, payload: bytes, verify: bool = False) -> tuple[float, int]:
    """Send ``payload`` (then EOF) from a thread, read here until EOF; (seconds, received).

    With ``verify``, also raise if what came back is not ``payload`` byte for byte.
    """
    view = memoryview(payload)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            for i in range(0, len(view), CHUNK):
                sock.sendall(view[i:i + CHUNK])
            sock.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the reader below notices the short count
            errors.append(exc)

    buf = bytearray(4 * CHUNK)
    received, crc = 0, 0
    sender = threading.Thread(target=send, daemon=True)
    start = time.perf_counter()
    sender.start()
    while n := sock.recv_into(buf):
        if verify:
            crc = zlib.crc32(memoryview(buf)[:n], crc)
        received += n
    elapsed = time.perf_counter() - start
    sender.join()
    if errors:
        raise errors[0]
    if verify and (received != len(payload) or crc != zlib.crc32(payload)):
        raise AssertionError(f"echoed {received} bytes that differ from the {len(payload)} sent")
    return elapsed, received


def echo_throughput(port: int, payload: bytes, verify: bool = False,
                    timeout: float | None = None) -> tuple[float, int]:
    """One connection to an echo server: send ``payload``, read it back; (seconds, bytes).

    ``timeout``: seconds any one send or receive may wait (``TimeoutError`` after that).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        return pump(sock, payload, verify)


def tcp_one_way(payload: bytes) -> tuple[float, int]:
    """The loopback's raw capacity: one way, blocking sockets, no server in the middle."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as out:
            conn, _ = listener.accept()
            with conn:
                return _one_way(out, conn, payload)


def socketpair_one_way(payload: bytes) -> tuple[float, int]:
    """The same over ``socket.socketpair()``: a connected pair without TCP/IP."""
    a, b = socket.socketpair()
    with a, b:
        return _one_way(a, b, payload)


def _one_way(out: socket.socket, into: socket.socket, payload: bytes) -> tuple[float, int]:
    view = memoryview(payload)

    def send() -> None:
        for i in range(0, len(view), CHUNK):
            out.sendall(view[i:i + CHUNK])
        out.shutdown(socket.SHUT_WR)

    buf = bytearray(4 * CHUNK)
    received = 0
    sender = threading.Thread(target=send, daemon=True)
    start = time.perf_counter()
    sender.start()
    while n := into.recv_into(buf):
        received += n
    elapsed = time.perf_counter() - start
    sender.join()
    return elapsed, received


def round_trips(port: int, count: int, *, pieces: int = 1,
                nodelay: bool = True) -> list[float]:
    """``count`` requests of MESSAGE bytes, each sent in ``pieces`` writes; each reply's µs."""
    request = payload_of(MESSAGE)
    step = MESSAGE // pieces
    times = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))
        for _ in range(count):
            start = time.perf_counter()
            for i in range(0, MESSAGE, step):
                sock.sendall(request[i:i + step])
            reply = _recv_exactly(sock, MESSAGE)
            times.append((time.perf_counter() - start) * 1e6)
            if reply != request:
                raise AssertionError(f"reply {reply!r} is not the request")
    return times


async def asyncio_round_trips(port: int, count: int, pieces: int = 2) -> tuple[list[float], bool]:
    """The same with ``open_connection``: µs per round trip, and whether TCP_NODELAY was on."""
    request = payload_of(MESSAGE)
    step = MESSAGE // pieces
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    nodelay = bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            for i in range(0, MESSAGE, step):
                writer.write(request[i:i + step])
                await writer.drain()
            await reader.readexactly(MESSAGE)
            times.append((time.perf_counter() - start) * 1e6)
    finally:
        writer.close()
        await writer.wait_closed()
    return times, nodelay


async def concurrent_round_trips(port: int, clients: int, total: int) -> tuple[float, int]:
    """``clients`` connections at once, ``total`` round trips shared out; (seconds, done)."""
    each = max(1, total // clients)
    request = payload_of(MESSAGE)
    conns = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                   for _ in range(clients)))
    go = asyncio.Event()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        await go.wait()
        for _ in range(each):
            writer.write(request)
            await reader.readexactly(MESSAGE)
        return each

    try:
        tasks = [asyncio.create_task(client(r, w)) for r, w in conns]
        await asyncio.sleep(0)
        start = time.perf_counter()
        go.set()
        done = sum(await asyncio.gather(*tasks))
        return time.perf_counter() - start, done
    finally:
        for _, w in conns:
            w.close()
        await asyncio.gather(*(w.wait_closed() for _, w in conns), return_exceptions=True)


# --- the run ---------------------------------------------------------------------------

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
LATENCY = [
    ("blocking sockets, a thread each", "asyncio", "threads reply"),
    ("asyncio Protocol", "asyncio", "protocol reply"),
    ("Streams", "asyncio", "streams reply"),
    ("uvloop Streams", "uvloop", "streams reply"),
]
BASELINES = {
    "throughput": THROUGHPUT[0][0],
    "ceiling": THROUGHPUT[0][0],
    "latency": LATENCY[0][0] + " p50",
    "nagle": "raw socket, TCP_NODELAY",
    "scaling": "1 client",
}


def mb_per_s(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def measure_throughput(report: Report, ports: dict[str, dict[str, int]],
                       verify: bool = False) -> None:
    size = report.size
    payload = payload_of(size.payload)
    for name, loop_name, variant in THROUGHPUT:
        if loop_name not in ports:
            continue
        best = 0.0
        for _ in range(size.repeats):
            seconds, received = echo_throughput(ports[loop_name][variant], payload, verify)
            if received != len(payload):
                raise AssertionError(f"{name}: echoed {received} of {len(payload)} bytes")
            best = max(best, mb_per_s(received, seconds))
        report.results.append(Result("throughput", name, best, "MB/s"))
    for name, fn in [("TCP loopback, one way", tcp_one_way),
                     ("socketpair, one way", socketpair_one_way)]:
        best = 0.0
        for _ in range(size.repeats):
            seconds, received = fn(payload)
            if received != len(payload):
                raise AssertionError(f"{name}: moved {received} of {len(payload)} bytes")
            best = max(best, mb_per_s(received, seconds))
        report.results.append(Result("ceiling", name, best, "MB/s"))


def measure_latency(report: Report, ports: dict[str, dict[str, int]]) -> None:
    size = report.size
    for name, loop_name, variant in LATENCY:
        if loop_name not in ports:
            continue
        round_trips(ports[loop_name][variant], 50)  # warm up: connection, caches
        samples = round_trips(ports[loop_name][variant], size.round_trips)
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


def measure_scaling(report: Report, ports: dict[str, dict[str, int]]) -> None:
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


def run(size: Size = QUICK, *, groups: tuple[str, ...] = ("throughput", "latency", "scaling"),
        use_uvloop: bool = True, verify: bool = False) -> Report:
    """Run the benchmark (blocking: from a notebook, ``await asyncio.to_thread(run, ...)``)."""
    report = Report(size, uvloop=uvloop_version() if use_uvloop else None,
                    uvloop_left_out=not use_uvloop)
    with contextlib.ExitStack() as stack:
        ports = {"asyncio": stack.enter_context(servers("asyncio"))}
        if report.uvloop:
            ports["uvloop"] = stack.enter_context(servers("uvloop"))
        if "throughput" in groups:
            measure_throughput(report, ports, verify)
        if "latency" in groups:
            measure_latency(report, ports)
        if "scaling" in groups:
            measure_scaling(report, ports)
    present = {r.group for r in report.results}
    with_ratios(report.results, {g: b for g, b in BASELINES.items() if g in present})
    return report


# --- for the notebook: pictures and a profile you can read ------------------------------


def plot_throughput(report: Report):
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


def plot_latency(report: Report):
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
    for share, label in [(0.5, " p50"), (0.99, " p99")]:
        ax.axhline(share, color="grey", lw=0.5)
        ax.text(1.0, share, label, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.set_xlabel(f"µs for a {MESSAGE}-byte request and its reply, log scale")
    ax.set_ylabel("share answered")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_scaling(report: Report):
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


def hot_spots(profiler, n: int = 6) -> list[str]:
    """The ``n`` functions with the most time of their own in a cProfile run, as lines.

    Only file names are shown (no machine paths); code typed in the notebook is "(notebook)".
    """
    import pstats

    stats = pstats.Stats(profiler).stats  # {(file, line, function): (cc, nc, tt, ct, callers)}
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:n]
    lines = [f"{'calls':>8} {'own s':>7} {'total s':>8}  function"]
    for (filename, _, function), (_, calls, own, total, _) in rows:
        where = os.path.basename(filename)
        if "ipykernel_" in filename or where.startswith("<ipython"):
            where = "(notebook)"
        name = f"{where}:{function}" if where and where != "~" else function
        lines.append(f"{calls:>8} {own:>7.3f} {total:>8.3f}  {name}")
    return lines


def calls_to(profiler, function: str, file_end: str) -> int:
    """How many times a cProfile run saw ``function`` from a file ending with ``file_end``."""
    import pstats

    return sum(calls for (filename, _, name), (_, calls, *_) in
               pstats.Stats(profiler).stats.items()
               if name == function and filename.endswith(file_end))


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog=PROG, description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="a smaller run: under 20 s")
    which.add_argument("--tiny", action="store_true", help="the smallest run: a few seconds")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {name, value, unit, ratio, ...} objects")
    parser.add_argument("--no-uvloop", action="store_true", help="leave uvloop out")
    parser.add_argument("--child", choices=["asyncio", "uvloop"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    size = TINY if args.tiny else QUICK if args.quick else FULL
    try:
        report = run(size, use_uvloop=not args.no_uvloop)
    except KeyboardInterrupt:  # Ctrl-C: the servers were stopped on the way out
        print(f"{PROG}: interrupted", file=sys.stderr)
        sys.exit(130)
    if args.json:
        print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))


if __name__ == "__main__":
    main(sys.argv[1:])
