"""Real HTTP and HTTPS servers on 127.0.0.1, in a background thread, for the notebooks.

The standard library's ``http.server`` (a real server, not a mock) runs in its own
thread, so it answers even while a cell blocks the kernel's event loop (for example
with ``http.client``). Each server has a *name*: starting a name again replaces the
old server, so re-running a cell never fails with "address in use".

    srv = serve_http("web")                                  # HTTP/1.0, port 0
    srv = serve_http("web11", keep_alive=True)               # HTTP/1.1 keep-alive
    srv = serve_http("tls", ssl_context=ca.server_context())  # HTTPS
    srv.url("/path/page.html")                              # 'http://127.0.0.1:PORT/...'
    await stop_all()                     # (from helpers) the last cell of a notebook

Or, in a test: ``with LocalHTTPServer() as srv: ...``.

Paths served (HEAD and GET): ``/`` and ``/path/page.html`` (200), ``/redirect``
(301), ``/latin1`` (200, with a header that is not valid UTF-8), anything else 404.
An HTTP/1.1 request without a ``Host`` header gets 400, as the standard requires.
Every response carries ``X-Request-Target`` (the target exactly as received). The
headers are the same on every run except ``Date``. Nothing is printed: the request
log and any errors are kept in ``srv.log`` and ``srv.errors``.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers import background

PAGES = {
    "/": ("text/plain; charset=utf-8", b"Hello from Streams Lab\n"),
    "/path/page.html": ("text/html; charset=utf-8",
                        b"<!doctype html><title>page</title><p>Hello from Streams Lab</p>\n"),
}


class Handler(BaseHTTPRequestHandler):
    """A few fixed pages; deterministic headers (apart from Date); no printing."""

    server_version = "StreamsLab/1.0"
    server: _Server

    def version_string(self) -> str:  # the default appends "Python/3.x.y"
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        self.server.log.append(format % args)

    def _respond(self, send_body: bool) -> None:
        if self.request_version == "HTTP/1.1" and "Host" not in self.headers:
            # RFC 9112, 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
            self.send_error(400, "Missing Host header")
            return
        path = self.path.split("?", 1)[0]
        extra: list[tuple[str, str]] = []
        if path in PAGES:
            status, (ctype, body) = 200, PAGES[path]
        elif path == "/redirect":
            status, ctype, body = 301, "text/plain; charset=utf-8", b"Moved\n"
            extra.append(("Location", "/path/page.html"))
        elif path == "/latin1":
            status, ctype, body = 200, "text/plain; charset=utf-8", b"caf\xc3\xa9\n"
            extra.append(("X-Greeting", "caf\xe9"))  # sent as latin-1: one byte 0xE9
        else:
            status, ctype, body = 404, "text/plain; charset=utf-8", b"Not found\n"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("X-Request-Target", self.path)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
        self._respond(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._respond(send_body=True)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks its connections so that stop() never hangs."""

    daemon_threads = True
    block_on_close = False  # we join our own threads, with a timeout

    def __init__(self, address, handler, ssl_context: ssl.SSLContext | None,
                 handshake_timeout: float) -> None:
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self.log: list[str] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._open: dict[int, socket.socket] = {}  # connection id -> its (TLS) socket
        self._handler_threads: set[threading.Thread] = set()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        thread = threading.Thread(target=self._one_connection, args=(request, client_address),
                                  daemon=True, name=f"http-{client_address[1]}")
        with self._lock:
            self._open[id(request)] = request
            self._handler_threads.add(thread)
        thread.start()

    def _one_connection(self, request: socket.socket, client_address) -> None:
        key = id(request)
        sock = request
        try:
            if self.ssl_context is not None:
                request.settimeout(self.handshake_timeout)  # a silent client cannot stall us
                sock = self.ssl_context.wrap_socket(request, server_side=True)
                with self._lock:
                    self._open[key] = sock
            self.RequestHandlerClass(sock, client_address, self)  # type: ignore[arg-type]
        except Exception as exc:  # a rude client must not take the server down
            self.errors.append(exc)
        finally:
            with self._lock:
                self._open.pop(key, None)
                self._handler_threads.discard(threading.current_thread())
            if sock is not request:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # the default prints
        pass

    def drop_connections(self) -> None:
        """Wake every handler thread (their reads see EOF) and wait for them to end."""
        with self._lock:
            socks = list(self._open.values())
            threads = list(self._handler_threads)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=2.0)


class LocalHTTPServer:
    """One HTTP (or HTTPS) server on ``host``, a free port, in a daemon thread."""

    def __init__(self, *, keep_alive: bool = False, ssl_context: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1", port: int = 0, idle_timeout: float = 5.0,
                 handshake_timeout: float = 2.0) -> None:
        self.keep_alive = keep_alive
        # A subclass per server: protocol_version and timeout are class attributes.
        handler = type("Handler", (Handler,), {
            "protocol_version": "HTTP/1.1" if keep_alive else "HTTP/1.0",
            "timeout": idle_timeout,  # an idle keep-alive connection is dropped after this
        })
        self._httpd = _Server((host, port), handler, ssl_context, handshake_timeout)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True, name="http-server")
        self._thread.start()

    @property
    def scheme(self) -> str:
        return "http" if self._httpd.ssl_context is None else "https"

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def log(self) -> list[str]:
        """One line per request, as http.server would have printed it."""
        return self._httpd.log

    @property
    def errors(self) -> list[BaseException]:
        """What went wrong with rude clients (failed handshakes, resets...)."""
        return self._httpd.errors

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def is_serving(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving, close every connection and the socket, join the threads."""
        if self._thread.is_alive():
            self._httpd.shutdown()  # returns once serve_forever() has stopped (or will)
            self._thread.join(timeout=2.0)  # before closing the socket it may still use
        self._httpd.drop_connections()
        self._httpd.server_close()

    def __enter__(self) -> LocalHTTPServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self.is_serving() else "stopped"
        version = "HTTP/1.1 keep-alive" if self.keep_alive else "HTTP/1.0"
        return f"<LocalHTTPServer {self.scheme} {version} {state}>"


def serve_http(name: str, **options) -> LocalHTTPServer:
    """Start (or restart) the server called ``name``; ``options`` go to LocalHTTPServer.

    It joins ``helpers.background``'s list of servers: ``await stop_all()`` stops it,
    ``await ensure(name)`` starts it again with the same options.
    """
    server = LocalHTTPServer(**options)
    background.register(name, server, functools.partial(serve_http, name, **options))
    return server
