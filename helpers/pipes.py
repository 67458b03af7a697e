"""Streams that are not sockets: a program's own stdin and stdout as a StreamReader and a
StreamWriter (notebook 11), and a pretend terminal to show what that does to a TTY.

``await stdio_streams()`` is the finished recipe: ``loop.connect_read_pipe`` with a
``StreamReaderProtocol`` for stdin, ``loop.connect_write_pipe`` and a ``StreamWriter`` for
stdout. Where the pipe transport refuses a file (a regular file: ``python prog.py < notes.txt``)
it falls back to reading or writing the file in a worker thread, behind the same stream
interface. A terminal is opened again by name, so that the non-blocking mode asyncio sets
does not leak to the shell and to every other program sharing the terminal.

As a script, the small filter the notebook runs as a child process::

    python -m helpers.pipes            # upper-cases each line from stdin to stdout, until EOF
    python -m helpers.pipes --strict   # no fallback: a regular file on stdin is an error
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pty
import stat
import sys
from collections.abc import Iterator
from typing import BinaryIO, cast

LIMIT = 2**16  # asyncio's default StreamReader limit
_feeders: set[asyncio.Task[None]] = set()


def kind(fd: int) -> str:
    """'pipe', 'socket', 'terminal', 'character device', 'regular file' or 'other'."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "terminal" if os.isatty(fd) else "character device"
    if stat.S_ISREG(mode):
        return "regular file"
    return "other"


async def read_pipe(pipe: BinaryIO, *, limit: int = LIMIT) -> asyncio.StreamReader:
    """A StreamReader fed by ``pipe`` through ``loop.connect_read_pipe`` (raises ValueError
    for a regular file). Closing the transport (at EOF, or ``reader._transport.close()``)
    closes ``pipe``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader


async def write_pipe(pipe: BinaryIO) -> asyncio.StreamWriter:
    """A StreamWriter to ``pipe`` through ``loop.connect_write_pipe`` (ValueError for a
    regular file). Its protocol is a StreamReaderProtocol, so ``drain()`` and
    ``wait_closed()`` work as on a socket."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), pipe)
    return asyncio.StreamWriter(transport, protocol, None, loop)


class _FileWriteTransport(asyncio.WriteTransport):
    """Writes to a regular file, synchronously (a disk write does not wait for a peer)."""

    def __init__(self, file: BinaryIO, protocol: asyncio.BaseProtocol) -> None:
        super().__init__()
        self._file, self._protocol, self._closing = file, protocol, False
        protocol.connection_made(self)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)
        self._file.flush()

    def can_write_eof(self) -> bool:
        return False

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._file.close()
            asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


async def _reader_from_file(file: BinaryIO, limit: int) -> asyncio.StreamReader:
    """A StreamReader fed from a regular file by a worker thread, 64 KiB at a time."""
    reader = asyncio.StreamReader(limit=limit)

    async def feed() -> None:
        try:
            while chunk := await asyncio.to_thread(file.read, 65536):
                reader.feed_data(chunk)
            reader.feed_eof()
        finally:
            file.close()

    task = asyncio.ensure_future(feed())
    _feeders.add(task)  # asyncio keeps only a weak reference to a task
    task.add_done_callback(_feeders.discard)
    return reader


def _reopen(file: BinaryIO, mode: str) -> BinaryIO:
    """A file of our own for ``file``: a terminal opened again by name (its own open file
    description, so O_NONBLOCK stays ours), anything else a duplicate descriptor (closing
    the transport then closes the duplicate, never fd 0 or 1 itself)."""
    fd = file.fileno()
    if os.isatty(fd):  # O_NOCTTY: never make it the terminal of a program that has none
        flags = (os.O_RDONLY if "r" in mode else os.O_WRONLY) | os.O_NOCTTY
        new = os.open(os.ttyname(fd), flags)
    else:
        new = os.dup(fd)
    return cast(BinaryIO, open(new, mode, buffering=0))  # noqa: SIM115 (the transport closes it)


async def stdio_streams(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None, *,
                        limit: int = LIMIT,
                        strict: bool = False) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``(reader, writer)`` for this program's stdin and stdout (or the files given).

    With ``strict``, a regular file raises the pipe transport's ValueError, as
    ``connect_read_pipe`` does; otherwise it is read (written) in a worker thread.
    """
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    if kind(stdin.fileno()) == "regular file" and not strict:
        reader = await _reader_from_file(_reopen(stdin, "rb"), limit)
    else:
        reader = await read_pipe(_reopen(stdin, "rb"), limit=limit)
    if kind(stdout.fileno()) == "regular file" and not strict:
        loop = asyncio.get_running_loop()
        protocol = asyncio.StreamReaderProtocol(asyncio.StreamReader())
        transport = _FileWriteTransport(_reopen(stdout, "wb"), protocol)
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
    else:
        writer = await write_pipe(_reopen(stdout, "wb"))
    return reader, writer


async def upper_filter(strict: bool = False) -> None:
    """Copy stdin to stdout line by line, upper-cased, until EOF; then close stdout."""
    reader, writer = await stdio_streams(strict=strict)
    try:
        async for line in reader:
            writer.write(line.upper())
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true",
                        help="no fallback for regular files: fail as connect_read_pipe does")
    args = parser.parse_args(argv)
    try:
        asyncio.run(upper_filter(strict=args.strict))
    except ValueError as exc:
        print(f"helpers.pipes: stdin is a {kind(0)}: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


# -- a pretend terminal, for the notebook's TTY pitfall -----------------------------------------

@contextlib.contextmanager
def unread_terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal nobody reads yet: ``(program_side, screen_side)`` descriptors.

    ``program_side`` is what a program's stdin and stdout would be (its terminal);
    whatever the program writes piles up until ``screen_side`` is read, and a blocking
    write waits once the terminal's small buffer is full. On exit, what is still
    waiting is read away and both ends are closed.
    """
    screen_side, program_side = pty.openpty()
    try:
        yield program_side, screen_side
    finally:
        os.set_blocking(screen_side, False)
        with contextlib.suppress(OSError):
            while os.read(screen_side, 65536):
                pass
        for fd in (program_side, screen_side):
            with contextlib.suppress(OSError):
                os.close(fd)


def flush_onto(file, screen_side: int) -> None:
    """Flush ``file`` (a text file on a terminal), reading the screen side while it is full."""
    os.set_blocking(screen_side, False)
    while True:
        try:
            file.flush()
            return
        except BlockingIOError:
            with contextlib.suppress(BlockingIOError):
                os.read(screen_side, 65536)


if __name__ == "__main__":
    sys.exit(main())
