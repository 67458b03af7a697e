"""helpers.rude_tls and helpers.error_log, and the facts notebook 09 teaches about a TLS
server, on real sockets.

Each fact is read from asyncio's source (sslproto.py, selector_events.py, streams.py,
3.11 to 3.13) and pinned here, so a Python that changes it fails a test, not a learner.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from helpers.background import close_quietly
from helpers.echo import handle_echo
from helpers.error_log import ErrorLog, as_printed, one_line
from helpers.rude_tls import (
    chatty_peer,
    plain_text_client,
    silent_client,
    stubborn_peer,
    tls_to_plain_port,
    untrusting_client,
)
from helpers.starttls import read_line, starttls_server
from helpers.tls import LocalCA
from helpers.tls_echo import tls_echo_once
from tests.support import eventually_async

CA = LocalCA()


async def rude_visit(port: int) -> list[str]:
    return [await untrusting_client("127.0.0.1", port),
            await plain_text_client("127.0.0.1", port),
            (await silent_client("127.0.0.1", port))[0]]


def test_one_line_says_message_exception_and_reason():
    assert one_line({"message": "m"}) == "m"
    assert one_line({"message": "m", "exception": ConnectionResetError()}) == \
        "m: ConnectionResetError"
    assert one_line({"message": "m", "exception": ValueError("bad")}) == "m: ValueError (bad)"
    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    err.reason = "WRONG_VERSION_NUMBER"
    assert one_line({"message": "m", "exception": err}) == "m: SSLError (WRONG_VERSION_NUMBER)"


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug mode"])
def test_failed_handshakes_reach_the_exception_handler_only_in_debug_mode(debug):
    ran = []

    async def handler(reader, writer):
        ran.append(writer)
        await handle_echo(reader, writer)

    async def main() -> tuple[list[str], list[str]]:
        before = asyncio.get_running_loop().get_exception_handler()
        with ErrorLog() as errors:
            server = await asyncio.start_server(handler, "127.0.0.1", 0,
                                                ssl=CA.server_context(),
                                                ssl_handshake_timeout=0.2)
            async with server:
                seen = await rude_visit(server.sockets[0].getsockname()[1])
                if debug:  # the last failure is logged a step after the client sees it
                    await eventually_async(lambda: len(errors.lines) >= 3, timeout=5,
                                           what="three logged handshake failures")
                else:  # nothing to wait for: give a wrongly logged line a moment to show
                    await asyncio.sleep(0.05)
        assert asyncio.get_running_loop().get_exception_handler() is before
        return seen, errors.lines

    seen, lines = asyncio.run(main(), debug=debug)
    assert seen == ["client: certificate not trusted (unable to get local issuer certificate)",
                    "client: the server hung up after sending 0 bytes",
                    "client: dropped by the server after sending 0 bytes"]
    assert ran == []  # the handler never runs for a failed handshake
    prefix = "Error on transport creation for incoming connection: "
    assert lines == ([] if not debug else [
        f"{prefix}ConnectionResetError",
        f"{prefix}SSLError (WRONG_VERSION_NUMBER)",
        f"{prefix}ConnectionAbortedError (SSL handshake is taking longer than 0.2 seconds:"
        " aborting the connection)"])


def test_start_tls_in_the_handler_makes_each_failed_handshake_an_exception_there():
    async def main() -> list[str]:
        log = []

        async def handler(reader, writer):
            try:
                await writer.start_tls(CA.server_context(), ssl_handshake_timeout=0.2)
            except OSError as exc:
                log.append(type(exc).__name__)
                await close_quietly(writer)
                return
            log.append("ok")
            await handle_echo(reader, writer)

        async with await asyncio.start_server(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            for _ in range(10):  # the client speaks first: no race with start_tls
                assert await tls_echo_once("hi", "127.0.0.1", port, CA.client_context()) == "hi"
            await rude_visit(port)
            await eventually_async(lambda: len(log) == 13, what="each handler's log line")
        return log

    assert asyncio.run(main()) == ["ok"] * 10 + [
        "ConnectionResetError", "SSLError", "ConnectionAbortedError"]


def test_a_close_that_hangs_ends_at_ssl_shutdown_timeout():
    async def main() -> list[str]:
        closings = []

        async def reply_and_close(reader, writer):
            writer.write(await reader.read(100))
            writer.close()
            try:
                await writer.wait_closed()
                closings.append("closed")
            except TimeoutError as exc:
                closings.append(f"TimeoutError ({exc})")

        server = await asyncio.start_server(reply_and_close, "127.0.0.1", 0,
                                            ssl=CA.server_context(), ssl_shutdown_timeout=0.2)
        async with server:
            port = server.sockets[0].getsockname()[1]
            async with stubborn_peer("127.0.0.1", port, CA.client_context()) as echoed:
                assert echoed == b"hello"
                await eventually_async(lambda: closings, timeout=5,
                                       what="the first close to time out")
            assert await tls_echo_once("hello", "127.0.0.1", port, CA.client_context()) == "hello"
            await eventually_async(lambda: len(closings) == 2, timeout=5,
                                   what="the second close")
        return closings

    assert asyncio.run(main()) == ["TimeoutError (SSL shutdown timed out)", "closed"]


def test_tls_has_no_half_close():
    async def main() -> tuple[bool, str]:
        async with await asyncio.start_server(handle_echo, "127.0.0.1", 0,
                                              ssl=CA.server_context()) as server:
            _, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2],
                                                      ssl=CA.client_context())
            try:
                writer.write_eof()
            except NotImplementedError:
                refused = "NotImplementedError"
            can = writer.can_write_eof()
            await close_quietly(writer)
        return can, refused

    assert asyncio.run(main()) == (False, "NotImplementedError")


def test_mutual_tls_names_the_client_and_refuses_one_without_a_certificate():
    async def main() -> tuple[bytes, bytes, list[str]]:
        clients = []

        async def who(reader, writer):
            cert = writer.get_extra_info("peercert")
            subject = dict(pair for rdn in cert["subject"] for pair in rdn)
            clients.append(subject["commonName"])
            writer.write(f"hello {subject['commonName']}\n".encode())
            await close_quietly(writer)

        mtls = CA.server_context()
        mtls.verify_mode = ssl.CERT_REQUIRED
        CA.configure_trust(mtls)
        alice = CA.client_context()
        CA.ca.issue_cert("alice@example.test", common_name="alice").configure_cert(alice)
        async with await asyncio.start_server(who, "127.0.0.1", 0, ssl=mtls) as server:
            address = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(*address, ssl=alice)
            greeted = await reader.readline()
            await close_quietly(writer)
            reader, writer = await asyncio.open_connection(*address, ssl=CA.client_context())
            refused = await reader.read(100)  # TLS 1.3: the handshake "worked", then EOF
            await close_quietly(writer)
        return greeted, refused, clients

    assert asyncio.run(main()) == (b"hello alice\n", b"", ["alice"])


def test_start_tls_without_server_hostname_checks_no_name():
    async def main(server_hostname: str | None) -> str:
        handler = starttls_server(CA.server_context("elsewhere.test"), [])
        async with await asyncio.start_server(handler, "127.0.0.1", 0) as server:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            try:
                await read_line(reader)
                writer.write(b"STARTTLS\n")
                await read_line(reader)
                await writer.start_tls(CA.client_context(), server_hostname=server_hostname)
                return await read_line(reader)
            except ssl.SSLCertVerificationError as exc:
                return f"refused: {exc.verify_message}"
            finally:
                await close_quietly(writer)

    assert asyncio.run(main(None)) == "SECURE hello over TLS"  # no name, no check
    assert asyncio.run(main("127.0.0.1")) == \
        "refused: IP address mismatch, certificate is not valid for '127.0.0.1'."


def test_a_tls_client_at_a_plain_port_fails_and_the_server_serves_on():
    async def main() -> tuple[str, str]:
        async with await asyncio.start_server(handle_echo, "127.0.0.1", 0) as server:
            host, port = server.sockets[0].getsockname()[:2]
            said = await tls_to_plain_port(host, port, CA.client_context())
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"still serving")
            writer.write_eof()
            echoed = await reader.read()
            await close_quietly(writer)
        return said, echoed.decode()

    said, echoed = asyncio.run(main())
    assert said.startswith("client: TLS failed (") and echoed == "still serving"


def test_close_quietly_after_a_start_tls_timeout_returns_at_once_and_leaves_no_task():
    """After start_tls's handshake timeout, wait_closed() never returns (3.11 to 3.13)."""
    async def main() -> tuple[list[str], float, list[asyncio.Task]]:
        loop = asyncio.get_running_loop()
        log, took = [], []

        async def handler(reader, writer):
            try:
                await writer.start_tls(CA.server_context(), ssl_handshake_timeout=0.1)
            except OSError as exc:
                log.append(type(exc).__name__)
            started = loop.time()
            await close_quietly(writer)
            took.append(loop.time() - started)

        async with await asyncio.start_server(handler, "127.0.0.1", 0) as server:
            await silent_client(*server.sockets[0].getsockname()[:2])
            while not took:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return log, took[0], left

    log, took, left = asyncio.run(main())
    assert log == ["ConnectionAbortedError"]
    assert took < 0.9  # close_quietly's own limit is 1 s: it did not wait for it
    assert left == []


