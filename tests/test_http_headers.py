"""helpers.http_headers: the fetcher and ``python -m helpers.http_headers`` on real servers."""

from __future__ import annotations

import asyncio
import http.client
from contextlib import asynccontextmanager

import pytest

from helpers.background import serve, stop, stop_all
from helpers.http_headers import (
    FetchError,
    InvalidURL,
    Response,
    ResponseError,
    build_request,
    fetch_headers,
    hiding_dates,
    mask_date,
    parse_head,
    parse_url,
    printable,
)
from helpers.http_headers.__main__ import main as script_main
from helpers.local_http import LocalHTTPServer, serve_http
from helpers.tls import LocalCA
from tests.scripts import assert_one_line_error, free_port, run_script

CA = LocalCA()
CLIENT = CA.client_context()  # made once: loading the system's CAs takes a while
SCRIPT = "helpers.http_headers"


# -- URLs and requests: nothing unsafe is ever sent ------------------------------------------

@pytest.mark.parametrize("url, host, port, target, host_header", [
    ("http://example.com", "example.com", 80, "/", "example.com"),
    ("https://Example.COM/a/b.html", "example.com", 443, "/a/b.html", "example.com"),
    ("http://127.0.0.1:8080/p?x=1&y=%20#frag", "127.0.0.1", 8080, "/p?x=1&y=%20", "127.0.0.1:8080"),
    ("https://[::1]:4443/", "::1", 4443, "/", "[::1]:4443"),
    ("http://h/a%0D%0AX-Injected:%201", "h", 80, "/a%0D%0AX-Injected:%201", "h"),  # not decoded
])
def test_parse_url_keeps_path_and_query_as_given(url, host, port, target, host_header):
    t = parse_url(url)
    assert (t.host, t.port, t.target, t.host_header) == (host, port, target, host_header)


@pytest.mark.parametrize("url, words", [
    ("http://h/a\r\nX-Injected: 1", ["control character '\\r'", "refusing"]),
    ("http://h/a\nb", ["'\\n'"]),
    ("http://h/a\tb", ["'\\t'"]),
    ("http://h/a\x00b", ["'\\x00'"]),
    ("http://h\r\n/", ["control character"]),  # in the host too
    ("http://h/a b", ["a space"]),
    ("\x01http://h/", ["control character"]),  # urlsplit would strip it silently
    ("http://h/caf\xe9", ["non-ASCII", "%C3%A9"]),
    ("ftp://h/file", ["unsupported scheme 'ftp'"]),
    ("example.com/page", ["not a URL"]),
    ("", ["not a URL"]),
    ("http:///path", ["no host name"]),
    ("http://[::1/", ["malformed URL", "IPv6"]),
    ("http://h:99999/", ["Port out of range"]),
    ("http://h:abc/", ["malformed URL"]),
    ("http://h:0/", ["port 0"]),
    ("http://user:pw@h/", ["passwords"]),
])
def test_bad_urls_are_refused_with_a_reason(url, words):
    with pytest.raises(InvalidURL) as info:
        parse_url(url)
    for word in words:
        assert word in str(info.value)
    assert isinstance(info.value, ValueError)


