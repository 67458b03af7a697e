"""Fetch a URL's response headers with asyncio streams: check the URL, send HEAD, read the head.

    response = await fetch_headers("https://127.0.0.1:PORT/path?q=1", cafile=ca.cafile())
    response.status, response.get("Content-Type"), response.lines()

It sends a ``HEAD`` request, reads up to the blank line that ends the headers,
and never reads the body. For https the certificate is verified, against the
system's CAs plus ``cafile`` (a local CA's certificate, PEM).

Every failure is a ``FetchError`` with one clear sentence, never a traceback: a
malformed URL, a scheme other than http/https, control characters (CR, LF, ...)
in the URL, a refused connection, a timeout, an untrusted certificate, a wrong
host name, a server that hangs up before the end of its headers, or headers too
large.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

from helpers.background import close_quietly

MAX_LINE = 8192  # the longest status or header line we accept (the StreamReader limit)
MAX_HEADER_BYTES = 64 * 1024  # all the header lines together
MAX_HEADERS = 100  # as http.client
DEFAULT_TIMEOUT = 10.0
DEFAULT_PORTS = {"http": 80, "https": 443}

# Bytes that must never reach the request line: controls (CR, LF, NUL, TAB...), space, DEL.
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_STATUS_LINE = re.compile(r"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110 token)


class FetchError(Exception):
    """Fetching the headers failed; the message says why in one sentence."""


class InvalidURL(FetchError, ValueError):
    """The URL cannot be sent as it is (nothing was sent)."""


class ResponseError(FetchError):
    """The server's answer is not a complete, well-formed HTTP head."""


@dataclass(frozen=True)
class Target:
    """Where to connect and what to ask for, checked and ready to send."""

    scheme: str
    host: str  # for connecting and for checking the certificate (no brackets)
    port: int
    target: str  # the request target: path and query, exactly as in the URL
    host_header: str  # the Host header's value (brackets for IPv6, port if not the default)

    @property
    def address(self) -> str:
        """``host:port`` for messages (``[::1]:8080`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url: str) -> Target:
    """Check ``url`` and split it; raise InvalidURL with a clear message if it is unusable.

    The raw string is checked *before* ``urlsplit``, because ``urlsplit`` silently
    deletes CR, LF and TAB (and leading controls): the URL sent would not be the URL
    given. Percent-escapes such as ``%0D%0A`` are sent as they are, never decoded.
    """
    if not isinstance(url, str):
        raise InvalidURL(f"expected a URL as text, not {type(url).__name__}")
    bad = _UNSAFE.search(url)
    if bad:
        what = "a space" if bad.group() == " " else f"the control character {bad.group()!r}"
        raise InvalidURL(f"the URL contains {what}: refusing to send it "
                         "(percent-encode it if you really mean it)")
    if not url.isascii():
        char = next(c for c in url if not c.isascii())
        raise InvalidURL(f"the URL contains the non-ASCII character {char!r}: percent-encode "
                         f"it ({urllib.parse.quote(char)}) or use the host's xn-- form")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS:
        if not parts.scheme or not parts.netloc:
            raise InvalidURL(f"not a URL: {url!r} (expected http://host/path or https://...)")
        raise InvalidURL(f"unsupported scheme {parts.scheme!r} in {url!r} (use http or https)")
    if not parts.hostname:
        raise InvalidURL(f"no host name in {url!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidURL("user names and passwords in the URL are not supported")
    if port == 0:
        raise InvalidURL(f"port 0 in {url!r}: a server cannot listen there")
    default = DEFAULT_PORTS[parts.scheme]
    port = default if port is None else port
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = shown if port == default else f"{shown}:{port}"
    return Target(parts.scheme, host, port, target, host_header)


def build_request(target: Target, method: str = "HEAD", version: str = "HTTP/1.1") -> bytes:
    """The request's bytes: request line, Host, ``Connection: close``, blank line (CRLFs)."""
    lines = [f"{method} {target.target} {version}", f"Host: {target.host_header}"]
    if version == "HTTP/1.1":
        lines.append("Connection: close")  # 1.1 keeps the connection open otherwise
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


@dataclass
class Response:
    """A response's head: ``HTTP/1.1 200 OK`` and its headers, in order, as sent."""

    version: str  # "HTTP/1.1"
    status: int  # 200
    reason: str  # "OK" (may be empty)
    headers: list[tuple[str, str]]  # [(name, value), ...]; a name may repeat

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (names are case-insensitive)."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def names(self) -> list[str]:
        return [name for name, _ in self.headers]

    def lines(self) -> list[str]:
        """The status line and one ``Name: value`` line per header."""
        status = f"{self.version} {self.status}" + (f" {self.reason}" if self.reason else "")
        return [status] + [f"{name}: {value}" for name, value in self.headers]


