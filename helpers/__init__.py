"""Shared plumbing for the Streams Lab notebooks. A notebook author starts from here.

Servers in the background of the kernel's event loop (``helpers.background``), each
under a name, all in one list:

- ``await serve(name, handler)``: a TCP server on 127.0.0.1, a free port; the same
  name again replaces it (re-running a cell never fails with "address in use").
- ``await serve_unix(name, handler)``: the same on a Unix socket, in a private directory.
- ``await ensure(name)``: the server called ``name``, started again if it was stopped
  (widgets call it, so they still work after the clean-up cell).
- ``await stop(name)``; ``await stop_all()``: the last cell of every notebook. It also
  stops the web servers of ``helpers.local_http.serve_http``.
- ``await close_quietly(writer)``: close a writer; a peer that already left is not an error.

Elsewhere, one module per topic, for example: ``helpers.echo`` and ``helpers.unix_echo``
(the echo pair, also as scripts, which ``helpers.script_server`` stops cleanly),
``helpers.framing``, ``helpers.relay``, ``helpers.flow``, ``helpers.tls`` (a local CA),
``helpers.tls_echo`` (the echo pair over TLS, also a script), ``helpers.rude_tls``,
``helpers.error_log`` and ``helpers.starttls`` (notebook 09's rude clients, its one-line
error log and STARTTLS), ``helpers.local_http``
(web servers in a thread), ``helpers.http_headers`` (the fetcher and its script),
``helpers.chat`` (notebook 13's chat server, its client and bench), ``helpers.bench``
(notebook 10's benchmark, also a script), ``helpers.widgets``
(what a learner clicks in "Play with it") and ``helpers.exercises`` (the exercise checks).
"""

from helpers.background import close_quietly, ensure, serve, serve_unix, stop, stop_all

__all__ = ["close_quietly", "ensure", "serve", "serve_unix", "stop", "stop_all"]
