"""How long one message takes to reach every client, and how many lines a second get out.

    python -m helpers.chat bench [--clients 1000] [--messages 20]

Starts ``python -m helpers.chat server`` in a child process (its own core), connects
``--clients`` clients from this one, and measures two things:

- **latency**: one client says a line; the time until the *last* of the others has it.
  One message at a time, ``--messages`` times: the median and the worst.
- **throughput**: ten clients each say ``--messages`` lines at once; lines delivered
  per second, counting each copy each client received.

The clients share this process, so the figures include their own reading: the server
alone is faster.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import sys
import time

from helpers.background import close_quietly
from helpers.cli import UserError

SENDERS = 10  # clients talking at once in the throughput part


class Listener:
    """One benchmark client: counts and times the lines it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.got = 0  # chat lines received (not the server's "* " lines)
        self.last_at = 0.0
        self.waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        with contextlib.suppress(ConnectionError):
            async for line in self.reader:
                if not line.startswith(b"* "):
                    self.got += 1
                    self.last_at = time.perf_counter()
                    self._wake()

    def _wake(self) -> None:
        still = []
        for count, future in self.waiters:
            if self.got >= count and not future.done():
                future.set_result(None)
            elif not future.done():
                still.append((count, future))
        self.waiters = still

    async def wait_for(self, count: int) -> None:
        if self.got < count:
            future = asyncio.get_running_loop().create_future()
            self.waiters.append((count, future))
            await future


async def start_server(clients: int) -> tuple[asyncio.subprocess.Process, str, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpers.chat", "server", "--port", "0",
        "--max-clients", str(clients + 1), "--queue", "10000", "--idle-timeout", "600",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None  # stdout=PIPE
    first = (await proc.stdout.readline()).decode()
    match = re.search(r"\('([\d.]+)', (\d+)\)", first)
    if not match:
        proc.kill()
        raise UserError(f"the server did not start: {first!r}")
    return proc, match.group(1), int(match.group(2))


async def connect(host: str, port: int, n: int) -> list[Listener]:
    """n clients, each with a nickname; returns once all are in the room."""
    listeners = []
    for batch in range(0, n, 100):  # at most 100 connections waiting to be accepted
        async def join(i: int) -> Listener:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"c{i}\n".encode())
            while not (await reader.readline()).startswith(b"* hello"):
                pass
            return Listener(reader, writer)
        listeners += await asyncio.gather(*(join(i) for i in range(batch, min(n, batch + 100))))
    return listeners


async def bench(clients: int, messages: int, timeout: float = 120.0) -> None:
    proc, host, port = await start_server(clients)
    listeners: list[Listener] = []
    try:
        async with asyncio.timeout(timeout):
            started = time.perf_counter()
            listeners = await connect(host, port, clients)
            print(f"{clients} clients connected in {time.perf_counter() - started:.2f} s")
            talker, others = listeners[0], listeners[1:]
            latencies = []
            for m in range(1, messages + 1):
                sent = time.perf_counter()
                talker.writer.write(f"message {m}\n".encode())
                await asyncio.gather(*(o.wait_for(m) for o in others))
                latencies.append(max(o.last_at for o in others) - sent)
            print(f"latency, one line to {len(others)} others: median"
                  f" {statistics.median(latencies) * 1000:.1f} ms,"
                  f" worst {max(latencies) * 1000:.1f} ms ({messages} lines, one at a time)")
            senders = listeners[:SENDERS]
            before = {id(o): o.got for o in listeners}
            expected = {id(o): before[id(o)] + messages * (len(senders) - (o in senders))
                        for o in listeners}
            started = time.perf_counter()
            for s in senders:
                s.writer.write(b"".join(f"burst {k}\n".encode() for k in range(messages)))
            await asyncio.gather(*(o.wait_for(expected[id(o)]) for o in listeners))
            took = time.perf_counter() - started
            delivered = sum(o.got - before[id(o)] for o in listeners)
            print(f"throughput: {delivered} lines delivered in {took:.2f} s:"
                  f" {delivered / took:,.0f} lines/s ({len(senders)} clients talking at once)")
    except TimeoutError:
        raise UserError(f"the benchmark did not finish within {timeout:g} s") from None
    finally:
        for o in listeners:
            o.task.cancel()
        await asyncio.gather(*(close_quietly(o.writer) for o in listeners))
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await proc.wait()
