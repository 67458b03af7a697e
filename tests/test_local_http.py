"""helpers.local_http: real HTTP/HTTPS servers in a thread that start and stop cleanly."""

from __future__ import annotations

import asyncio
import http.client
import socket
import ssl
import time

import pytest

from helpers import background
from helpers.local_http import LocalHTTPServer, serve_http
from helpers.tls import LocalCA

CA = LocalCA()


def request(srv: LocalHTTPServer, method: str, path: str, context=None):
    if srv.scheme == "https":
        conn = http.client.HTTPSConnection(srv.host, srv.port, timeout=5, context=context)
    else:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.reason, resp.getheaders(), resp.read(), resp.version
    finally:
        conn.close()


def refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_pages_head_and_get_with_deterministic_headers():
    with LocalHTTPServer() as srv:
        assert srv.url("/x") == f"http://127.0.0.1:{srv.port}/x"
        status, reason, headers, body, version = request(srv, "GET", "/")
        assert (status, reason, body, version) == (200, "OK", b"Hello from Streams Lab\n", 10)
        names = [n for n, _ in headers]
        assert names == ["Server", "Date", "Content-Type", "Content-Length", "X-Request-Target"]
        assert dict(headers)["Server"] == "StreamsLab/1.0"  # no Python version in it
        status, _, head_headers, body, _ = request(srv, "HEAD", "/path/page.html?q=1")
        assert status == 200 and body == b""
        assert dict(head_headers)["X-Request-Target"] == "/path/page.html?q=1"
        assert dict(head_headers)["Content-Type"].startswith("text/html")
        status, _, headers, _, _ = request(srv, "HEAD", "/redirect")
        assert status == 301 and dict(headers)["Location"] == "/path/page.html"
        assert request(srv, "GET", "/nowhere")[0] == 404
        assert srv.log[:2] == ['"GET / HTTP/1.1" 200 -',
                               '"HEAD /path/page.html?q=1 HTTP/1.1" 200 -']
    assert not srv.is_serving() and refused(srv.port)


def test_latin1_header_is_one_byte_per_character():
    with LocalHTTPServer() as srv, socket.create_connection(srv.address, timeout=5) as s:
        s.sendall(b"HEAD /latin1 HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    assert b"\r\nX-Greeting: caf\xe9\r\n" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_http10_closes_and_keep_alive_reuses_the_connection():
    with LocalHTTPServer() as srv, socket.create_connection(srv.address, timeout=5) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.0 200 OK\r\n")
        assert s.recv(4096) == b""  # HTTP/1.0 server: closed after one response
    with LocalHTTPServer(keep_alive=True) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        for _ in range(2):
            conn.request("HEAD", "/")
            resp = conn.getresponse()
            resp.read()
            assert (resp.status, resp.version) == (200, 11)
        sock = conn.sock
        conn.request("HEAD", "/")
        conn.getresponse().read()
        assert conn.sock is sock  # same TCP connection: keep-alive
        conn.close()
        assert len(srv.log) == 3


def test_https_needs_the_local_ca_and_serves_with_it():
    with LocalHTTPServer(ssl_context=CA.server_context()) as srv:
        assert srv.url() == f"https://127.0.0.1:{srv.port}/"
        assert request(srv, "HEAD", "/", CA.client_context())[0] == 200
        with pytest.raises(ssl.SSLCertVerificationError):
            request(srv, "HEAD", "/", ssl.create_default_context())
        assert request(srv, "GET", "/", CA.client_context())[3] == b"Hello from Streams Lab\n"


def test_a_silent_tls_client_does_not_block_others_and_is_dropped():
    with LocalHTTPServer(ssl_context=CA.server_context(), handshake_timeout=0.2) as srv:
        with socket.create_connection(srv.address, timeout=5) as silent:
            assert request(srv, "HEAD", "/", CA.client_context())[0] == 200
            silent.settimeout(2)
            assert silent.recv(100) == b""  # the server gave up on the handshake
        deadline = time.monotonic() + 2
        while not srv.errors and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(isinstance(e, OSError) for e in srv.errors)


def test_stop_is_quick_even_with_an_idle_keep_alive_connection():
    srv = LocalHTTPServer(keep_alive=True, idle_timeout=30)
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    conn.request("HEAD", "/")
    conn.getresponse().read()
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 1.5
    assert refused(srv.port)
    conn.close()
    srv.stop()  # twice is fine


def test_registry_restarts_by_name_and_stops_all():
    """serve_http's servers are in helpers.background's one list: stop_all() stops them."""
    first = serve_http("a")
    again = serve_http("a")  # re-running a cell: the old one is stopped, not leaked
    assert not first.is_serving() and again.is_serving()
    serve_http("b", keep_alive=True)
    assert background.running() == ["a", "b"]
    asyncio.run(background.stop("nothing-by-that-name"))
    assert asyncio.run(background.stop_all()) == ["a", "b"]
    assert background.running() == [] and refused(again.port)
    assert repr(again) == "<LocalHTTPServer http HTTP/1.0 stopped>"


def test_ensure_serves_a_stopped_server_again_with_the_same_options():
    serve_http("c", keep_alive=True)
    asyncio.run(background.stop_all())
    srv = asyncio.run(background.ensure("c"))  # after the clean-up: started again
    try:
        assert srv.is_serving() and srv.keep_alive
        assert asyncio.run(background.ensure("c")) is srv  # serving: the same one
    finally:
        asyncio.run(background.stop_all())
