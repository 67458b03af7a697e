"""Check for notebook 07's exercise: ``fetch_status(url, cafile=None)``.

The learner writes ``async def fetch_status(url, cafile=None) -> int``: send a
HEAD request with ``open_connection`` (TLS for https, trusting ``cafile``) and
return the status code from the status line. The check runs it against its own
real servers (HTTP/1.0, HTTP/1.1 keep-alive, HTTPS with a private CA) and prints
one line: ✓ or ✗ not yet.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from helpers.exercises.attempt import attempt, not_yet
from helpers.local_http import LocalHTTPServer
from helpers.tls import LocalCA


def _cases(plain, keep, tls, cafile):
    """(label, url, cafile, expected status)."""
    return [
        ("the HTTP/1.0 server's /", plain.url("/"), None, 200),
        ("the HTTP/1.0 server's /missing", plain.url("/missing"), None, 404),
        ("the HTTP/1.1 keep-alive server's /redirect", keep.url("/redirect"), None, 301),
        ("the HTTPS server's /path/page.html?x=1", tls.url("/path/page.html?x=1"), cafile, 200),
    ]


async def check(fn: Callable, timeout: float = 2.0) -> bool:
    """Print ✓ if ``fn`` returns the right status for each case, within ``timeout`` each."""
    if not inspect.iscoroutinefunction(fn):
        return not_yet("fetch_status must be an async function (async def fetch_status(...))")
    with (LocalCA() as ca,
          LocalHTTPServer() as plain,
          LocalHTTPServer(keep_alive=True) as keep,
          LocalHTTPServer(ssl_context=ca.server_context()) as tls):
        for label, url, cafile, expected in _cases(plain, keep, tls, ca.cafile()):
            problem = await _problem(fn, url, cafile, expected, timeout)
            if problem is not None:
                return not_yet(f"{label}: {problem}")
    print("✓ 200, 404 and 301 over HTTP/1.0 and 1.1, and 200 over HTTPS with the local CA")
    return True


async def _problem(fn: Callable, url: str, cafile: str | None, expected: int,
                   timeout: float) -> str | None:
    got, problem = await attempt(
        fn, url, cafile, name="fetch_status", timeout=timeout,
        stub="fetch_status still raises NotImplementedError: write its body",
        on_timeout=(f"no result within {timeout} s. Does it read until EOF on a keep-alive"
                    " connection? Send 'Connection: close', or stop at the blank line."))
    if problem is not None:
        return problem
    if type(got) is not int:
        return f"expected an int such as {expected}, got {got!r}"
    if got != expected:
        return f"expected {expected}, got {got}"
    return None
