"""Rude TLS clients: the plumbing of notebook 09 (a TLS server).

Each rude client does one thing a TLS server meets in the wild, and returns one line
saying what the *client* saw. The server side is what the notebook looks at:

    await untrusting_client(host, port)         # does not trust our local CA
    await plain_text_client(host, port)         # speaks plain text to the TLS port
    await tls_to_plain_port(host, port, ctx)    # speaks TLS to a plain-text port
    await silent_client(host, port)             # connects and never says hello
    async with stubborn_peer(host, port, ctx):  # never answers the server's goodbye
        ...
    await chatty_peer(host, port, ctx)          # keeps writing after the server's goodbye
    await chatty_peer(host, port, ctx, polite=True)  # stops writing, reads to the end

What the *server* side reports, notebook 09 reads with ``helpers.error_log``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator

from helpers.background import close_quietly


def _tls_failure(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"client: certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"client: TLS failed ({exc.reason})"
    if isinstance(exc, ConnectionError | asyncio.IncompleteReadError):
        return "client: the server hung up"
    return f"client: {type(exc).__name__}"


async def untrusting_client(host: str, port: int, timeout: float = 2.0) -> str:
    """A TLS client that trusts only the system's CAs (not our local one)."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=ssl.create_default_context())
    except (OSError, asyncio.IncompleteReadError) as exc:
        return _tls_failure(exc)
    await close_quietly(writer)
    return "client: connected (it should not have)"


async def plain_text_client(host: str, port: int, text: bytes = b"hello, anyone?\n",
                            timeout: float = 2.0) -> str:
    """Connects without TLS, sends ``text``, reads until the server hangs up."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(text)
            got = await reader.read()
        except ConnectionError:
            got = b""
        finally:
            await close_quietly(writer)
    return f"client: the server hung up after sending {len(got)} bytes"


async def tls_to_plain_port(host: str, port: int, ctx: ssl.SSLContext,
                            timeout: float = 2.0) -> str:
    """A TLS client knocking on a plain-text port (an echo server sends its hello back)."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return _tls_failure(exc)
    await close_quietly(writer)
    return "client: connected (it should not have)"


async def silent_client(host: str, port: int, timeout: float = 5.0) -> tuple[str, float]:
    """Connects and never starts the handshake; (what it saw, seconds until dropped)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        started = loop.time()
        try:
            got = await reader.read()
        except ConnectionError:
            got = b""
        finally:
            await close_quietly(writer)
    return f"client: dropped by the server after sending {len(got)} bytes", loop.time() - started


@contextlib.asynccontextmanager
async def stubborn_peer(host: str, port: int, ctx: ssl.SSLContext,
                        message: bytes = b"hello") -> AsyncIterator[bytes]:
    """A TLS client that sends ``message``, reads the echo, then never reads again.

    The server's goodbye (TLS ``close_notify``) is never answered while the block runs.
    It is a blocking ``ssl`` socket in a thread, because an asyncio client answers the
    goodbye by itself. Yields the echo.
    """
    connected = threading.Event()
    release = threading.Event()
    echoed: list[bytes] = []

    def peer() -> None:
        with socket.create_connection((host, port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(message)
            echoed.append(tls.recv(len(message)))
            connected.set()
            release.wait(10)

    thread = asyncio.ensure_future(asyncio.to_thread(peer))
    try:
        while not connected.is_set() and not thread.done():
            await asyncio.sleep(0.01)
        if thread.done():
            await thread  # its error, if any
        yield echoed[0]
    finally:
        release.set()
        with contextlib.suppress(OSError):
            await thread


async def chatty_peer(host: str, port: int, ctx: ssl.SSLContext, *, polite: bool = False,
                      message: bytes = b"hello", timeout: float = 5.0) -> str:
    """A TLS client that sends ``message``, then more, until the connection breaks.

    It never reads, so it never sees the server's goodbye (``close_notify``) and goes on
    writing after it: the server's ``wait_closed()`` then raises ``ssl.SSLError``
    (APPLICATION_DATA_AFTER_CLOSE_NOTIFY). ``polite=True`` sends ``message`` only, then
    reads until the server's goodbye, and says its own. A blocking ``ssl`` socket in a
    thread (an asyncio client would read, and answer the goodbye by itself). Returns one
    line: what the client saw.
    """
    def peer() -> str:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(message)
            if polite:
                got = b""
                while chunk := tls.recv(4096):  # b"" at the server's close_notify
                    got += chunk
                tls.unwrap()  # our own close_notify
                return f"client: read {len(got)} bytes, then the server's goodbye"
            try:
                while True:
                    tls.sendall(b"more " * 200)
                    time.sleep(0.001)
            except OSError:  # the server gave up on us (which error depends on timing)
                return "client: writing failed, the server hung up"

    return await asyncio.to_thread(peer)
