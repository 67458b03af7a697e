"""A small line protocol that starts in plain text and upgrades to TLS, as SMTP and IMAP do.

    S: WELCOME say STARTTLS        plain text
    C: STARTTLS
    S: GO AHEAD
       ... the TLS handshake: StreamWriter.start_tls() on both ends ...
    S: SECURE <greeting>           everything from here on is over TLS
    C: NOTE <text>       S: OK
    C: QUIT              S: BYE

The classic bug: bytes that arrived in plain text *with* the ``STARTTLS`` line (a man in
the middle added them) sit in the StreamReader's buffer. What ``start_tls()`` does with
them depends on the side and the release:

- the client's end, every release: they stay in the buffer, and the next ``readline()``
  returns them as if they had come over TLS;
- the server's end, 3.11, 3.12, 3.13.0-3.13.12, 3.14.0-3.14.3: the same;
- the server's end, 3.13.13+, 3.14.4+ and 3.15 (gh-142352, PR #142354; 3.13 backport
  PR #145364): ``loop.start_tls()`` moves them into the TLS layer as the start of the
  client's handshake. Plain text is not a TLS record, so the handshake fails
  (``ssl.SSLError``) and the honest client is dropped.

Neither is what the protocol asks (RFC 3207, section 4.2; RFC 2595, section 3.1): the
fix, on each end, is the same on every release. After the last plain-text line, take
what is already buffered (``take_buffered``); if there is anything, refuse and close.
``BufferToTLSLoop`` plays the fixed releases on any Python, for the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from helpers.background import close_quietly

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
GREETING = "hello over TLS"
HANDSHAKE_TIMEOUT = 5.0  # s


async def say(writer: asyncio.StreamWriter, line: str) -> None:
    """Send one line (``\\n`` added) and wait until it may go."""
    writer.write(line.encode() + b"\n")
    await writer.drain()


async def read_line(reader: asyncio.StreamReader) -> str:
    """The next line without its ``\\n``; ``""`` at end of file."""
    return (await reader.readline()).decode(errors="backslashreplace").rstrip("\r\n")


async def take_buffered(reader: asyncio.StreamReader) -> bytes:
    """Whatever ``reader`` already holds, without waiting for more (``b""`` if nothing).

    ``read()`` returns buffered bytes at once; with nothing buffered it would wait, and a
    deadline of zero ends that wait before a single new byte can arrive.
    """
    taken = b""
    while True:
        try:
            async with asyncio.timeout(0):
                chunk = await reader.read(65536)
        except TimeoutError:  # nothing (more) buffered
            return taken
        if not chunk:  # end of file
            return taken
        taken += chunk


class _EarlyEofFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("returning true from eof_received()")


@contextlib.contextmanager
def quiet_early_eof() -> Iterator[None]:
    """Drop one misleading asyncio warning while the block runs.

    When a client closes right after the handshake, its ``close_notify`` can reach the
    server before the server's ``start_tls()`` has returned. asyncio (3.11 to 3.13) then
    logs "returning true from eof_received() has no effect when using ssl": the stream
    learns that it is over TLS only when ``start_tls()`` returns. Nothing is wrong with
    the connection; the filter keeps that line out of an exercise check's output.
    """
    asyncio_logger = logging.getLogger("asyncio")
    quiet = _EarlyEofFilter()
    asyncio_logger.addFilter(quiet)
    try:
        yield
    finally:
        asyncio_logger.removeFilter(quiet)


class BufferToTLSLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``start_tls()`` behaves as 3.13.13+ and 3.14.4+ do (gh-142352).

    On the server's end (``server_side=True``, a stream's protocol), bytes already in the
    StreamReader's buffer are taken out of it and handed to the TLS layer, ahead of
    anything the socket delivers next. ``client_side_too=True`` does the same on the
    client's end, which no release does: it lets a test ask what a check would make of
    that. For tests on the releases installed here; use it with
    ``asyncio.Runner(loop_factory=BufferToTLSLoop)``.
    """

    client_side_too = False

    async def start_tls(self, transport: Any, protocol: Any, sslcontext: ssl.SSLContext,
                        *, server_side: bool = False, **kwargs: Any) -> Any:
        reader = getattr(protocol, "_stream_reader", None)
        moving = isinstance(protocol, asyncio.StreamReaderProtocol) and reader is not None \
            and (server_side or self.client_side_too)
        if moving and reader is not None and reader._buffer:
            pending = bytes(reader._buffer)
            reader._buffer.clear()
            set_protocol = transport.set_protocol

            def hand_over(ssl_protocol: Any) -> None:  # the TLS layer, as start_tls makes it
                transport.set_protocol = set_protocol
                ssl_protocol._incoming.write(pending)  # its incoming TLS bytes
                set_protocol(ssl_protocol)

            transport.set_protocol = hand_over
        return await super().start_tls(transport, protocol, sslcontext,
                                       server_side=server_side, **kwargs)


