"""``python -m helpers.chat``: the server's first line, the terminal client, one-line errors."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
import time

from tests.scripts import ENV, ROOT, Served, assert_one_line_error, free_port, run_script


def read_lines(sock: socket.socket, count: int) -> list[str]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(4096)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data.decode().splitlines()


def test_the_server_prints_its_address_and_nc_style_clients_chat():
    served = Served("helpers.chat", "--port", "0")
    try:
        address = ast.literal_eval(served.address)
        with socket.create_connection(address, timeout=5) as alice, \
                socket.create_connection(address, timeout=5) as bob:
            alice.sendall(b"alice\n")
            assert read_lines(alice, 2)[1] == "* hello alice! here: alice"
            bob.sendall(b"bob\n")
            assert read_lines(alice, 1) == ["* bob joined"]
            read_lines(bob, 2)
            bob.sendall(b"hello\n")
            assert read_lines(alice, 1) == ["bob: hello"]
    finally:
        assert served.stop() == 0
    assert served.err == "python -m helpers.chat: stopped\n"


def test_the_client_sends_what_is_typed_and_prints_what_arrives():
    served = Served("helpers.chat", "--port", "0")
    try:
        host, port = ast.literal_eval(served.address)
        with socket.create_connection((host, port), timeout=5) as bob:
            bob.sendall(b"bob\n")
            read_lines(bob, 2)
            client = subprocess.Popen(
                [sys.executable, "-m", "helpers.chat", "client", "alice", "--port", str(port)],
                cwd=ROOT, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            try:
                assert client.stdout.readline() == "* welcome! send your nickname\n"
                assert client.stdout.readline().startswith("* hello alice!")
                assert read_lines(bob, 1) == ["* alice joined"]
                bob.sendall(b"hi alice\n")  # arrives while the client waits for typing
                assert client.stdout.readline() == "bob: hi alice\n"
                client.stdin.write("hi bob\n")
                client.stdin.flush()
                assert read_lines(bob, 1) == ["alice: hi bob"]
                client.stdin.close()  # Ctrl-D: leaves politely
                client.wait(5)
                out, err = client.stdout.read(), client.stderr.read()
            finally:
                if client.poll() is None:
                    client.kill()
                    client.wait()
                client.stdout.close()
                client.stderr.close()
            assert out == "* bye\n" and err == "" and client.returncode == 0
            assert read_lines(bob, 1) == ["* alice left"]
    finally:
        served.stop()


def test_quit_typed_in_the_client_leaves():
    served = Served("helpers.chat", "--port", "0")
    try:
        port = ast.literal_eval(served.address)[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "helpers.chat", "client", "carol", "--port", str(port)],
            cwd=ROOT, env=ENV, input="/who\n/quit\nnever sent\n", capture_output=True,
            text=True, timeout=10)
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout.splitlines()[-2:] == ["* here: carol", "* bye"]
        assert time.monotonic() - started < 5
    finally:
        served.stop()


def test_bad_arguments_and_a_refused_connection_are_one_line():
    assert_one_line_error(run_script("helpers.chat", "server", "--port", "99999"), "port")
    assert_one_line_error(run_script("helpers.chat", "server", "--queue", "0"), "at least 1")
    assert_one_line_error(run_script("helpers.chat", "client"), "nick")
    assert_one_line_error(run_script("helpers.chat", "bench", "--clients", "many"), "number")
    refused = run_script("helpers.chat", "client", "alice", "--port", str(free_port()))
    assert_one_line_error(refused, "connection refused")


def test_the_client_reads_a_file_or_dev_null_as_its_input(tmp_path):
    """Neither can be watched by the event loop (epoll refuses them): a thread reads them."""
    served = Served("helpers.chat", "--port", "0")
    try:
        port = str(ast.literal_eval(served.address)[1])
        typed = tmp_path / "typed.txt"
        typed.write_text("/who\n")
        with typed.open() as stdin:
            from_file = subprocess.run(
                [sys.executable, "-m", "helpers.chat", "client", "dave", "--port", port],
                cwd=ROOT, env=ENV, stdin=stdin, capture_output=True, text=True, timeout=10)
        assert from_file.stdout.splitlines()[-2:] == ["* here: dave", "* bye"]
        nothing = subprocess.run(
            [sys.executable, "-m", "helpers.chat", "client", "erin", "--port", port],
            cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=10)
        assert nothing.stdout.splitlines()[-1] == "* bye"  # end of input: it leaves
        for result in (from_file, nothing):
            assert result.returncode == 0 and result.stderr == "", result.stderr
    finally:
        served.stop()
