"""A chat server that survives real clients, its terminal client, and its benchmark.

    python -m helpers.chat server [--host 127.0.0.1] [--port 8888] [--max-clients N]
                                  [--idle-timeout S] [--max-line BYTES] [--queue N]
    python -m helpers.chat client NICK [--host 127.0.0.1] [--port 8888]
    python -m helpers.chat bench [--clients N] [--messages M]

The protocol is UTF-8 lines, so ``nc 127.0.0.1 8888`` is a client too: the first line
is your nickname, every later one goes to everyone else; ``/who`` and ``/quit``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from helpers.chat.bench import bench
from helpers.chat.client import run_client
from helpers.chat.protocol import DEFAULT_PORT, Settings
from helpers.chat.server import ChatServer
from helpers.cli import Parser, port_number, positive_seconds, run
from helpers.script_server import serve_until_stopped

PROG = "python -m helpers.chat"


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def parser() -> Parser:
    top = Parser(prog=PROG, description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="role", required=True, metavar="{server,client,bench}")
    server = sub.add_parser("server", help="run the chat server")
    client = sub.add_parser("client", help="chat as NICK: type lines, read the others'")
    bench_ = sub.add_parser("bench", help="measure broadcast latency and throughput")
    for p in (server, client, bench_):
        p.error = top.error  # type: ignore[method-assign]  # one-line errors for sub-commands too
    for p in (server, client):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    default = Settings()
    server.add_argument("--max-clients", type=positive_int, default=default.max_clients,
                        help="connections at once; one more is told the server is full")
    server.add_argument("--idle-timeout", type=positive_seconds, default=default.idle_timeout,
                        help="drop a client silent for this long (s)")
    server.add_argument("--max-line", type=positive_int, default=default.max_line,
                        help="drop a client that sends a longer line (bytes)")
    server.add_argument("--queue", type=positive_int, default=default.queue,
                        help="drop a client with this many lines waiting for it")
    client.add_argument("nick")
    bench_.add_argument("--clients", type=positive_int, default=1000)
    bench_.add_argument("--messages", type=positive_int, default=20)
    return top


async def run_server(host: str, port: int, settings: Settings) -> None:
    chat = ChatServer(settings)
    # limit=max_line: the reader's limit is what refuses a longer line (notebook 03). Notebook
    # 10's advice, a larger limit so bulk reads do not pause and resume the transport, does
    # not apply: a chat reads short lines, and pausing a client that floods is the
    # back-pressure we want.
    await serve_until_stopped(
        PROG, lambda connected: asyncio.start_server(connected, host, port,
                                                     limit=settings.max_line),
        chat.handle, before_close=chat.room.shut_down)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.role == "server":
        settings = Settings(args.max_clients, args.idle_timeout, args.max_line, args.queue)
        run(PROG, run_server(args.host, args.port, settings))
    elif args.role == "client":
        run(PROG, run_client(args.nick, args.host, args.port))
    else:
        run(PROG, bench(args.clients, args.messages))


if __name__ == "__main__":
    main(sys.argv[1:])
