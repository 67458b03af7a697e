"""``python -m helpers.unix_echo``: the echo pair on a Unix socket, as scripts, on real sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys

import pytest

from helpers.echo import handle_echo
from helpers.unix_echo import main, probe, unix_echo_once
from tests.notebook_tools import ROOT
from tests.scripts import ENV, assert_one_line_error, interrupt, run_script, running_server

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")

PROG = "python -m helpers.unix_echo"


def stale_socket(path) -> None:
    """A socket file with nobody behind it, as a crashed server leaves."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def test_server_and_client_talk_and_ctrl_c_removes_the_socket_file(tmp_path):
    path = tmp_path / "echo.sock"
    with running_server("helpers.unix_echo", str(path)) as (proc, said):
        assert said == str(path)
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        result = run_script("helpers.unix_echo", "client", "Hello World!", str(path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "Send: 'Hello World!'", "Received: 'Hello World!'", "Close the connection"]
        long = "0123456789" * 50  # five times the handler's 100-byte read
        result = run_script("helpers.unix_echo", "client", long, str(path))
        assert f"Received: {long!r}" in result.stdout
        out, err = interrupt(proc)
    assert proc.returncode == 0
    assert err.strip() == f"{PROG}: stopped"
    assert "Received 'Hello World!' from ''" in out  # a Unix client has no address
    assert not path.exists()


def test_sigterm_while_a_client_is_connected_stops_cleanly(tmp_path):
    path = tmp_path / "echo.sock"
    with running_server("helpers.unix_echo", str(path)) as (proc, _):
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))
            client.sendall(b"x")
            assert client.recv(1) == b"x"  # served, and still connected
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert err.strip() == f"{PROG}: stopped"
    assert not path.exists()


def test_server_replaces_a_stale_socket_file(tmp_path):
    path = tmp_path / "echo.sock"
    stale_socket(path)
    with running_server("helpers.unix_echo", str(path)) as (proc, _):
        assert asyncio.run(unix_echo_once("over the stale file", path)) == "over the stale file"
        interrupt(proc)
    assert proc.returncode == 0
    assert not path.exists()


def test_server_refuses_a_path_where_a_server_is_listening(tmp_path):
    path = tmp_path / "echo.sock"
    with running_server("helpers.unix_echo", str(path)) as (proc, _):
        inode = os.stat(path).st_ino
        result = run_script("helpers.unix_echo", "server", str(path))
        assert_one_line_error(result, "a server is already listening on", str(path))
        assert os.stat(path).st_ino == inode  # the first server's file is untouched
        assert asyncio.run(unix_echo_once("still there", path)) == "still there"
        interrupt(proc)


def test_server_refuses_to_replace_a_file_that_is_not_a_socket(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("precious\n")
    result = run_script("helpers.unix_echo", "server", str(path))
    assert_one_line_error(result, "exists and is not a socket: not replacing it")
    assert path.read_text() == "precious\n"


@pytest.mark.parametrize(("where", "words"), [
    ("no-such-dir/echo.sock", ["cannot listen on", "its directory does not exist"]),
    ("x" * 120, ["bytes, too long for a Unix socket path"]),
])
def test_server_cannot_listen_one_line(tmp_path, where, words):
    result = run_script("helpers.unix_echo", "server", str(tmp_path / where))
    assert_one_line_error(result, *words)
    assert result.returncode == 1


def test_client_errors_are_one_line(tmp_path):
    stale_socket(tmp_path / "stale.sock")
    (tmp_path / "notes.txt").write_text("not a socket\n")
    for where, words in [
        ("missing.sock", ["no such file", "is the echo server running?"]),
        ("stale.sock", ["nobody is listening", "stale socket file"]),
        ("notes.txt", ["it is not a socket"]),
        ("x" * 120, ["too long for a Unix socket path"]),
    ]:
        result = run_script("helpers.unix_echo", "client", "hi", str(tmp_path / where))
        assert_one_line_error(result, *words)
        assert result.returncode == 1
        assert result.stdout == "Send: 'hi'\n"


def test_client_without_permission_gets_one_line(tmp_path):
    """A socket in a directory the user may not enter: connect() says EACCES."""
    locked = tmp_path / "locked"
    locked.mkdir()
    path = locked / "echo.sock"

    async def serve_and_ask() -> subprocess.CompletedProcess:
        server = await asyncio.start_unix_server(handle_echo, path)
        async with server:
            if os.geteuid() == 0:
                # root may enter any directory: run the client as "nobody" instead
                # (imports first, then drop privileges: the interpreter stays readable).
                code = ("import os, sys, helpers.unix_echo as m; os.setgid(65534); "
                        "os.setuid(65534); m.main(sys.argv[1:])")
                args = [sys.executable, "-c", code]
            else:
                locked.chmod(0o000)
                args = [sys.executable, "-m", "helpers.unix_echo"]
            try:
                proc = await asyncio.create_subprocess_exec(
                    *args, "client", "hi", str(path), cwd=ROOT, env=ENV,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                out, err = await asyncio.wait_for(proc.communicate(), 10)
            finally:
                locked.chmod(0o700)
        return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())

    result = asyncio.run(serve_and_ask())
    assert_one_line_error(result, "permission denied", str(path))


@pytest.mark.parametrize(("args", "words"), [
    (["server"], ["required", "PATH"]),
    (["client", "hi"], ["required", "PATH"]),
    (["client", "hi", ""], ["the socket path is empty"]),
    (["server", "x.sock", "--idle-timeout", "0"], ["more than 0"]),
])
def test_bad_arguments_get_one_line_and_exit_2(capsys, args, words):
    # argparse stops before any socket or event loop: run main() in this process
    with pytest.raises(SystemExit) as stopped:
        main(args)
    err = capsys.readouterr().err
    assert_one_line_error(subprocess.CompletedProcess(args, stopped.value.code, "", err), *words)
    assert stopped.value.code == 2


def test_probe_tells_the_four_cases_apart(tmp_path):
    async def main() -> list[str]:
        stale_socket(tmp_path / "stale.sock")
        (tmp_path / "notes.txt").write_text("x")
        server = await asyncio.start_unix_server(handle_echo, tmp_path / "live.sock")
        async with server:
            return [await probe(tmp_path / name) for name in
                    ("missing.sock", "notes.txt", "stale.sock", "live.sock")]

    assert asyncio.run(main()) == ["missing", "not a socket", "stale", "listening"]
    assert (tmp_path / "stale.sock").exists()  # probe only looks
