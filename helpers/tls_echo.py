"""The echo pair over TLS, as a script and as importable coroutines.

    python -m helpers.tls_echo server [--host 127.0.0.1] [--port 8888] [--handshake-timeout S]
                                      [--certfile CERT --keyfile KEY]
    python -m helpers.tls_echo client MESSAGE [--host 127.0.0.1] [--port 8888] [--cafile CA]
                                      [--timeout S]

Without ``--certfile``, the server makes a local certificate authority (CA) in a
private temporary folder, prints where its certificate is (``CA certificate: PATH``,
the line after the address) and removes the folder when it stops. Its certificate is
valid for ``localhost`` and ``127.0.0.1``, so this verifies it::

    openssl s_client -connect 127.0.0.1:PORT -CAfile PATH

asyncio's TLS has no half-close: the client cannot say "no more" and still read. So it reads
exactly as many bytes as it sent, then closes; the server echoes until that close.
A handshake that fails (a client that does not trust the CA, plain text, silence) ends
that connection only: the handler never runs, and the server serves on. asyncio does not
report those failures unless its debug mode is on (notebook 09 shows where they go).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys

from helpers.background import close_quietly
from helpers.cli import Parser, UserError, port_number, positive_seconds, run
from helpers.echo import handle_echo
from helpers.script_server import serve_until_stopped
from helpers.tls import LocalCA

PROG = "python -m helpers.tls_echo"
DEFAULT_PORT = 8888  # the seed's port; in a notebook use 0 (JupyterLab may own 8888)
HANDSHAKE_TIMEOUT = 10.0  # s: a client that connects and never says hello is dropped then
SHUTDOWN_TIMEOUT = 5.0  # s: a client that never answers our goodbye (close_notify)
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


def server_context(certfile: str | None = None, keyfile: str | None = None,
                   ca: LocalCA | None = None) -> ssl.SSLContext:
    """The server's context: from the files given, or a certificate ``ca`` issues."""
    if certfile is None:
        ctx = (ca or LocalCA()).server_context()
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            ctx.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as exc:  # missing, unreadable, or not a key pair
            raise UserError(f"cannot load the certificate {certfile!r}: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    ctx.minimum_version = MINIMUM_VERSION
    return ctx


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    """Verification on: the system's CAs, or only the CA in ``cafile``."""
    try:
        ctx = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"cannot read the CA certificate {cafile!r}: "
                        f"{getattr(exc, 'strerror', None) or exc}") from None
    ctx.minimum_version = MINIMUM_VERSION
    return ctx


async def tls_echo_once(message: str, host: str, port: int, ctx: ssl.SSLContext,
                        timeout: float = 5.0, server_hostname: str | None = None) -> str:
    """Send ``message`` over TLS and return its echo: read as many bytes as sent, close.

    (``write_eof()`` is not possible over TLS; knowing the length is what we do instead.)
    """
    data = message.encode()
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx,
                                                       server_hostname=server_hostname)
        try:
            writer.write(data)
            echoed = await reader.readexactly(len(data))
        finally:
            await close_quietly(writer)
    return echoed.decode("utf-8", errors="backslashreplace")


async def run_server(host: str, port: int, handshake_timeout: float, idle_timeout: float,
                     certfile: str | None, keyfile: str | None) -> None:
    def log(line: str) -> None:
        print(line, flush=True)

    with contextlib.ExitStack() as stack:
        ca = None if certfile else stack.enter_context(LocalCA())  # removes its folder
        ctx = server_context(certfile, keyfile, ca)

        async def start(connected) -> asyncio.Server:
            server = await asyncio.start_server(
                connected, host, port, ssl=ctx, ssl_handshake_timeout=handshake_timeout,
                ssl_shutdown_timeout=SHUTDOWN_TIMEOUT)
            if ca is not None:  # runs just after the "Serving on" line: the second line
                asyncio.get_running_loop().call_soon(
                    lambda: print(f"CA certificate: {ca.cafile()}", flush=True))
            return server

        await serve_until_stopped(PROG, start,
                                  lambda r, w: handle_echo(r, w, idle_timeout, log))


async def run_client(message: str, host: str, port: int, cafile: str | None,
                     timeout: float) -> None:
    ctx = client_context(cafile)
    data = message.encode()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
            try:
                print(f"Send: {message!r}", flush=True)  # as in the seed's client: once connected
                writer.write(data)
                reply = (await reader.readexactly(len(data))).decode(
                    "utf-8", errors="backslashreplace")
            finally:
                await close_quietly(writer)
    except ssl.SSLCertVerificationError as exc:
        fix = "is it that server's CA?" if cafile else "give the server's CA with --cafile"
        raise UserError(f"the server's certificate is not trusted ({exc.verify_message}):"
                        f" {fix}") from None
    except ssl.SSLError as exc:
        raise UserError(f"TLS failed with {host}:{port}: {exc.reason or exc}"
                        " (is it a TLS server?)") from None
    except socket.gaierror:  # the name is not known (no DNS needed for 127.0.0.1)
        raise UserError(f"cannot find the host {host!r}") from None
    except ConnectionRefusedError:
        raise UserError(f"cannot connect to {host}:{port}: connection refused"
                        " (is the TLS echo server running?)") from None
    except TimeoutError:
        raise UserError(f"no answer from {host}:{port} within {timeout:g} s") from None
    except asyncio.IncompleteReadError as exc:
        raise UserError(f"{host}:{port} closed the connection after {len(exc.partial)}"
                        " bytes of the echo") from None
    print(f"Received: {reply!r}")
    print("Close the connection")


def parser() -> Parser:
    p = Parser(prog=PROG, description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="role", required=True, metavar="{server,client}")
    server = sub.add_parser("server", help="run the TLS echo server")
    client = sub.add_parser("client", help="send MESSAGE over TLS and print the echo")
    client.add_argument("message")
    for one in (server, client):
        one.error = p.error  # type: ignore[method-assign]  # one-line errors for sub-commands too
        one.add_argument("--host", default="127.0.0.1")
        one.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    server.add_argument("--handshake-timeout", type=positive_seconds, default=HANDSHAKE_TIMEOUT,
                        help="drop a client whose TLS handshake takes longer (s)")
    server.add_argument("--idle-timeout", type=positive_seconds, default=30.0,
                        help="drop a client that sends nothing for this long (s)")
    server.add_argument("--certfile", help="the server's certificate (PEM); default: a local CA")
    server.add_argument("--keyfile", help="its private key (PEM), if not in --certfile")
    client.add_argument("--cafile", help="trust only this CA certificate (PEM)")
    client.add_argument("--timeout", type=positive_seconds, default=5.0)
    return p


def main(argv: list[str] | None = None) -> None:
    p = parser()
    args = p.parse_args(argv)
    if args.role == "server":
        if args.keyfile and not args.certfile:
            p.error("--keyfile needs --certfile")
        run(PROG, run_server(args.host, args.port, args.handshake_timeout, args.idle_timeout,
                             args.certfile, args.keyfile))
    else:
        run(PROG, run_client(args.message, args.host, args.port, args.cafile, args.timeout))


if __name__ == "__main__":
    main(sys.argv[1:])
