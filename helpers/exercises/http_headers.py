"""Check for notebook 07's exercise: ``fetch_status(url, cafile=None)``.

The learner writes ``async def fetch_status(url, cafile=None) -> int``: send a
HEAD request with ``open_connection`` (TLS for https, trusting ``cafile``) and
return the status code from the status line. The check runs it against its own
real servers (HTTP/1.0, HTTP/1.1 keep-alive, HTTPS with a private CA) and prints
one line: ✓ or ✗ not yet.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

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
        print("✗ not yet: fetch_status must be an async function (async def fetch_status(...))")
        return False
    with (LocalCA() as ca,
          LocalHTTPServer() as plain,
          LocalHTTPServer(keep_alive=True) as keep,
          LocalHTTPServer(ssl_context=ca.server_context()) as tls):
        for label, url, cafile, expected in _cases(plain, keep, tls, ca.cafile()):
            problem = await _problem(fn, url, cafile, expected, timeout)
            if problem is not None:
                print(f"✗ not yet: {label}: {problem}")
                return False
    print("✓ 200, 404 and 301 over HTTP/1.0 and 1.1, and 200 over HTTPS with the local CA")
    return True


async def _problem(fn: Callable, url: str, cafile: str | None, expected: int,
                   timeout: float) -> str | None:
    try:
        async with asyncio.timeout(timeout):
            got = await fn(url, cafile)
    except NotImplementedError:
        return "fetch_status still raises NotImplementedError: write its body"
    except TimeoutError:
        return (f"no result within {timeout} s. Does it read until EOF on a keep-alive"
                " connection? Send 'Connection: close', or stop at the blank line.")
    except Exception as exc:  # the learner's bug: report it, never raise
        return f"fetch_status raised {type(exc).__name__}: {exc}"
    if type(got) is not int:
        return f"expected an int such as {expected}, got {got!r}"
    if got != expected:
        return f"expected {expected}, got {got}"
    return None
