"""notebooks/scripts/kv_server.py, the script notebook 12 writes: run as a learner runs it.

Each test starts the file with ``sys.executable`` as a subprocess, PYTHONUNBUFFERED unset
(this machine sets it; a learner's does not), reads the port from the first line of its
stdout, and talks to it over real sockets on 127.0.0.1. The shutdown rounds put clients
in every state a server meets (served and gone, silent, reset mid-line, 200 kB sent and
never reading, and with --tls one that never starts its handshake), send SIGINT or
SIGTERM and expect exit status 0 with exactly "kv_server: stopped" on stderr. Rounds run
in parallel, five per case.

The contract on stderr: by default the script logs only warnings, so a clean stop leaves
exactly one line there; with -v every event is one "kv_server: INFO ..." line, and still
no traceback.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "notebooks" / "scripts" / "kv_server.py"
NOTEBOOK = ROOT / "notebooks" / "12-server-script.ipynb"
ENV = {k: v for k, v in os.environ.items()
       if k not in ("PYTHONUNBUFFERED", "PYTHONDEVMODE", "PYTHONWARNINGS")}
ROUNDS = 5
# The interpreter that runs the script: this one, or STREAMS_LAB_KV_PYTHON (a bare 3.12, say)
PYTHON = os.environ.get("STREAMS_LAB_KV_PYTHON") or sys.executable
STOPPED = "kv_server: stopped\n"
NOISE = ("Traceback", "Error", "Exception", "Task was destroyed", "never retrieved")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals only")


class Server:
    """The script, started as a learner would: ``python kv_server.py --port 0 ...``."""

    def __init__(self, *args: str, ready: float = 15.0) -> None:
        self.proc = subprocess.Popen([PYTHON, str(SCRIPT), "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=ENV, cwd=ROOT)
        self.port = int(first_line(self.proc, ready))
        self.address = ("127.0.0.1", self.port)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> tuple[int, str, str, float]:
        """Send ``sig``; (exit status, rest of stdout, stderr, seconds it took)."""
        start = time.monotonic()
        self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(
                f"still running {timeout} s after {sig!r}: {err[-500:]!r}") from None
        return self.proc.returncode, out.decode(), err.decode(), time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def first_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first line of the process's stdout, or AssertionError after ``timeout`` s."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            proc.kill()
            _out, err = proc.communicate()
            raise AssertionError(f"no port line within {timeout} s (stderr: {err[-300:]!r})")
    line = proc.stdout.readline().decode()
    assert line.strip().isdigit(), f"the first line is not a port: {line!r}"
    return line


def talk(sock: socket.socket, *lines: bytes) -> list[bytes]:
    """Send each line, read one reply line after each."""
    f = sock.makefile("rb")
    replies = []
    for line in lines:
        sock.sendall(line + b"\n")
        replies.append(f.readline())
    return replies


def connect(address, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(address, timeout=timeout)
    return sock


# -- TLS: a CA and a server certificate made with the openssl command line ---------------

def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(where: Path, name: str) -> None:
    """``name``.key/.pem: a CA; server.key/.pem signed by it, for 127.0.0.1 and localhost."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "30",
            "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=where)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("kv-tls")
    make_ca(where, "ca")
    make_ca(where, "other-ca")  # a CA nobody trusts here
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=where)
    (where / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "authorityKeyIdentifier = keyid\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "30", "-extfile", "server.ext",
            cwd=where)
    return {name: where / name for name in ("ca.pem", "other-ca.pem", "server.pem", "server.key")}


def tls_args(tls) -> list[str]:
    return ["--tls-cert", str(tls["server.pem"]), "--tls-key", str(tls["server.key"])]


def tls_connect(address, ca: Path, hostname: str = "localhost") -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(ca))
    return context.wrap_socket(connect(address), server_hostname=hostname)


# -- the port line ------------------------------------------------------------------------

def test_the_port_comes_first_on_stdout_with_pythonunbuffered_unset():
    assert "PYTHONUNBUFFERED" not in ENV
    server = Server()
    try:
        with connect(server.address) as sock:
            assert talk(sock, b"SET a 1", b"GET a") == [b"OK\n", b"VALUE 1\n"]
    finally:
        status, out, err, _ = server.stop()
    assert (status, out, err) == (0, "", STOPPED)


# -- shutdown, whatever the clients are doing ---------------------------------------------