def parse_head(lines: list[str]) -> Response:
    """Turn decoded lines (status line first, no blank line) into a Response."""
    if not lines:
        raise ResponseError("the server closed the connection without answering")
    match = _STATUS_LINE.fullmatch(lines[0])
    if not match:
        raise ResponseError(f"not an HTTP response: {lines[0][:60]!r}")
    major, minor, status, reason = match.groups()
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obsolete line folding: a continuation
            name, value = headers.pop()
            headers.append((name, f"{value} {line.strip()}"))
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise ResponseError(f"malformed header line: {line[:60]!r}")
        headers.append((name, value.strip(" \t")))
    return Response(f"HTTP/{major}.{minor}", int(status), reason or "", headers)


async def read_head(reader: asyncio.StreamReader, max_bytes: int = MAX_HEADER_BYTES,
                    max_headers: int = MAX_HEADERS) -> Response:
    """Read the status line and headers up to the blank line; never wait for EOF."""
    lines: list[str] = []
    total = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # readline turns LimitOverrunError into ValueError
            limit = getattr(reader, "_limit", "the reader's")  # open_connection(limit=...)
            raise ResponseError(f"a response line is longer than the limit ({limit} bytes)"
                                ) from None
        total += len(line)
        if total > max_bytes:
            raise ResponseError(f"the response headers are larger than {max_bytes} bytes")
        if not line.endswith(b"\n"):  # EOF: b"" or a last line cut short
            if not lines and not line:
                raise ResponseError("the server closed the connection without answering")
            raise ResponseError("the server closed the connection before the end of the "
                                f"headers (after {len(lines)} complete lines)")
        if line in (b"\r\n", b"\n"):
            return parse_head(lines)
        if len(lines) > max_headers:
            raise ResponseError(f"more than {max_headers} header lines")
        lines.append(line.decode("latin-1").rstrip("\r\n"))  # latin-1 never fails


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    """The system's trust store (verification on), plus the CA certificates in ``cafile``."""
    ctx = ssl.create_default_context()
    if cafile is not None:
        try:
            ctx.load_verify_locations(cafile=cafile)
        except FileNotFoundError:
            raise FetchError(f"CA file not found: {cafile!r}") from None
        except (ssl.SSLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
            raise FetchError(f"cannot load CA file {cafile!r}: {reason} "
                             "(expected PEM certificates)") from None
    return ctx


def _explain_tls(exc: ssl.SSLError, where: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = (exc.verify_message or str(exc)).rstrip(".")
        if "mismatch" in why:
            return f"the certificate of {where} is for another name: {why}"
        return (f"cannot verify the certificate of {where}: {why} (is it signed by a CA "
                "you trust? pass its certificate as cafile / --cafile)")
    return f"TLS failed with {where}: {exc.reason or exc}"


async def fetch_headers(url: str, *, cafile: str | None = None,
                        ssl_context: ssl.SSLContext | None = None,
                        timeout: float = DEFAULT_TIMEOUT, version: str = "HTTP/1.1") -> Response:
    """``HEAD url`` and return the response's head; raise FetchError (one clear sentence).

    For https, the certificate is verified against the system's CAs plus ``cafile``
    (or against ``ssl_context`` if given). ``timeout`` bounds the whole exchange.
    """
    target = parse_url(url)
    ctx = None
    if target.scheme == "https":
        ctx = ssl_context if ssl_context is not None else client_context(cafile)
    where = target.address
    writer = None
    step = "connect" + (" and finish the TLS handshake" if ctx else "")
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                target.host, target.port, ssl=ctx, limit=MAX_LINE,
                ssl_handshake_timeout=timeout if ctx else None)
            step = "get the response headers"
            writer.write(build_request(target, version=version))
            await writer.drain()
            return await read_head(reader)
    except TimeoutError:
        raise FetchError(f"could not {step} with {where} within {timeout} s") from None
    except ssl.SSLError as exc:
        raise FetchError(_explain_tls(exc, where)) from None
    except ConnectionRefusedError:
        raise FetchError(f"cannot connect to {where}: connection refused") from None
    except ConnectionAbortedError as exc:  # ssl_handshake_timeout raises this, not TimeoutError
        raise FetchError(f"TLS handshake with {where} aborted: {exc}") from None
    except socket.gaierror as exc:
        raise FetchError(f"cannot find host {target.host!r}: {exc.strerror}") from None
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise FetchError(f"could not {step} with {where}: {why}") from None
    finally:
        if writer is not None:
            await close_quietly(writer)  # waits briefly (TLS says goodbye), then aborts
