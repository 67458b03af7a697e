"""Check for notebook 09's exercise: ``secure_greeting(host, port, ctx)``, a STARTTLS client.

The learner writes ``async def secure_greeting(host, port, ctx) -> str``: connect in
plain text, read the server's ``WELCOME`` line, send ``STARTTLS``, wait for ``GO AHEAD``,
refuse (raise) if anything else came with it, upgrade with ``writer.start_tls(ctx,
server_hostname=host)``, and return the first line the server sends over TLS (without
its newline), closing the connection every time. The check runs it against four
private servers (``helpers.starttls``), each with certificates from its own local CA:

1. an honest server: the line ``SECURE <greeting>`` must come back;
2. a server whose certificate comes from a CA the learner was not told to trust:
   ``secure_greeting`` must raise (it returns only when verification is off);
3. a server whose certificate, from the trusted CA, is for another name: it must raise
   (it returns only when the host name is not checked);
4. a server that sends a forged ``SECURE`` line in plain text right after ``GO AHEAD``,
   as a man in the middle would: it must raise *before* it starts the handshake. The
   learner's ``ctx`` notes each TLS session started with it (``wrap_bio``), so the
   check judges what the learner did, not what asyncio did with the forged bytes: on
   every release a client's ``start_tls()`` leaves them in the reader's buffer (the
   learner returns the forgery), but a client that raised only because its handshake
   failed (as it would if a release ever fed them to TLS on the client's end, the way
   gh-142352 does on the server's, 3.13.13+ and 3.14.4+) has not refused anything.
"""

from __future__ import annotations

import secrets
import ssl
from typing import Any

from helpers.background import BackgroundServer
from helpers.exercises.contract import Exercise, NotYet, Trial, short
from helpers.starttls import quiet_early_eof, starttls_server
from helpers.tls import LocalCA

NAME = "_check_starttls"  # private server names start with this
FORGED = "SECURE forged by a man in the middle"
HINTS = [
    "Four steps, in plain text first: reader, writer = await asyncio.open_connection(host, port);"
    " read the WELCOME line; write b'STARTTLS\\n'; read until the GO AHEAD line.",
    "Then upgrade the same connection: await writer.start_tls(ctx, server_hostname=host)."
    " Without server_hostname, the context cannot check whose certificate it is. Use ctx as"
    " given: never turn check_hostname or verify_mode off.",
    "Before start_tls, anything the reader already holds came in plain text, after GO AHEAD:"
    " nobody should have sent it. take_buffered(reader) from helpers.starttls returns it;"
    " if it is not empty, raise ConnectionError instead of upgrading.",
    "Put everything after open_connection in try: ... finally: await close_quietly(writer)"
    " (helpers.background), so the connection is closed when you raise too.",
]
STUB = "secure_greeting still raises NotImplementedError: write its body"
VERIFY_OFF = ("against a server whose certificate no CA you trust has signed, secure_greeting"
              " returned {got}: it must raise (ssl.SSLCertVerificationError). Is verification"
              " off? Use the ctx you are given, unchanged")
NAME_OFF = ("against a server whose certificate is for another name (elsewhere.test),"
            " secure_greeting returned {got}: it must raise. Pass server_hostname=host to"
            " start_tls (without it, start_tls checks no name at all) and leave"
            " ctx.check_hostname on")
LEFT_OPEN = ("secure_greeting returned, but left its connection open: close the writer"
             " (in a finally: block, so that raising closes it too)")
STARTED_ANYWAY = ("secure_greeting started the TLS handshake although plain text had come"
                  " right after GO AHEAD ({what}): check what is already buffered after"
                  " reading GO AHEAD and before start_tls, and raise if there is anything")
INJECTED = ("secure_greeting returned {got}, which a man in the middle sent in plain text"
            " right after GO AHEAD, before the handshake: check what is already buffered"
            " after reading GO AHEAD and before start_tls, and raise if there is anything")


