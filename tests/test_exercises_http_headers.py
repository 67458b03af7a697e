"""07-http-headers' exercise check: the solution passes; each wrong fetch_status fails."""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse

from helpers.exercises.http_headers import check
from tests.exercise_support import not_yet, passes, solution

fetch_status = solution("07-http-headers", "fetch_status")


def variant(*, verify: str = "on", query: bool = True, host: bool = True,
            close: bool = True, method: str = "HEAD", keep_alive_safe: bool = True):
    """The reference solution with one thing done wrong."""
    async def fetch_status(url, cafile=None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https":
            tls = ssl.create_default_context(cafile=cafile)
            if verify in ("off", "no hostname"):
                tls.check_hostname = False
            if verify == "off":
                tls.verify_mode = ssl.CERT_NONE
            port = parts.port or 443
        else:
            tls, port = None, parts.port or 80
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query and query else "")
        request = (f"{method} {target} HTTP/1.1\r\n"
                   + (f"Host: {parts.netloc}\r\n" if host else "")
                   + ("Connection: close\r\n" if keep_alive_safe else "")
                   + "\r\n")
        reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=tls)
        try:
            writer.write(request.encode("ascii"))
            await writer.drain()
            if keep_alive_safe:
                return int((await reader.readline()).split()[1])
            return int((await reader.read()).split()[1])  # waits for an EOF
        finally:
            if close:
                writer.close()
                await writer.wait_closed()

    return fetch_status


def test_the_reference_solution_passes():
    assert passes(check, fetch_status) == (
        "✓ 200, 404, 301 over HTTP/1.0 and 1.1 (query kept), 200 over HTTPS with your CA, and"
        " no trust in a certificate from another CA or for another host")


def test_the_variant_without_mistakes_passes():
    passes(check, variant())


def test_certificate_verification_off_is_not_yet():
    assert not_yet(check, variant(verify="off")) == (
        "an HTTPS server whose certificate another CA signed: fetch_status returned 200; it"
        " must raise (ssl.SSLCertVerificationError): certificate verification is off"
        " (CERT_NONE?); keep ssl.create_default_context(cafile=cafile) as it is")


def test_host_name_checking_off_is_not_yet():
    assert not_yet(check, variant(verify="no hostname")) == (
        "an HTTPS server whose certificate is for example.org: fetch_status returned 200; it"
        " must raise (ssl.SSLCertVerificationError): the host name is not checked"
        " (check_hostname = False?); leave it on")


def test_dropping_the_query_string_is_not_yet():
    assert not_yet(check, variant(query=False)) == (
        "the HTTP/1.1 server's /path/page.html?q=streams&n=1: the server was asked for"
        " '/path/page.html', the URL's target is '/path/page.html?q=streams&n=1'"
        " (keep the query string)")


def test_no_host_header_is_not_yet():
    assert not_yet(check, variant(host=False)) == (
        "the HTTP/1.0 server's /: the server answered 400 Bad Request: the request has no Host"
        " header (HTTP/1.1 requires 'Host: host:port')")


def test_never_closing_the_connection_is_not_yet():
    assert not_yet(check, variant(close=False)) == (
        "fetch_status left a connection open (only Python's garbage collector closed it):"
        " close the writer, then await writer.wait_closed()")


def test_get_instead_of_head_is_not_yet():
    assert not_yet(check, variant(method="GET")) == (
        "the HTTP/1.0 server's /: the server got a GET request: send HEAD (headers only)")


def test_a_guessed_status_is_not_yet():
    async def fetch_status(url, cafile=None):
        if "missing" in url:
            return 404
        return 301 if "redirect" in url else 200

    assert not_yet(check, fetch_status) == (
        "the HTTP/1.0 server's /: returned 200 but no request reached the server: ask it")


def test_the_stub_and_other_mistakes_are_not_yet():
    async def stub(url, cafile=None):
        raise NotImplementedError("your code here")

    async def always_200(url, cafile=None):
        return 200

    async def as_text(url, cafile=None):
        return str(await fetch_status(url, cafile))

    async def ignores_cafile(url, cafile=None):
        return await fetch_status(url, None)

    def not_async(url, cafile=None):
        return 200

    assert not_yet(check, stub) == (
        "stub still raises NotImplementedError: write its body")
    assert "no request reached the server" in not_yet(check, always_200)
    assert "expected an int such as 200, got '200'" in not_yet(check, as_text)
    assert "SSLCertVerificationError" in not_yet(check, ignores_cafile)
    assert not_yet(check, not_async) == "not_async must be a coroutine function (async def)"


def test_reading_to_eof_on_keep_alive_times_out():
    assert not_yet(check, variant(keep_alive_safe=False), timeout=0.5).startswith(
        "no result within 0.5 s. Does it read until EOF on a keep-alive connection?")