def one_round(sig: int, extra: list[str], tls_files: dict | None) -> tuple[float, list[bytes]]:
    """Clients in every state, then ``sig``; the shutdown's duration and what they heard."""
    server = Server(*extra)
    sockets = []

    def open_client() -> socket.socket:
        sock = connect(server.address)
        if tls_files is not None:
            sock = ssl.create_default_context(cafile=str(tls_files["ca.pem"])).wrap_socket(
                sock, server_hostname="localhost")
        sockets.append(sock)
        return sock

    try:
        with open_client() as gone:  # served and gone
            assert talk(gone, b"SET k v", b"QUIT") == [b"OK\n", b"BYE\n"]
        silent = open_client()  # served once, then silent
        assert talk(silent, b"GET k") == [b"VALUE v\n"]
        reset = open_client()  # reset in the middle of a line (SO_LINGER 0: close sends RST)
        assert talk(reset, b"GET k") == [b"VALUE v\n"]
        reset.sendall(b"SET half a li")
        reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reset.close()
        flood = open_client()  # 200 kB of requests, never reads a reply
        assert talk(flood, b"SET big " + b"x" * 900) == [b"OK\n"]
        flood.sendall(b"GET big\n" * 25_000)
        if tls_files is not None:  # TCP connected, TLS handshake never started
            sockets.append(connect(server.address))
        status, out, err, took = server.stop(sig)
        silent.settimeout(10)
        heard = silent.makefile("rb").readlines()  # until the server closes
    finally:
        for sock in sockets:
            sock.close()
        server.kill()
    assert status == 0, f"exit status {status}, stderr {err!r}"
    assert out == "", f"stdout after the port line: {out!r}"
    assert err == STOPPED, f"stderr: {err!r}"
    return took, heard


@pytest.mark.parametrize("mode", ["tcp", "tls"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_it_cleanly_whatever_its_clients_do(mode, sig, tls, request):
    files = tls if mode == "tls" else None
    extra = tls_args(tls) if files else []
    with ThreadPoolExecutor(ROUNDS) as pool:
        rounds = list(pool.map(lambda _: one_round(sig, extra, files), range(ROUNDS)))
    for took, heard in rounds:
        assert heard == [b"BYE server stopping\n"], heard
        assert took < 8, f"shutdown took {took:.1f} s"
    if os.environ.get("STREAMS_LAB_FIGURES"):  # a JSON file to collect shutdown times in
        record = Path(os.environ["STREAMS_LAB_FIGURES"])
        figures = json.loads(record.read_text()) if record.exists() else {}
        figures[f"{PYTHON} {mode} {sig.name}"] = [round(t, 2) for t, _ in rounds]
        record.write_text(json.dumps(figures, indent=1))


def test_verbose_logs_one_line_per_event_and_no_traceback():
    server = Server("-v")
    try:
        with connect(server.address) as sock:
            assert talk(sock, b"GET nothing") == [b"MISSING\n"]
        silent = connect(server.address)
        assert talk(silent, b"GET nothing") == [b"MISSING\n"]
    finally:
        status, _out, err, _ = server.stop(signal.SIGTERM)
        silent.close()
    lines = err.splitlines()
    assert status == 0 and lines[-1] == STOPPED.strip()
    assert all(line.startswith("kv_server: INFO ") for line in lines[:-1]), lines
    assert any(" connected" in line for line in lines) and any(" gone" in line for line in lines)
    assert not any(word in err for word in NOISE), err


# -- TLS ----------------------------------------------------------------------------------

def test_openssl_s_client_verifies_the_server_against_the_openssl_made_ca(tls):
    server = Server(*tls_args(tls))
    try:
        s_client = ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}",
                    "-verify_return_error", "-verify_hostname", "localhost", "-quiet"]
        good = subprocess.run([*s_client, "-CAfile", str(tls["ca.pem"])],
                              input=b"SET t 1\nGET t\nQUIT\n", capture_output=True, timeout=30)
        bad = subprocess.run([*s_client, "-CAfile", str(tls["other-ca.pem"])],
                             input=b"QUIT\n", capture_output=True, timeout=30)
        with tls_connect(server.address, tls["ca.pem"], hostname="127.0.0.1") as sock:
            assert talk(sock, b"GET t") == [b"VALUE 1\n"]  # the IP address in subjectAltName
        with pytest.raises(ssl.SSLCertVerificationError):
            tls_connect(server.address, tls["other-ca.pem"])
    finally:
        status, _out, err, _ = server.stop()
    assert good.returncode == 0, good.stderr.decode()[-500:]
    assert good.stdout == b"OK\nVALUE 1\nBYE\n"
    assert bad.returncode != 0 and b"verify error" in bad.stderr, bad.stderr[-300:]
    assert (status, err) == (0, STOPPED)


