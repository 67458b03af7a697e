"""``python -m helpers.tls_echo``: the echo pair over TLS, real sockets, real TLS.

The server survives every rude client of notebook 09 (each test ends with a good client
getting its echo), serves 100 TLS clients at once, and removes its temporary CA folder
when it stops; the client says what went wrong in one line.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from helpers.rude_tls import (
    plain_text_client,
    silent_client,
    stubborn_peer,
    tls_to_plain_port,
    untrusting_client,
)
from helpers.tls import LocalCA
from helpers.tls_echo import client_context, server_context, tls_echo_once
from tests.scripts import ENV, ROOT, Served, assert_one_line_error, free_port, run_script

PROG = "python -m helpers.tls_echo"


@contextlib.contextmanager
def tls_server(*args: str) -> Iterator[tuple[Served, int, str]]:
    """The script's server on a free port: (served, port, the CA file it printed)."""
    served = Served("helpers.tls_echo", "--port", "0", *args)
    try:
        port = ast.literal_eval(served.address)[1]
        deadline = time.monotonic() + 5
        while not (found := re.search(r"^CA certificate: (.*)$", served.out, re.M)):
            assert time.monotonic() < deadline and served.proc.poll() is None, served.err
            time.sleep(0.01)
        yield served, port, found.group(1)
    finally:
        if served.proc.poll() is None:
            served.stop()  # Ctrl-C: the temporary CA folder goes too (kill would leave it)
        served.kill()


def echo(port: int, cafile: str, message: str = "still serving", **kwargs) -> str:
    return asyncio.run(tls_echo_once(message, "127.0.0.1", port, client_context(cafile),
                                     **kwargs))


def stop(served: Served) -> None:
    assert served.stop() == 0, served.err
    assert served.err.splitlines() == [f"{PROG}: stopped"], served.err


def test_address_first_then_the_ca_file_and_it_verifies_both_names():
    with tls_server() as (served, port, cafile):
        assert served.out.splitlines()[0].startswith("Serving on ('127.0.0.1', ")
        assert served.out.splitlines()[1] == f"CA certificate: {cafile}"
        assert Path(cafile).is_file()
        assert echo(port, cafile, "héllo, TLS") == "héllo, TLS"
        assert echo(port, cafile, server_hostname="localhost") == "still serving"
        stop(served)
    assert not Path(cafile).parent.exists()  # the temporary folder went with the server


def test_the_client_script_prints_what_it_sent_and_received():
    with tls_server() as (served, port, cafile):
        result = run_script("helpers.tls_echo", "client", "Hello TLS!", "--port", str(port),
                            "--cafile", cafile)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "Send: 'Hello TLS!'", "Received: 'Hello TLS!'", "Close the connection"]
        stop(served)
    assert "Received 'Hello TLS!' from ('127.0.0.1'" in served.out


def test_a_long_message_comes_back_whole_over_tls():
    message = "0123456789" * 5000  # 50 kB: many TLS records, many 100-byte reads
    with tls_server() as (served, port, cafile):
        assert echo(port, cafile, message) == message


def test_the_server_survives_each_rude_client():
    async def rude(port: int, cafile: str) -> list[str]:
        ctx = client_context(cafile)
        seen = [await untrusting_client("127.0.0.1", port),
                await plain_text_client("127.0.0.1", port),
                (await silent_client("127.0.0.1", port))[0]]
        async with stubborn_peer("127.0.0.1", port, ctx) as echoed:
            assert echoed == b"hello"
            # the server is waiting for this client's goodbye: others are still served
            seen.append(await tls_echo_once("during", "127.0.0.1", port, ctx))
        seen.append(await tls_echo_once("still serving", "127.0.0.1", port, ctx))
        return seen

    with tls_server("--handshake-timeout", "0.3") as (served, port, cafile):
        assert asyncio.run(rude(port, cafile)) == [
            "client: certificate not trusted (unable to get local issuer certificate)",
            "client: the server hung up after sending 0 bytes",
            "client: dropped by the server after sending 0 bytes",
            "during", "still serving"]
        stop(served)
    assert "Traceback" not in served.out


def test_a_silent_client_is_dropped_after_the_handshake_timeout():
    with tls_server("--handshake-timeout", "0.3") as (served, port, cafile):
        _, took = asyncio.run(silent_client("127.0.0.1", port))
        assert 0.25 < took < 2.0
        assert echo(port, cafile) == "still serving"


def test_a_hundred_tls_clients_at_once():
    async def crowd(port: int, cafile: str) -> list[str]:
        ctx = client_context(cafile)
        return await asyncio.gather(*[
            tls_echo_once(f"client {n}", "127.0.0.1", port, ctx, timeout=20)
            for n in range(100)])

    with tls_server() as (served, port, cafile):
        assert asyncio.run(crowd(port, cafile)) == [f"client {n}" for n in range(100)]
        stop(served)
    assert served.out.count("Close the connection") == 100