class _WatchedContext(ssl.SSLContext):
    """A client context like ``LocalCA.client_context()`` that counts the TLS sessions
    started with it (``start_tls`` calls ``wrap_bio`` once, before the first handshake byte).
    """

    started = 0

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.started += 1
        return super().wrap_bio(*args, **kwargs)


def _watched(ca: LocalCA) -> _WatchedContext:
    ctx = _WatchedContext(ssl.PROTOCOL_TLS_CLIENT)  # verification and host name on
    ctx.load_default_certs()
    ca.configure_trust(ctx)
    return ctx


async def _start(trial: Trial, name: str, ctx, **kwargs) -> BackgroundServer:
    return await trial.serve(f"{NAME}_{name}", starttls_server(ctx, [], **kwargs))


async def _must_refuse(trial: Trial, fn, srv: BackgroundServer, ca: LocalCA,
                       reason: str, wrong: str) -> None:
    got, error = await trial.outcome(fn, *srv.address, ca.client_context(),
                                     name="secure_greeting", timeout=2.0, stub=STUB)
    if error is None:
        if got == wrong:
            raise NotYet(reason.format(got=short(got)))
        raise NotYet(f"{reason.format(got=short(got))} (raise an error instead of returning)")
    if not await srv.wait_idle(1.0):
        raise NotYet(LEFT_OPEN)


async def _run(trial: Trial, fn) -> str:
    """Print ✓ if ``fn`` greets over STARTTLS, verifies the server, and refuses injected text."""
    trial.enter(quiet_early_eof())  # a client closing at once must not add a warning line
    ca = LocalCA()  # the CA the learner's ctx trusts; certificates stay in memory
    stranger = LocalCA("Someone else's CA")
    greeting = f"hello over TLS, {secrets.token_hex(3)}"

    # 1. An honest server.
    honest = await _start(trial, "honest", ca.server_context(), greeting=greeting)
    got = await trial.call(fn, *honest.address, ca.client_context(), name="secure_greeting",
                           timeout=2.0, stub=STUB)
    if isinstance(got, bytes | bytearray):
        raise NotYet("secure_greeting returned bytes: decode the line and return a str")
    if got != f"SECURE {greeting}":
        raise NotYet(f"expected the first line sent over TLS, 'SECURE {greeting}' (without its"
                     f" newline), got {short(got)}")
    if not await honest.wait_idle(1.0):
        raise NotYet(LEFT_OPEN)

    # 2. A certificate from a CA nobody told the learner to trust.
    unknown = await _start(trial, "unknown_ca", stranger.server_context(), greeting=greeting)
    await _must_refuse(trial, fn, unknown, ca, VERIFY_OFF, f"SECURE {greeting}")

    # 3. A certificate from the trusted CA, for another name.
    elsewhere = await _start(trial, "elsewhere", ca.server_context("elsewhere.test"),
                             greeting=greeting)
    await _must_refuse(trial, fn, elsewhere, ca, NAME_OFF, f"SECURE {greeting}")

    # 4. Plain text injected right after GO AHEAD: refused before the handshake starts.
    injecting = await _start(trial, "injecting", ca.server_context(), greeting=greeting,
                             inject=f"{FORGED}\n".encode())
    ctx = _watched(ca)
    got, error = await trial.outcome(fn, *injecting.address, ctx, name="secure_greeting",
                                     timeout=2.0, stub=STUB)
    if error is None and got == FORGED:
        raise NotYet(INJECTED.format(got=short(got)))
    if ctx.started:
        what = f"returned {short(got)}" if error is None else \
            f"then raised {type(error).__name__}"
        raise NotYet(STARTED_ANYWAY.format(what=what))
    if error is None:
        raise NotYet(f"{INJECTED.format(got=short(got))} (raise an error instead of returning)")
    if not await injecting.wait_idle(1.0):
        raise NotYet(LEFT_OPEN)

    return ("secure_greeting upgrades with STARTTLS, refuses an unknown CA and a certificate"
            " for another name, and never takes plain text for TLS")


check = Exercise(_run, hints=HINTS, deadline=30)
hint = check.hint