def test_a_connection_aborted_during_start_tls_breaks_the_writer_but_a_cancel_does_not():
    """Why a server that does the handshake in its handler cancels, never aborts, it."""
    async def main(how: str) -> tuple[str, bool]:
        writers, raw, outcome = [], [], []

        async def handler(reader, writer):
            writers.append(writer)
            raw.append(writer.transport)
            try:
                await writer.start_tls(CA.server_context(), ssl_handshake_timeout=2)
                outcome.append("upgraded")
            except BaseException as exc:
                outcome.append(type(exc).__name__)
                if not isinstance(exc, Exception):
                    raise

        async with await asyncio.start_server(handler, "127.0.0.1", 0) as server:
            _, client = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            # start_tls() puts its TLS protocol on the transport, then waits for a hello
            await eventually_async(
                lambda: raw and isinstance(raw[0].get_protocol(), asyncio.sslproto.SSLProtocol),
                timeout=5, what="the handler to be in start_tls")
            if how == "abort":
                writers[0].transport.abort()
            else:
                [task] = [t for t in asyncio.all_tasks() if t.get_coro().__name__ == "handler"]
                task.cancel()
            while not outcome:
                await asyncio.sleep(0.01)
            broken = writers[0].transport is None
            if broken:  # else its __del__ says "Exception ignored ... AttributeError"
                writers[0]._transport = raw[0]  # closed: __del__ has nothing to do
            client.close()
        return outcome[0], broken

    assert asyncio.run(main("abort")) == ("AttributeError", True)
    assert asyncio.run(main("cancel")) == ("CancelledError", False)


