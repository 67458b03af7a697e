"""Notebook 13's chat server and ``helpers.chat`` answer the same probes the same way.

The notebook builds its server in cells tagged ``chat-server`` (each begins
``# the server, part N``). Here those cells are run, in order, as one module (and nothing
else of the notebook); both servers listen on 127.0.0.1, port 0, with the same settings;
the same probe scripts talk to each, and what every probe client read (a transcript) must
be the same, line for line. Then the same cells are written out as the program the
notebook writes, run on every installed Python with PYTHONUNBUFFERED unset, and stopped
with SIGINT and SIGTERM while its clients are in every state.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nbformat
import pytest

import helpers.chat
from helpers.background import close_quietly
from helpers.script_server import Connections, shut_down
from tests.notebook_tools import NOTEBOOK_DIR

NOTEBOOK = NOTEBOOK_DIR / "13-chat-server.ipynb"
TAG = "chat-server"
WAIT = 3.0  # seconds: the longest a probe waits for any one line
_opened: list[Probe] = []  # every probe client, closed at the end of its transcript


def notebook_server_source(path=NOTEBOOK) -> str:
    cells = [c.source for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]
    assert cells, f"no code cell of {path.name} is tagged {TAG!r}"
    return "\n\n".join(cells)


def load_notebook_server() -> types.ModuleType:
    module = types.ModuleType("notebook13_chat")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(notebook_server_source(), str(NOTEBOOK), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


Started = contextlib.AbstractAsyncContextManager[tuple[str, int]]


@contextlib.asynccontextmanager
async def reference_server(**settings) -> AsyncIterator[tuple[str, int]]:
    """helpers.chat, started and stopped as its script does."""
    chat = helpers.chat.ChatServer(helpers.chat.Settings(**settings))
    connections = Connections(chat.handle)
    server = await asyncio.start_server(connections.connected, "127.0.0.1", 0,
                                        limit=chat.settings.max_line)
    try:
        yield server.sockets[0].getsockname()[:2]
    finally:
        await shut_down(server, connections, before_close=chat.room.shut_down)


def notebook_server(module: types.ModuleType):
    @contextlib.asynccontextmanager
    async def start(**settings) -> AsyncIterator[tuple[str, int]]:
        chat = module.ChatServer(module.Settings(**settings))
        address = await chat.start()
        try:
            yield address
        finally:
            await chat.shut_down()
    return start


class Probe:
    """A client that writes down every line it reads, as "name: line"."""

    def __init__(self, name: str, log: list[str], reader, writer) -> None:
        self.name, self.log, self.reader, self.writer = name, log, reader, writer
        _opened.append(self)

    @classmethod
    async def connect(cls, name: str, log: list[str], address, *, rcvbuf: int | None = None,
                      nick: str | None = None) -> Probe:
        if rcvbuf is None:
            reader, writer = await asyncio.open_connection(*address, limit=2**20)
        else:  # a small receive window: a client that stops reading fills it at once
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, address)
            reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        probe = cls(name, log, reader, writer)
        await probe.read()  # the greeting (or "full")
        if nick is not None:
            await probe.say(nick)
            await probe.read()
        return probe

    async def say(self, text: str | bytes) -> None:
        self.writer.write(text if isinstance(text, bytes) else f"{text}\n".encode())
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    async def line(self) -> str:
        try:
            async with asyncio.timeout(WAIT):
                data = await self.reader.readline()
        except TimeoutError:
            return "(nothing)"
        except ConnectionError:
            return "(reset)"
        return data.decode(errors="backslashreplace").removesuffix("\n") if data else "(closed)"

    async def read(self, count: int = 1) -> None:
        for _ in range(count):
            self.log.append(f"{self.name}: {await self.line()}")

    async def read_to_end(self) -> None:
        while True:
            line = await self.line()
            self.log.append(f"{self.name}: {line}")
            if line.startswith("("):
                return

    async def close(self) -> None:
        await close_quietly(self.writer, 0.5)


async def chatting(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    bob = await Probe.connect("bob", log, address, nick="bob")
    await alice.read()
    carol = await Probe.connect("carol", log, address, nick="carol")
    await alice.read()
    await bob.read()
    await alice.say("hi all, 你好")
    await bob.read()
    await carol.read()
    await alice.say("")  # says nothing
    await alice.say("and again\r")  # as nc may send it
    await bob.read()
    for command in ("/who", "/shout hello"):
        await carol.say(command)
        await carol.read()
    await bob.say("/quit")
    await bob.read_to_end()
    await alice.read()
    await carol.read()


async def nicknames(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    newcomer = await Probe.connect("newcomer", log, address)
    for nick in ["", "two words", "x" * 33, "/who", "*server*", "alice", "tab\there", "bob"]:
        await newcomer.say(nick)
        await newcomer.read()
    await alice.read()


async def long_lines(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    bob = await Probe.connect("bob", log, address, nick="bob")
    await alice.read()
    await bob.say("y" * 64)  # exactly max_line: fine ("\n" not counted)
    await alice.read()
    for n, data in enumerate([b"x" * 65 + b"\n", b"x" * 5000, b"x" * 200_000]):
        rude = await Probe.connect(f"rude{n}", log, address, nick=f"rude{n}")
        await alice.read()
        await rude.say(data)
        await rude.read_to_end()
        await alice.read()


async def not_utf8(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    rude = await Probe.connect("rude", log, address, nick="rude")
    await alice.read()
    await rude.say(b"caf\xe9\n")
    await rude.read_to_end()
    await alice.read()


async def silent(address, log):
    quiet = await Probe.connect("quiet", log, address, nick="quiet")
    await quiet.read_to_end()


async def crowded(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    waiting = await Probe.connect("waiting", log, address)  # counts without a nickname
    extra = await Probe.connect("extra", log, address)  # its "greeting" is "full"
    await extra.read_to_end()
    await waiting.say("bob")
    await waiting.read()
    await alice.read()


async def slow_consumer(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    slow = await Probe.connect("slow", log, address, rcvbuf=4096, nick="slow")
    await alice.read()
    slow.writer.transport.pause_reading()  # it stops reading: its buffers fill
    bob = await Probe.connect("bob", log, address, nick="bob")
    await alice.read()
    text = "z" * 900
    for n in range(1, 20_000):  # talk until the server gives up on slow (18 MB at most)
        await bob.say(f"{n} {text}")
        line = await alice.line()
        if line != f"bob: {n} {text}":
            log.append(f"alice, after some of bob's lines: {line}")
            log.append(f"alice: and then bob's last: {await alice.line() == f'bob: {n} {text}'}")
            break
    else:
        log.append("slow was never dropped")
    await bob.say("after")
    await alice.read()
    slow.writer.transport.resume_reading()
    lines = []
    while not (line := await slow.line()).startswith("("):
        lines.append(line)
    said = [line for line in lines if line.startswith("bob: ")]
    log.append(f"slow: bob's lines in order, none missing: "
               f"{said == [f'bob: {n} {text}' for n in range(1, len(said) + 1)]}")
    log.append(f"slow: ends with {line}")


async def vanishing(address, log):
    alice = await Probe.connect("alice", log, address, nick="alice")
    for nick in ("reset", "eof"):
        gone = await Probe.connect(nick, log, address, nick=nick)
        await alice.read()
        await gone.say(b"half a li")  # no newline: no message
        if nick == "reset":  # SO_LINGER on, 0 s: closing sends a reset (RST)
            sock = gone.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            gone.writer.transport.abort()
        else:
            gone.writer.write_eof()
        await alice.read()
    undecided = await Probe.connect("undecided", log, address)
    await undecided.say("/quit")
    await undecided.read_to_end()


Probe_ = Callable[[tuple[str, int], list[str]], Awaitable[None]]
PROBES: dict[str, tuple[dict, Probe_]] = {
    "chatting": ({}, chatting),
    "nicknames": ({}, nicknames),
    "long lines": ({"max_line": 64}, long_lines),
    "not utf-8": ({}, not_utf8),
    "silent": ({"idle_timeout": 0.3}, silent),
    "crowded": ({"max_clients": 2}, crowded),
    "slow consumer": ({"queue": 5}, slow_consumer),
    "vanishing": ({}, vanishing),
}


async def transcript(start, settings: dict, probe: Probe_) -> list[str]:
    log: list[str] = []
    async with start(**settings) as address:
        try:
            await probe(address, log)
        finally:
            while _opened:
                await _opened.pop().close()
    return log


async def shutdown_transcript(start) -> list[str]:
    log: list[str] = []
    try:
        async with start() as address:
            alice = await Probe.connect("alice", log, address, nick="alice")
            await Probe.connect("bob", log, address, nick="bob")
            await Probe.connect("newcomer", log, address)  # no nickname yet
            await alice.read()
        for person in list(_opened):  # the server has stopped: one line each, then the end
            await person.read_to_end()
    finally:
        while _opened:
            await _opened.pop().close()
    return log


@pytest.fixture(scope="module")
def notebook_module():
    return load_notebook_server()


@pytest.mark.parametrize("name", list(PROBES))
def test_the_notebooks_server_answers_as_helpers_chat_does(name, notebook_module):
    settings, probe = PROBES[name]

    async def main():
        async with asyncio.timeout(60):
            ours = await transcript(notebook_server(notebook_module), settings, probe)
            reference = await transcript(reference_server, settings, probe)
        return ours, reference

    ours, reference = asyncio.run(main())
    assert not any("(nothing)" in line for line in reference), reference  # the probe is sound
    assert ours == reference


def test_both_say_goodbye_the_same_way_at_shutdown(notebook_module):
    async def main():
        async with asyncio.timeout(30):
            return (await shutdown_transcript(notebook_server(notebook_module)),
                    await shutdown_transcript(reference_server))

    ours, reference = asyncio.run(main())
    assert reference[-2:] == ["newcomer: * the server is shutting down", "newcomer: (closed)"]
    assert ours == reference


# --- The same cells as a program, as the notebook writes it: run, signalled, on every Python ---

PYENV = Path("/root/.pyenv/versions")
# 3.11, 3.12 and 3.13 where pyenv has them (this machine), else the one running the tests
PYTHONS = sorted(str(p) for p in PYENV.glob("3.1[123].*/bin/python3")) or [sys.executable]


def test_the_server_cells_are_the_parts_the_notebook_writes_out():
    """The notebook collects the cells that begin "# the server, part N": the tagged ones."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    parts = [c for c in nb.cells if c.cell_type == "code"
             and re.match(r"# the server, part \d+", c.source)]
    tagged = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    assert parts == tagged
    numbers = [int(re.match(r"# the server, part (\d+)", c.source)[1]) for c in parts]
    assert numbers == list(range(1, len(parts) + 1))