def test_build_request_bytes():
    t = parse_url("http://127.0.0.1:8080/p?q=1")
    assert build_request(t) == (b"HEAD /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                                b"Connection: close\r\n\r\n")
    assert build_request(t, "GET", "HTTP/1.0") == (b"GET /p?q=1 HTTP/1.0\r\n"
                                                   b"Host: 127.0.0.1:8080\r\n\r\n")


def test_parse_head():
    r = parse_head(["HTTP/1.1 404 Not Found", "A: 1", "Multi:  x ", "\t continued", "A: 2"])
    assert r == Response("HTTP/1.1", 404, "Not Found", [("A", "1"), ("Multi", "x continued"),
                                                         ("A", "2")])
    assert r.get("a") == "1" and r.get("missing", "-") == "-" and r.names() == ["A", "Multi", "A"]
    assert parse_head(["HTTP/1.0 200"]).lines() == ["HTTP/1.0 200"]
    for bad, words in [([], "without answering"), (["SSH-2.0-OpenSSH"], "not an HTTP response"),
                       (["HTTP/1.1 20 OK"], "not an HTTP"),
                       (["HTTP/1.1 200 OK", "no colon"], "malformed header"),
                       (["HTTP/1.1 200 OK", "Bad Name: x"], "malformed header")]:
        with pytest.raises(ResponseError, match=words):
            parse_head(bad)


def test_mask_date_and_hiding_dates(capsys):
    assert mask_date("Date: Wed, 01 Jan 2025 00:00:00 GMT\nX: y") == "Date: <date>\nX: y"
    line = b"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    assert mask_date(repr(line)) == r"b'Date: <date>\r\n'"
    assert mask_date("X-Update: soon") == "X-Update: soon"
    with hiding_dates():
        print("HTTP header> Date: Thu, 02 Jan 2025 00:00:00 GMT")
        print("HTTP header> Server: s", end="")
    assert capsys.readouterr().out == "HTTP header> Date: <date>\nHTTP header> Server: s"
    assert printable("a\x1b[2Jb\xe9") == "a\\x1b[2Jb\xe9"


# -- against the real local servers: same answer as http.client --------------------------------

def stdlib_head(srv: LocalHTTPServer, path: str):
    conn = (http.client.HTTPSConnection(srv.host, srv.port, timeout=5, context=CLIENT)
            if srv.scheme == "https" else http.client.HTTPConnection(srv.host, srv.port, timeout=5))
    try:
        conn.request("HEAD", path)
        resp = conn.getresponse()
        return resp.status, resp.reason, resp.getheaders()
    finally:
        conn.close()


@pytest.mark.parametrize("options", [{}, {"keep_alive": True},
                                     {"ssl_context": CA.server_context()},
                                     {"ssl_context": CA.server_context(), "keep_alive": True}])
def test_same_status_and_headers_as_http_client(options):
    async def main(srv):
        return [await fetch_headers(srv.url(p), ssl_context=CLIENT, timeout=5)
                for p in ("/", "/path/page.html?a=1", "/redirect", "/missing", "/latin1")]

    with LocalHTTPServer(**options) as srv:
        ours = asyncio.run(main(srv))
        theirs = [stdlib_head(srv, p) for p in ("/", "/path/page.html?a=1", "/redirect",
                                                "/missing", "/latin1")]
    for mine, (status, reason, headers) in zip(ours, theirs, strict=True):
        assert (mine.status, mine.reason) == (status, reason)
        assert mine.names() == [name for name, _ in headers]
        assert [v for n, v in mine.headers if n != "Date"] == [v for n, v in headers if n != "Date"]
    assert ours[1].get("X-Request-Target") == "/path/page.html?a=1"
    assert ours[4].get("X-Greeting") == "caf\xe9"


def test_https_with_ssl_context_and_errors_for_trust_and_names():
    async def main(good, other):
        ok = await fetch_headers(good.url(), cafile=CA.cafile(), timeout=5)
        errors = []
        for url, kw in [(good.url(), {}), (other.url(), {"cafile": CA.cafile()}),
                        (good.url(), {"cafile": "no-such-file.pem"}),
                        (good.url(), {"cafile": __file__})]:
            with pytest.raises(FetchError) as info:
                await fetch_headers(url, timeout=5, **kw)
            errors.append(str(info.value))
        return ok, errors

    with (LocalHTTPServer(ssl_context=CA.server_context()) as good,
          LocalHTTPServer(ssl_context=CA.server_context("other.example")) as other):
        ok, errors = asyncio.run(main(good, other))
    assert ok.status == 200
    assert "cannot verify the certificate" in errors[0] and "local issuer" in errors[0]
    assert "for another name" in errors[1] and "127.0.0.1" in errors[1]
    assert "CA file not found" in errors[2]
    assert "cannot load CA file" in errors[3]


# -- rude servers ----------------------------------------------------------------------------

async def _closes_mid_headers(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nServer: rude\r\nContent-Le")


async def _hangs_up_at_once(reader, writer):
    await reader.readuntil(b"\r\n\r\n")


async def _one_huge_line(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 100_000 + b"\r\n\r\n")
    await writer.drain()
    await reader.read()


async def _too_many_bytes(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\n" + b"X-Line: " + b"y" * 900 + b"\r\n")
    for _ in range(80):  # 80 lines of 910 bytes: > 64 KiB, each under the line limit
        writer.write(b"X-Line: " + b"y" * 900 + b"\r\n")
    await writer.drain()
    await reader.read()


async def _silent(reader, writer):
    await reader.read()  # accepts, never answers (not even a TLS handshake)


async def _keeps_open(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 204 No Content\r\nX: 1\r\n\r\n")
    await writer.drain()
    await reader.read()  # ignores "Connection: close": never closes


async def _not_http(reader, writer):
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


RUDE = {
    "closes mid-headers": (_closes_mid_headers, "http", "before the end of the headers"),
    "hangs up": (_hangs_up_at_once, "http", "without answering"),
    "huge line": (_one_huge_line, "http", "longer than the limit"),
    "huge headers": (_too_many_bytes, "http", "larger than 65536 bytes"),
    "silent": (_silent, "http", "could not get the response headers"),
    "silent TLS": (_silent, "https", "TLS handshake"),
    "not HTTP": (_not_http, "http", "not an HTTP response"),
}


@asynccontextmanager
async def rude_server(handler):
    srv = await serve("rude", handler)
    try:
        yield srv
    finally:
        await stop("rude")


def test_rude_servers_give_clear_errors_from_the_library():
    async def main():
        found = {}
        for name, (handler, scheme, _) in RUDE.items():
            async with rude_server(handler) as srv, asyncio.timeout(3):
                with pytest.raises(FetchError) as info:
                    await fetch_headers(f"{scheme}://127.0.0.1:{srv.port}/", timeout=0.4)
                found[name] = str(info.value)
        async with rude_server(_keeps_open) as srv, asyncio.timeout(1):  # stops at the blank line
            response = await fetch_headers(f"http://127.0.0.1:{srv.port}/", timeout=5)
        return found, response

    found, response = asyncio.run(main())
    for name, (_, _, words) in RUDE.items():
        assert words in found[name], (name, found[name])
    assert found["silent"].endswith("within 0.4 s")
    assert (response.status, response.headers) == (204, [("X", "1")])


def test_connection_refused_and_unknown_host():
    async def main():
        with pytest.raises(FetchError, match="connection refused"):
            await fetch_headers(f"http://127.0.0.1:{free_port()}/", timeout=2)
        with pytest.raises(FetchError, match="cannot find host"):
            await fetch_headers("http://no-such-host.invalid/", timeout=2)

    asyncio.run(main())


# -- the script, run as a learner would ------------------------------------------------------

def test_script_prints_header_lines_for_http_and_https():
    with (LocalHTTPServer() as plain,
          LocalHTTPServer(ssl_context=CA.server_context(), keep_alive=True) as tls):
        result = run_script(SCRIPT, plain.url("/path/page.html?x=1&y=2"))
        secure = run_script(SCRIPT, tls.url("/latin1"), "--cafile", CA.cafile(), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "HTTP header> HTTP/1.0 200 OK"
    assert "HTTP header> X-Request-Target: /path/page.html?x=1&y=2" in lines
    assert all(line.startswith("HTTP header> ") for line in lines) and result.stderr == ""
    assert secure.returncode == 0, secure.stderr
    assert secure.stdout.splitlines()[0] == "HTTP header> HTTP/1.1 200 OK"
    assert "HTTP header> X-Greeting: caf\xe9" in secure.stdout.splitlines()


def test_script_bad_input_is_one_line_and_a_nonzero_exit():
    async def main():
        with (LocalHTTPServer(ssl_context=CA.server_context()) as tls,
              LocalHTTPServer(ssl_context=CA.server_context("other.example")) as other):
            cases = [
                (["ftp://h/x"], "unsupported scheme"),
                (["example.com"], "not a URL"),
                (["http://h/a\r\nX-Injected: 1"], "control character"),
                ([f"http://127.0.0.1:{free_port()}/"], "connection refused"),
                ([tls.url()], "cannot verify the certificate"),
                ([other.url(), "--cafile", CA.cafile()], "for another name"),
            ]
            for name in ("closes mid-headers", "huge headers", "silent", "silent TLS"):
                handler, scheme, words = RUDE[name]
                srv = await serve(name, handler)
                cases.append(([f"{scheme}://127.0.0.1:{srv.port}/", "--timeout", "0.3"], words))
            results = await asyncio.gather(*(asyncio.to_thread(run_script, SCRIPT, *args)
                                             for args, _ in cases))
            for name in ("closes mid-headers", "huge headers", "silent", "silent TLS"):
                await stop(name)
        return zip(cases, results, strict=True)

    for (args, words), result in asyncio.run(main()):
        assert_one_line_error(result, words)
        assert result.returncode == 1 and result.stdout == "", args


@pytest.mark.parametrize("args, words, status", [
    (["not a url"], "a space", 1),
    (["http://h:99999/"], "Port out of range", 1),
    (["https://127.0.0.1:1/", "--cafile", "missing.pem"], "CA file not found", 1),
    (["https://127.0.0.1:1/", "--cafile", __file__], "cannot load CA file", 1),
    (["http://h/", "--timeout", "zero"], "expected a number of seconds", 2),
    ([], "required", 2),
])
def test_script_other_bad_input_in_process(args, words, status, capsys):
    # The same main() as the subprocesses above run, without starting an interpreter each.
    with pytest.raises(SystemExit) as info:
        script_main(args)
    assert info.value.code == status
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("python -m helpers.http_headers: error: ") and words in err, err


def test_headers_widget_fetches_and_reports_errors_in_one_line():
    from helpers.widgets import HeadersWidget

    async def main():
        serve_http("t-plain")
        serve_http("t-tls", ssl_context=CA.server_context())
        try:
            w = HeadersWidget({"HTTP": "t-plain", "HTTPS": "t-tls"}, cafile=CA.cafile())
            ok = await w.fetch()
            first = w.result.value
            w.server.value, w.trust.value = "HTTPS", False
            failed = await w.fetch()
            second = w.result.value
            w.trust.value, w.path.value = True, "/missing"
            w.button.click()  # what a click does: a task, kept until it ends
            assert len(w.pending) == 1
            clicked = await asyncio.gather(*w.pending)
            return ok, first, failed, second, clicked, w.result.value
        finally:
            await stop_all()

    ok, first, failed, second, clicked, third = asyncio.run(main())
    assert ok.status == 200 and first.startswith("HTTP/1.0 200 OK\nServer: StreamsLab/1.0\n")
    assert failed is None and second.startswith("✗ cannot verify the certificate")
    assert clicked[0].status == 404 and third.startswith("HTTP/1.0 404 Not Found")


def test_headers_widget_still_fetches_after_stop_all_and_encodes_non_ascii():
    """Run All ends with the clean-up cell: a click after it must still fetch, over TLS too."""
    from helpers.widgets import HeadersWidget

    async def main():
        secure = serve_http("t-secure", ssl_context=CA.server_context())
        w = HeadersWidget({"HTTPS": "t-secure"}, cafile=CA.cafile())
        await stop_all()  # the notebook's last cell
        assert not secure.is_serving()
        try:
            w.path.value = "/path/page.html?greeting=你好"
            response = await w.fetch()
            return response, w.result.value
        finally:
            await stop_all()

    response, shown = asyncio.run(main())
    assert response is not None and response.status == 200, shown
    assert response.get("X-Request-Target") == "/path/page.html?greeting=%E4%BD%A0%E5%A5%BD"
    assert shown.startswith("HTTP/1.0 200 OK\n")


def test_headers_widget_names_a_server_never_started_in_one_line():
    from helpers.widgets import HeadersWidget

    async def main():
        w = HeadersWidget({"HTTP": "t-never-started"})
        return await w.fetch(), w.result.value

    response, shown = asyncio.run(main())
    assert response is None and shown == ("✗ no server called 't-never-started' was started "
                                          "here: run the cell that starts it first")


def test_headers_widget_refuses_a_space_in_the_path_in_one_line():
    from helpers.widgets import HeadersWidget

    async def main():
        serve_http("t-plain")
        try:
            w = HeadersWidget({"HTTP": "t-plain"})
            w.path.value = "/a path"
            return await w.fetch(), w.result.value
        finally:
            await stop_all()

    response, shown = asyncio.run(main())
    assert response is None and shown.startswith("✗ the URL contains a space"), shown