def test_as_printed_is_the_traceback_s_last_line_without_the_c_source_line():
    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    assert as_printed(err) == "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number"
    assert as_printed(ConnectionResetError()) == "ConnectionResetError"
    assert as_printed(TimeoutError("SSL shutdown timed out")) == \
        "TimeoutError: SSL shutdown timed out"


@pytest.mark.parametrize("polite", [False, True], ids=["chatty", "polite"])
def test_a_peer_that_writes_after_our_goodbye_makes_wait_closed_raise(polite):
    """The close error of notebook 09: APPLICATION_DATA_AFTER_CLOSE_NOTIFY, and its cure."""
    async def main() -> tuple[str, str]:
        outcome: asyncio.Queue = asyncio.Queue()

        async def read_one_and_close(reader, writer):
            await reader.readexactly(5)
            writer.close()
            try:
                await writer.wait_closed()
                await outcome.put("closed")
            except ssl.SSLError as exc:
                await outcome.put(as_printed(exc))

        server = await asyncio.start_server(read_one_and_close, "127.0.0.1", 0,
                                            ssl=CA.server_context())
        async with server:
            said = await chatty_peer("127.0.0.1", server.sockets[0].getsockname()[1],
                                     CA.client_context(), polite=polite)
            return said, await asyncio.wait_for(outcome.get(), 5)

    said, closed = asyncio.run(main())
    if polite:
        assert (said, closed) == ("client: read 0 bytes, then the server's goodbye", "closed")
    else:
        assert said == "client: writing failed, the server hung up"
        assert closed == ("ssl.SSLError: [SSL: APPLICATION_DATA_AFTER_CLOSE_NOTIFY]"
                          " application data after close notify")


def test_certificate_errors_say_which_check_failed():
    """The three SSLCertVerificationError texts notebook 09 indexes."""
    async def refused(port: int, **kwargs) -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                          ssl=CA.client_context(), **kwargs)
        except ssl.SSLCertVerificationError as exc:
            return as_printed(exc)
        await close_quietly(writer)
        return "connected"

    async def main() -> list[str]:
        stranger = await asyncio.start_server(handle_echo, "127.0.0.1", 0,
                                              ssl=LocalCA("Mallory").server_context())
        elsewhere = await asyncio.start_server(handle_echo, "127.0.0.1", 0,
                                               ssl=CA.server_context("elsewhere.test"))
        async with stranger, elsewhere:
            return [await refused(stranger.sockets[0].getsockname()[1]),
                    await refused(elsewhere.sockets[0].getsockname()[1]),
                    await refused(elsewhere.sockets[0].getsockname()[1],
                                  server_hostname="localhost")]

    prefix = ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]"
              " certificate verify failed: ")
    assert asyncio.run(main()) == [
        prefix + "unable to get local issuer certificate",
        prefix + "IP address mismatch, certificate is not valid for '127.0.0.1'.",
        prefix + "Hostname mismatch, certificate is not valid for 'localhost'.",
    ]