def write_program(folder: Path) -> Path:
    path = folder / "chat_server.py"
    path.write_text(notebook_server_source()
                    + '\n\nif __name__ == "__main__":\n    asyncio.run(main(sys.argv[1:]))\n')
    return path


def lines_from(sock: socket.socket, count: int) -> list[str]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode().splitlines()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("python", PYTHONS, ids=lambda p: Path(p).parent.parent.name or p)
def test_the_written_program_stops_cleanly_whatever_its_clients_do(python, sig, tmp_path):
    program = write_program(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as on a learner's
    for _round in range(2):
        proc = subprocess.Popen([python, str(program), "--port", "0"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with contextlib.ExitStack() as stack:
            try:
                # the port line arrives only if the program flushed it
                ready, _, _ = select.select([proc.stdout], [], [], 10)
                assert ready, "no port line within 10 s (print it with flush=True)"
                first = proc.stdout.readline()
                address = ast.literal_eval(re.search(r"Serving on (.*) \(Ctrl-C", first)[1])
                clients = {}
                for nick in ("talker", "deaf", None, "reset", "gone"):  # None: no nickname yet
                    sock = stack.enter_context(socket.create_connection(address, timeout=10))
                    if nick == "deaf":  # joins, then never reads: a small window fills
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    assert lines_from(sock, 1) == ["* welcome! send your nickname"]
                    if nick:
                        sock.sendall(f"{nick}\n".encode())
                        assert lines_from(sock, 1)[0].startswith(f"* hello {nick}!")
                    clients[nick] = sock
                clients["reset"].sendall(b"half a li")
                clients["reset"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                            struct.pack("ii", 1, 0))
                clients.pop("reset").close()  # a reset, mid-line
                clients["gone"].sendall(b"/quit\n")
                clients["talker"].sendall(b"hello\n")
                stack.enter_context(socket.create_connection(address, timeout=10))  # arriving
                proc.send_signal(sig)
                out, err = proc.communicate(timeout=20)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
        assert (proc.returncode, out, err) == (0, "", "chat_server: stopped\n")