def test_certfile_and_keyfile_from_elsewhere(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "both.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    served = Served("helpers.tls_echo", "--port", "0", "--certfile", str(tmp_path / "both.pem"))
    try:
        port = ast.literal_eval(served.address)[1]
        assert echo(port, str(tmp_path / "ca.pem")) == "still serving"
        stop(served)
    finally:
        served.kill()
    assert "CA certificate" not in served.out  # no CA of its own to tell about


def test_client_does_not_trust_an_unknown_ca_one_line():
    with tls_server() as (served, port, cafile):
        result = run_script("helpers.tls_echo", "client", "hi", "--port", str(port))
        assert_one_line_error(result, "certificate is not trusted", "--cafile")
        other = LocalCA()
        result = run_script("helpers.tls_echo", "client", "hi", "--port", str(port),
                            "--cafile", other.cafile())
        other.cleanup()
        assert_one_line_error(result, "certificate is not trusted", "that server's CA")
        assert echo(port, cafile) == "still serving"


def test_client_errors_refused_timeout_and_plain_port_one_line():
    result = run_script("helpers.tls_echo", "client", "hi", "--port", str(free_port()))
    assert_one_line_error(result, "connection refused")
    with socket.socket() as mute:  # the kernel accepts; nobody ever answers
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        result = run_script("helpers.tls_echo", "client", "hi", "--timeout", "0.3",
                            "--port", str(mute.getsockname()[1]))
    assert_one_line_error(result, "no answer", "within 0.3 s")
    served = Served("helpers.echo", "--port", "0")  # plain text: TLS to it fails
    try:
        port = ast.literal_eval(served.address)[1]
        result = run_script("helpers.tls_echo", "client", "hi", "--port", str(port))
        assert_one_line_error(result, "TLS failed", "is it a TLS server?")
    finally:
        served.kill()


def test_a_client_that_never_got_through_says_only_why():
    """A terminal shows stdout and stderr together: "Send: 'hi'" above "connection refused"
    reads as if 'hi' had been sent. As in the seed's client, "Send" comes once connected."""
    result = run_script("helpers.tls_echo", "client", "hi", "--port", str(free_port()))
    assert (result.stdout, result.returncode) == ("", 1)
    with tls_server() as (served, port, cafile):
        result = run_script("helpers.tls_echo", "client", "hi", "--port", str(port))
        assert (result.stdout, result.returncode) == ("", 1)
        stop(served)


def test_a_host_that_does_not_exist_is_named():
    result = run_script("helpers.tls_echo", "client", "hi", "--host", "nowhere.invalid")
    assert_one_line_error(result, "cannot find the host 'nowhere.invalid'")


@pytest.mark.parametrize(("args", "words"), [
    (["client"], ["required: message"]),
    (["client", "hi", "--port", "http"], ["port must be a number"]),
    (["client", "hi", "--timeout", "0"], ["more than 0"]),
    (["client", "hi", "--cafile", "/nonexistent/ca.pem"], ["cannot read the CA certificate"]),
    (["server", "--handshake-timeout", "soon"], ["expected a number of seconds"]),
    (["server", "--keyfile", "key.pem"], ["--keyfile needs --certfile"]),
    (["server", "--port", "0", "--certfile", "/nonexistent/cert.pem"],
     ["cannot load the certificate"]),
    (["nobody"], ["invalid choice"]),
])
def test_bad_arguments_get_one_line(args, words):
    assert_one_line_error(run_script("helpers.tls_echo", *args), *words)


def test_server_on_a_busy_port_one_line_and_no_ca_folder_left(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "helpers.tls_echo", "server", "--port",
             str(busy.getsockname()[1])], cwd=ROOT, env={**ENV, "TMPDIR": str(tmp_path)},
            capture_output=True, text=True, timeout=10)
    assert_one_line_error(result, "address already in use")
    assert list(tmp_path.iterdir()) == []  # its temporary CA folder was removed


def test_a_tls_client_to_a_plain_port_leaves_that_server_serving():
    async def knock(port: int) -> str:
        return await tls_to_plain_port("127.0.0.1", port, LocalCA().client_context())

    served = Served("helpers.echo", "--port", "0")
    try:
        port = ast.literal_eval(served.address)[1]
        assert asyncio.run(knock(port)).startswith("client: TLS failed (")
        result = run_script("helpers.echo", "client", "still serving", "--port", str(port))
        assert "Received: 'still serving'" in result.stdout
    finally:
        served.kill()


def test_minimum_tls_1_2_on_both_ends_and_a_1_2_client_is_served():
    assert server_context(ca=LocalCA()).minimum_version == ssl.TLSVersion.TLSv1_2
    assert client_context().minimum_version == ssl.TLSVersion.TLSv1_2

    async def tls12(port: int, cafile: str) -> tuple[str, str]:
        ctx = client_context(cafile)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        version = writer.get_extra_info("ssl_object").version()
        writer.write(b"1.2")
        echoed = await reader.readexactly(3)
        writer.close()
        await writer.wait_closed()
        return version, echoed.decode()

    with tls_server() as (served, port, cafile):
        assert asyncio.run(tls12(port, cafile)) == ("TLSv1.2", "1.2")
