"""``python -m helpers.echo``: the seed's echo server and client as scripts."""

from __future__ import annotations

import ast
import asyncio
import socket

from helpers.echo import echo_once
from tests.scripts import assert_one_line_error, free_port, interrupt, run_script, running_server


def test_server_on_port_0_prints_its_real_port_and_client_talks_to_it():
    with running_server("helpers.echo", "--port", "0") as (proc, addr):
        host, port = ast.literal_eval(addr)
        assert host == "127.0.0.1" and port > 0
        result = run_script("helpers.echo", "client", "Hello World!", "--port", str(port))
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "Send: 'Hello World!'", "Received: 'Hello World!'", "Close the connection"]
        out, err = interrupt(proc)
    assert proc.returncode == 0
    assert "Received 'Hello World!' from ('127.0.0.1'" in out
    assert err.strip() == "python -m helpers.echo: stopped"


def test_a_long_message_comes_back_whole():
    message = "0123456789" * 50  # five times the seed's 100-byte read
    with running_server("helpers.echo", "--port", "0") as (proc, addr):
        port = ast.literal_eval(addr)[1]
        result = run_script("helpers.echo", "client", message, "--port", str(port))
    assert f"Received: {message!r}" in result.stdout


def test_the_script_reads_big_chunks_and_logs_only_their_start():
    """The script's server reads up to 64 KiB at a time (notebook 10), not the seed's 100 bytes."""
    message = "0123456789" * 30_000  # 300,000 bytes
    with running_server("helpers.echo", "--port", "0") as (proc, addr):
        port = ast.literal_eval(addr)[1]
        assert asyncio.run(echo_once(message, "127.0.0.1", port)) == message
        out, err = interrupt(proc)
    received = [line for line in out.splitlines() if line.startswith("Received ")]
    assert len(received) < 300_000 // 100  # far fewer chunks than read(100) would make
    assert any(" bytes) from ('127.0.0.1'" in line for line in received)  # a big one, cut
    assert all(len(line) < 300 for line in received)


def test_server_survives_rude_clients_and_drops_silent_ones():
    async def rude(port: int) -> str:
        # 1. connect and vanish without a word
        _, w = await asyncio.open_connection("127.0.0.1", port)
        w.transport.abort()
        # 2. bytes that are not UTF-8
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"\xff\xfe garbage \x00")
        w.write_eof()
        assert await r.read() == b"\xff\xfe garbage \x00"
        w.close()
        # 3. say nothing: the server hangs up after --idle-timeout
        r, w = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(r.read(), 3) == b""
        w.close()
        return await echo_once("still serving", "127.0.0.1", port)

    with running_server("helpers.echo", "--port", "0", "--idle-timeout", "0.3") as (proc, a):
        port = ast.literal_eval(a)[1]
        assert asyncio.run(rude(port)) == "still serving"
        out, err = interrupt(proc)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert r"Received '\\xff\\xfe garbage" in out  # logged escaped, not crashed on
    assert "was silent for 0.3 s: dropped" in out


def test_client_to_a_closed_port_says_so_in_one_line():
    result = run_script("helpers.echo", "client", "hi", "--port", str(free_port()))
    assert_one_line_error(result, "connection refused")
    assert result.returncode == 1


def test_bad_arguments_get_one_line_and_exit_2():
    for args, words in [
        ((), ["required"]),
        (("client",), ["message"]),
        (("client", "hi", "--port", "http"), ["port must be a number"]),
        (("client", "hi", "--port", "70000"), ["between 0 and 65535"]),
        (("server", "--idle-timeout", "-1"), ["more than 0"]),
        (("dance",), ["invalid choice"]),
    ]:
        result = run_script("helpers.echo", *args)
        assert_one_line_error(result, *words)
        assert result.returncode == 2


def test_server_on_a_busy_port_says_so_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_script("helpers.echo", "server", "--port", str(busy.getsockname()[1]))
    assert_one_line_error(result, "address already in use")
