"""Check for notebook 07's exercise: ``fetch_status(url, cafile=None)``.

The learner writes ``async def fetch_status(url, cafile=None) -> int``: send a
HEAD request with ``open_connection`` (TLS for https, trusting ``cafile``) and
return the status code from the status line. The check runs it against its own
real servers (HTTP/1.0, HTTP/1.1 keep-alive, HTTPS with a private CA) and prints
one line: ✓ or ✗ not yet.

The status alone does not tell everything, so the check also reads each server's
log: exactly one ``HEAD`` request must arrive, for the URL's whole target (path
AND query string). An HTTP/1.1 request without ``Host`` gets 400 from the servers.
And verification must stay on: two more HTTPS servers, one whose certificate
another CA signed and one whose certificate names another host, must make
``fetch_status`` raise, not return 200.
"""

from __future__ import annotations

from helpers.exercises.contract import Exercise, NotYet, Trial, name_of
from helpers.local_http import LocalHTTPServer
from helpers.tls import LocalCA

HINTS = [
    "urllib.parse.urlsplit(url) gives scheme, hostname, port, path and query. The"
    " request target is the path (or '/') plus '?' and the query when there is one;"
    " send 'HEAD <target> HTTP/1.1', then 'Host: <host:port>' and 'Connection: close'"
    " lines, then a blank line (every line ends with \\r\\n).",
    "For https, pass ssl=ssl.create_default_context(cafile=cafile) to open_connection:"
    " it checks the certificate and the host name; never turn either off. The status is"
    " the second word of the first line: int(line.split()[1]).",
]
ON_TIMEOUT = ("no result within {timeout:g} s. Does it read until EOF on a keep-alive"
              " connection? Send 'Connection: close', or stop at the blank line.")


def _requests(log: list[str]) -> list[str]:
    """The request lines in a server's log: '"HEAD / HTTP/1.1" 200 -' -> 'HEAD / HTTP/1.1'."""
    return [line[1:].rsplit('" ', 1)[0] for line in log if line.startswith('"')]


def _server_said(log: list[str]) -> str:
    """The reason of the last error the server answered with, e.g. 'Missing Host header'."""
    errors = [line.split(", message ", 1)[1] for line in log if line.startswith("code ")]
    return errors[-1] if errors else ""


async def _status(trial: Trial, fn, label: str, srv: LocalHTTPServer, target: str,
                  cafile: str | None, expected: int, timeout: float) -> None:
    """One case that must answer ``expected``, with one HEAD request for ``target``."""
    name = name_of(fn, "fetch_status")
    seen = len(srv.log)
    got = await trial.call(fn, srv.url(target), cafile, name=name, timeout=timeout,
                           stub=f"{name} still raises NotImplementedError: write its body",
                           on_timeout=ON_TIMEOUT.format(timeout=timeout))
    log = srv.log[seen:]
    said = _server_said(log)
    if said == "Missing Host header":
        raise NotYet(f"{label}: the server answered 400 Bad Request: the request has no Host"
                     " header (HTTP/1.1 requires 'Host: host:port')")
    if type(got) is not int:
        raise NotYet(f"{label}: expected an int such as {expected}, got {got!r}")
    requests = _requests(log)
    if not requests:
        raise NotYet(f"{label}: returned {got} but no request reached the server: ask it")
    if len(requests) > 1:
        raise NotYet(f"{label}: {len(requests)} requests reached the server for one call:"
                     " send one")
    method, _, rest = requests[0].partition(" ")
    sent_target = rest.rsplit(" ", 1)[0]
    if method != "HEAD":
        raise NotYet(f"{label}: the server got a {method} request: send HEAD (headers only)")
    if sent_target != target:
        keep = " (keep the query string)" if "?" in target and "?" not in sent_target else ""
        raise NotYet(f"{label}: the server was asked for {sent_target!r}, the URL's target"
                     f" is {target!r}{keep}")
    if got != expected:
        extra = f" ({said})" if said else ""
        raise NotYet(f"{label}: expected {expected}, got {got}{extra}")


async def _refused(trial: Trial, fn, label: str, url: str, cafile: str, why: str,
                   timeout: float) -> None:
    """One case where verification must fail: ``fn`` must raise, not return a status."""
    name = name_of(fn, "fetch_status")
    got, error = await trial.outcome(fn, url, cafile, name=name, timeout=timeout,
                                     on_timeout=ON_TIMEOUT.format(timeout=timeout))
    if error is None:
        raise NotYet(f"{label}: {name} returned {got!r}; it must raise"
                     f" (ssl.SSLCertVerificationError): {why}")


async def _run(trial: Trial, fn, timeout: float = 2.0) -> str:
    """Print ✓ if ``fn`` returns the right status for each case, within ``timeout`` each."""
    ca = trial.enter(LocalCA())
    other_ca = trial.enter(LocalCA("Another CA, not yours"))
    cafile = ca.cafile()
    plain = trial.enter(LocalHTTPServer())
    keep = trial.enter(LocalHTTPServer(keep_alive=True))
    tls = trial.enter(LocalHTTPServer(ssl_context=ca.server_context()))
    for label, srv, target, ca_file, expected in [
        ("the HTTP/1.0 server's /", plain, "/", None, 200),
        ("the HTTP/1.0 server's /missing", plain, "/missing", None, 404),
        ("the HTTP/1.1 keep-alive server's /redirect", keep, "/redirect", None, 301),
        ("the HTTP/1.1 server's /path/page.html?q=streams&n=1", keep,
         "/path/page.html?q=streams&n=1", None, 200),
        ("the HTTPS server's /path/page.html?x=1", tls, "/path/page.html?x=1", cafile, 200),
    ]:
        await _status(trial, fn, label, srv, target, ca_file, expected, timeout)
    untrusted = trial.enter(LocalHTTPServer(ssl_context=other_ca.server_context()))
    await _refused(trial, fn, "an HTTPS server whose certificate another CA signed",
                   untrusted.url("/"), cafile,
                   "certificate verification is off (CERT_NONE?); keep"
                   " ssl.create_default_context(cafile=cafile) as it is", timeout)
    elsewhere = trial.enter(LocalHTTPServer(ssl_context=ca.server_context("example.org")))
    await _refused(trial, fn, "an HTTPS server whose certificate is for example.org",
                   elsewhere.url("/"), cafile,
                   "the host name is not checked (check_hostname = False?); leave it on",
                   timeout)
    return ("200, 404, 301 over HTTP/1.0 and 1.1 (query kept), 200 over HTTPS with your CA,"
            " and no trust in a certificate from another CA or for another host")


check = Exercise(_run, hints=HINTS, deadline=60)
hint = check.hint