# -- bad input: one line of error, and the server serves on --------------------------------

def test_bad_input_gets_one_line_and_the_server_serves_on():
    server = Server("--max-line", "100")
    try:
        with connect(server.address) as sock:
            assert talk(sock, b"FROB x", b"\xff\xfe\xfd", b"SET onlykey", b"", b"GET a b",
                        b"SET a 1") == [
                b"ERROR unknown command 'FROB'\n", b"ERROR not UTF-8\n",
                b"ERROR usage: SET key value\n", b"ERROR empty line\n",
                b"ERROR usage: GET key\n", b"OK\n"]
        with connect(server.address) as sock:
            f = sock.makefile("rb")
            sock.sendall(b"SET a " + b"y" * 5000 + b"\n")
            assert f.readline() == b"ERROR line too long (max 100 bytes), bye\n"
            assert f.readline() == b""  # and it hangs up on that client
        with connect(server.address) as sock:  # the others are served as before
            assert talk(sock, b"GET a") == [b"VALUE 1\n"]
    finally:
        status, _out, err, _ = server.stop()
    assert (status, err) == (0, STOPPED)


def test_idle_clients_and_one_too_many_are_told_and_dropped():
    server = Server("--idle-timeout", "0.3", "--max-clients", "1")
    try:
        with connect(server.address) as first:
            assert talk(first, b"GET a") == [b"MISSING\n"]
            with connect(server.address) as second:
                assert second.makefile("rb").readlines() == [b"ERROR busy, try again later\n"]
            assert first.makefile("rb").readlines() == [b"ERROR idle for too long, bye\n"]
    finally:
        status, _out, err, _ = server.stop(signal.SIGTERM)
    assert status == 0
    assert re.fullmatch(r"kv_server: WARNING \('127\.0\.0\.1', \d+\) turned away"
                        r" \(--max-clients 1\)\n" + STOPPED, err), err


# -- the command line -----------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(SCRIPT), *args], capture_output=True,
                          text=True, env=ENV, timeout=30)


def test_a_port_in_use_is_one_line_and_status_1():
    server = Server()
    try:
        second = run("--port", str(server.port))
    finally:
        server.stop()
    assert second.returncode == 1
    assert second.stderr == (f"kv_server: cannot listen on 127.0.0.1 port {server.port}:"
                             " Address already in use (EADDRINUSE)\n")


def test_half_a_tls_configuration_or_a_missing_file_is_one_line(tmp_path):
    half = run("--port", "0", "--tls-cert", "server.pem")
    assert half.returncode == 2
    assert half.stderr == "kv_server: --tls-cert and --tls-key go together\n"
    missing = run("--port", "0", "--tls-cert", str(tmp_path / "no.pem"),
                  "--tls-key", str(tmp_path / "no.key"))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("kv_server: cannot load the TLS certificate: ")
    assert missing.stderr.count("\n") == 1


# -- the script is standard library only, and is what the notebook writes ------------------

def test_the_script_imports_only_the_standard_library():
    import ast
    tree = ast.parse(SCRIPT.read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert names <= sys.stdlib_module_names, names - sys.stdlib_module_names


def test_the_committed_script_is_what_the_notebook_writes():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    written = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"
               and "".join(c["source"]).startswith("%%writefile scripts/kv_server.py\n")]
    assert len(written) == 1, "one cell writes the script"
    body = written[0].split("\n", 1)[1]
    assert SCRIPT.read_text() in (body, body + "\n")


def test_every_part_the_notebook_shows_is_the_script_line_for_line():
    """Parts 1-5, 7 and 8 are code cells; part 6 (shutdown) is the exercise's solution."""
    script = SCRIPT.read_text()
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    parts = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"
             and "".join(c["source"]).startswith("# kv_server.py, part ")]
    assert len(parts) == 7, len(parts)
    for part in parts:
        first, body = part.split("\n", 1)
        assert body in script, f"{first}: not in the script as shown"
    solution = (ROOT / "notebooks" / "solutions" / "12-server-script.py").read_text()
    shutdown = solution[solution.index("async def shutdown"):]
    assert shutdown in script, "the solution's shutdown is not the script's"
