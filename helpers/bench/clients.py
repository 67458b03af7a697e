"""The clients, in this process: blocking sockets (a thread sends while this one reads),
and the two asyncio clients of the latency and scaling parts."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import zlib

from helpers.bench.sizes import CHUNK, MESSAGE, RECEIVE


def payload_of(size: int) -> bytes:
    """``size`` bytes that are not all alike, so a reordered echo would be noticed."""
    block = bytes(range(256)) * (CHUNK // 256) + b"\x07"  # 64 KiB + 1: shifts each round
    return (block * (size // len(block) + 1))[:size]


def recv_exactly(conn: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes from ``conn``, or ``b""`` if it ends first."""
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def transfer(out: socket.socket, into: socket.socket, payload: bytes,
             verify: bool = False) -> tuple[float, int]:
    """Send ``payload`` on ``out`` (then EOF) from a thread, read ``into`` here until EOF.

    The one send-and-read loop of the benchmark: ``out`` and ``into`` are one socket for an
    echo, the two ends of a connection for a one-way transfer. Returns (seconds, received).
    With ``verify``, also raise if what came back is not ``payload`` byte for byte.
    """
    view = memoryview(payload)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            for i in range(0, len(view), CHUNK):
                out.sendall(view[i:i + CHUNK])
            out.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the reader below notices the short count
            errors.append(exc)

    buf = bytearray(RECEIVE)
    received, crc = 0, 0
    sender = threading.Thread(target=send, daemon=True)
    start = time.perf_counter()
    sender.start()
    while n := into.recv_into(buf):
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


def pump(sock: socket.socket, payload: bytes, verify: bool = False) -> tuple[float, int]:
    """Through an echo server: send ``payload`` on ``sock`` and read its echo back."""
    return transfer(sock, sock, payload, verify)


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
                return transfer(out, conn, payload)


def socketpair_one_way(payload: bytes) -> tuple[float, int]:
    """The same over ``socket.socketpair()``: a connected pair without TCP/IP."""
    a, b = socket.socketpair()
    with a, b:
        return transfer(a, b, payload)


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
            reply = recv_exactly(sock, MESSAGE)
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
