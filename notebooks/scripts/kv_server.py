"""A small key-value server over TCP (or TLS), one command per line.

    python kv_server.py --port 0            # prints its port on the first line of stdout
    python kv_server.py --port 7000 -v      # log every connection to stderr
    python kv_server.py --port 7443 --tls-cert server.pem --tls-key server.key

Commands (UTF-8, one per line; each gets one line back):
    SET key value   ->  OK
    GET key         ->  VALUE value   or  MISSING
    DEL key         ->  OK            or  MISSING
    QUIT            ->  BYE, then the server hangs up
Anything else       ->  ERROR <what is wrong>

Ctrl-C (SIGINT) or kill (SIGTERM): stop accepting, tell every client
"BYE server stopping", close each connection within --grace seconds, print
"kv_server: stopped" on stderr and exit 0. Standard library only.
"""

import argparse
import asyncio
import errno
import logging
import os
import signal
import ssl
import sys

log = logging.getLogger("kv_server")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="A line-protocol key-value server.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=7000, help="port to listen on; 0: any free port")
    p.add_argument("--tls-cert", help="PEM file: the server's certificate (and its chain)")
    p.add_argument("--tls-key", help="PEM file: the certificate's private key")
    p.add_argument("--idle-timeout", type=float, default=60.0,
                   help="seconds a client may stay silent (TLS handshake included)")
    p.add_argument("--max-line", type=int, default=1024, help="longest command line, in bytes")
    p.add_argument("--max-clients", type=int, default=100, help="connections served at once")
    p.add_argument("--drain-timeout", type=float, default=10.0,
                   help="seconds a client may take to read a reply")
    p.add_argument("--grace", type=float, default=1.0,
                   help="seconds each step of the shutdown may take")
    p.add_argument("-v", "--verbose", action="store_true", help="log every event (INFO)")
    args = p.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UserError("--tls-cert and --tls-key go together")
    return args


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit status 1 (or 2)."""


def tls_context(cert, key):
    """A server-side TLS context from two PEM files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"cannot load the TLS certificate: {exc}") from None
    return context


def execute(store, line):
    """One command line in, one reply line out."""
    try:
        words = line.decode("utf-8").rstrip("\r\n").split(maxsplit=2)
    except UnicodeDecodeError:
        return "ERROR not UTF-8"
    if not words:
        return "ERROR empty line"
    command, args = words[0].upper(), words[1:]
    if command == "SET" and len(args) == 2:
        store[args[0]] = args[1]
        return "OK"
    if command == "GET" and len(args) == 1:
        return f"VALUE {store[args[0]]}" if args[0] in store else "MISSING"
    if command == "DEL" and len(args) == 1:
        return "OK" if store.pop(args[0], None) is not None else "MISSING"
    if command == "QUIT" and not args:
        return "BYE"
    usage = {"SET": "SET key value", "GET": "GET key", "DEL": "DEL key", "QUIT": "QUIT"}
    if command in usage:
        return f"ERROR usage: {usage[command]}"
    return f"ERROR unknown command {words[0][:20]!r}"


class KVServer:
    def __init__(self, args):
        self.args = args
        self.store = {}
        self.clients = {}  # handler task -> its writer

    # -- one connection ----------------------------------------------------------------

    def connected(self, reader, writer):
        """start_server's callback: a plain function, so WE create and keep the task."""
        task = asyncio.get_running_loop().create_task(self.serve_client(reader, writer))
        self.clients[task] = writer
        task.add_done_callback(self.clients.pop)

    async def serve_client(self, reader, writer):
        peer = writer.get_extra_info("peername")
        log.info("%s connected", peer)
        try:
            if len(self.clients) > self.args.max_clients:
                log.warning("%s turned away (--max-clients %d)", peer, self.args.max_clients)
                await self.reply(writer, "ERROR busy, try again later")
                return
            while True:
                try:
                    async with asyncio.timeout(self.args.idle_timeout):
                        line = await reader.readline()
                except TimeoutError:
                    await self.reply(writer, "ERROR idle for too long, bye")
                    return
                except ValueError:  # longer than --max-line: the rest of it is not wanted
                    limit = self.args.max_line
                    await self.reply(writer, f"ERROR line too long (max {limit} bytes), bye")
                    return
                if not line.endswith(b"\n"):  # end of file (perhaps in the middle of a line)
                    return
                answer = execute(self.store, line)
                await self.reply(writer, answer)
                if answer == "BYE":
                    return
        except TimeoutError:  # from reply(): the client stopped reading
            log.info("%s does not read its replies: dropped", peer)
            writer.transport.abort()
        except (ConnectionError, ssl.SSLError) as exc:
            log.info("%s: %s", peer, exc.__class__.__name__)
        finally:
            await self.close(writer)
            log.info("%s gone", peer)

    async def reply(self, writer, text):
        writer.write(text.encode() + b"\n")
        async with asyncio.timeout(self.args.drain_timeout):
            await writer.drain()

    async def close(self, writer):
        """Close within --grace seconds; past that, drop the connection."""
        writer.close()
        try:
            async with asyncio.timeout(self.args.grace):
                await asyncio.shield(writer.wait_closed())  # shield: notebook 08, wait_closed()
        except TimeoutError:
            writer.transport.abort()
        except (ConnectionError, ssl.SSLError):
            pass


async def shutdown(server, clients, grace):
    """Stop in order, each step bounded: clients maps each handler task to its writer."""
    server.close()  # 1. stop accepting
    for writer in clients.values():  # 2. tell the clients
        if not writer.is_closing():
            writer.write(b"BYE server stopping\n")
        writer.close()  # 3. close each: sends what is queued, then end of file
    if clients:
        await asyncio.wait(list(clients), timeout=grace)
    for writer in clients.values():  # 4. a client that does not read: drop it
        writer.transport.abort()
    for task in clients:  # 5. a handler still busy: cancel it
        task.cancel()
    if clients:
        await asyncio.wait(list(clients), timeout=grace)
    if hasattr(server, "abort_clients"):  # 3.13+: also those still in a TLS handshake
        server.abort_clients()
    try:  # 6. 3.12+ waits here for every connection: bounded
        async with asyncio.timeout(grace):
            await server.wait_closed()
    except TimeoutError:  # 3.12: a client still in its TLS handshake, say
        log.info("gave up waiting for the last connections after %.1f s", grace)


async def main(args):
    context = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    kv = KVServer(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl-C stays a KeyboardInterrupt
            pass
    try:
        server = await asyncio.start_server(
            kv.connected, args.host, args.port, limit=args.max_line, ssl=context,
            ssl_handshake_timeout=args.idle_timeout if context else None)
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        name = errno.errorcode.get(exc.errno, "")
        raise UserError(f"cannot listen on {args.host} port {args.port}: {why} ({name})") from None
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)  # the first line of stdout: the port, for whoever started us
    log.info("serving on %s port %d%s", args.host, port, " with TLS" if context else "")
    try:
        await stop.wait()
    finally:
        await shutdown(server, kv.clients, args.grace)


def run():
    try:
        args = parse_args()
    except UserError as exc:
        print(f"kv_server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="kv_server: %(levelname)s %(message)s", stream=sys.stderr)
    try:
        asyncio.run(main(args))
    except UserError as exc:
        print(f"kv_server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Windows: asyncio.run cancelled main(); its finally ran
        pass
    print("kv_server: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