class BufferToTLSBothEndsLoop(BufferToTLSLoop):
    """``BufferToTLSLoop`` on the client's end too (no release does this)."""

    client_side_too = True


def starttls_server(ctx: ssl.SSLContext, log: list, *, refuse_plaintext: bool = True,
                    greeting: str = GREETING, inject: bytes = b"",
                    handshake_timeout: float = HANDSHAKE_TIMEOUT) -> Handler:
    """A handler for ``start_server``/``serve`` that speaks the protocol above.

    ``log`` gets ``(note, "over TLS" | "in plain text")`` for each NOTE and one line for
    each refusal or dropped client. ``refuse_plaintext=False`` is the bug. ``inject``
    plays the man in the middle towards the client: bytes sent right after ``GO AHEAD``,
    in plain text, in the same write.
    """
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await say(writer, "WELCOME say STARTTLS")
            while line := await read_line(reader):
                secure = writer.get_extra_info("ssl_object") is not None
                if line == "STARTTLS" and not secure:
                    if refuse_plaintext and (extra := await take_buffered(reader)):
                        log.append(f"refused: {len(extra)} bytes of plain text after STARTTLS")
                        await say(writer, "ERR plain text after STARTTLS")
                        return
                    writer.write(b"GO AHEAD\n" + inject)
                    await writer.start_tls(ctx, ssl_handshake_timeout=handshake_timeout)
                    await say(writer, f"SECURE {greeting}")
                elif line.startswith("NOTE "):
                    log.append((line[5:], "over TLS" if secure else "in plain text"))
                    await say(writer, "OK")
                elif line == "QUIT":
                    await say(writer, "BYE")
                    return
                else:
                    await say(writer, "ERR say STARTTLS first" if not secure else "ERR what?")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            log.append(f"dropped: {type(exc).__name__}")  # SSLError is an OSError
        finally:
            await close_quietly(writer)

    return handle


async def inject_after_starttls(host: str, port: int, ctx: ssl.SSLContext, extra: bytes,
                                timeout: float = 5.0) -> list[str]:
    """Play an honest client whose ``STARTTLS`` line a man in the middle extended with
    ``extra``; return every line the server sent (the handshake is done if it agrees).

    When the client's handshake fails (on 3.13.13+ and 3.14.4+ the server feeds ``extra``
    to TLS, and drops the client), the last item says so:
    ``"(handshake failed: ConnectionResetError)"``.
    """
    heard = []
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            heard.append(await read_line(reader))  # WELCOME
            writer.write(b"STARTTLS\n" + extra)  # one write: one segment on the wire
            heard.append(answer := await read_line(reader))
            if answer == "GO AHEAD":
                try:
                    await writer.start_tls(ctx, server_hostname=host)
                except OSError as exc:  # ssl.SSLError, ConnectionResetError...
                    heard.append(f"(handshake failed: {type(exc).__name__})")
                else:
                    heard.append(await read_line(reader))  # SECURE ...
                    if extra:
                        heard.append(await read_line(reader))  # what the server made of it
                    await say(writer, "QUIT")
                    heard.append(await read_line(reader))
        finally:
            await close_quietly(writer)
    return [line for line in heard if line]


async def buffered_bytes_go_to_tls(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
                                   timeout: float = 5.0) -> bool:
    """Ask this Python, by what it does: does a server's ``start_tls()`` hand bytes already
    in the reader's buffer to TLS (gh-142352: 3.13.13+, 3.14.4+), or leave them there?

    It runs the injection once against a server without the fix, on the running loop:
    True if the handshake failed (the bytes went to TLS), False if the server took the
    injected note over TLS (they stayed in the buffer).
    """
    log: list = []
    handler = starttls_server(server_ctx, log, refuse_plaintext=False,
                              handshake_timeout=timeout)
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        host, port = server.sockets[0].getsockname()[:2]
        heard = await inject_after_starttls(host, port, client_ctx, b"NOTE probe\n", timeout)
    if heard[-1].startswith("(handshake failed"):
        return True
    if heard[-2:] == ["OK", "BYE"]:
        return False
    raise RuntimeError(f"start_tls() did something new with buffered bytes: {heard}")
