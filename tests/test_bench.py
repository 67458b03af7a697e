"""helpers.bench on small sizes: each part moves exactly the bytes it claims, the report's
ratios come from the same run, the pause counts are what a StreamReader really did, and
--json has its promised shape. No timing is asserted: figures on a shared machine say
nothing reliable; only counts and arithmetic are checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import threading

import pytest

from helpers import bench
from helpers.bench import Report, Result
from tests.support import ROOT, eventually

ODD = 200_003  # not a multiple of 64 KiB nor of 100: a lost tail would show


@pytest.fixture(scope="module")
def ports():
    with bench.servers("asyncio") as found:
        yield found


@pytest.mark.parametrize("variant", sorted({v for _, loop, v in bench.THROUGHPUT
                                            if loop == "asyncio"}))
def test_each_echo_variant_echoes_exactly_the_payload(ports, variant):
    seconds, received = bench.echo_throughput(ports[variant], bench.payload_of(ODD),
                                              verify=True)
    assert received == ODD and seconds > 0


@pytest.mark.parametrize("variant", sorted({v for _, loop, v, _, _ in bench.LIMIT_SWEEP
                                            if loop == "asyncio"}))
def test_each_limit_variant_echoes_exactly_the_payload_and_counts_it(ports, variant):
    before = ports.pause_counts()[variant]
    seconds, received = bench.echo_throughput(ports[variant], bench.payload_of(ODD),
                                              verify=True)
    count = ports.pause_counts()[variant].since(before)
    assert received == ODD and seconds > 0
    assert count.received == ODD  # every byte went through the counting reader, once
    assert count.feeds >= 1


def test_the_default_limit_pauses_more_per_mib_than_a_1_mib_limit(ports):
    """A count, not a time: above 2 x limit a reader pauses its transport; 64 KiB is small.

    Whether one transfer pauses at all depends on who gets the CPU: a server that keeps up
    with a slow sender never buffers 128 KiB. So it sends 4 MiB up to ten times, until the
    default limit has paused; a 1 MiB limit needs 2 MiB buffered, and pauses far less.
    """
    payload = bench.payload_of(4 * bench.MiB)
    pauses = {bench.DEFAULT_LIMIT: 0, bench.MiB: 0}
    for _ in range(10):
        for limit in pauses:
            name = bench.variant(limit, 64 * 1024)
            before = ports.pause_counts()[name]
            _, received = bench.echo_throughput(ports[name], payload)
            count = ports.pause_counts()[name].since(before)
            assert received == count.received == len(payload)
            assert abs(count.pauses - count.resumes) <= 1  # each pause resumed (bar the last)
            assert count.peak <= bench.buffer_bound(limit)  # never over 2 x limit + a receive
            pauses[limit] += count.pauses
        if pauses[bench.DEFAULT_LIMIT]:
            break
    assert pauses[bench.DEFAULT_LIMIT] > pauses[bench.MiB], pauses


def test_a_counting_reader_counts_the_pause_and_resume_it_makes():
    """The rule, on one connection: more than 2 x limit buffered pauses; limit or less resumes."""
    async def main():
        count = bench.PauseCount()
        got = asyncio.Queue()
        go = asyncio.Event()

        async def handler(reader, writer):
            await go.wait()  # read nothing until told: the buffer fills past 2 x limit
            while data := await reader.read(1024):
                await got.put(len(data))
            writer.close()

        server = await bench.start_counting_server(handler, "127.0.0.1", 0, limit=1024,
                                                   count=count)
        async with server:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
            writer.write(b"x" * 10_000)
            await writer.drain()
            async with asyncio.timeout(10):
                while count.pauses == 0:  # the reader paused its transport
                    await asyncio.sleep(0.01)
                assert count.resumes == 0 and 2048 < count.peak <= bench.buffer_bound(1024)
                go.set()
                writer.write_eof()
                total = 0
                while total < 10_000:
                    total += await got.get()
            writer.close()
        return count

    count = asyncio.run(main())
    assert count.pauses >= 1 and count.resumes >= count.pauses - 1
    assert count.received == 10_000


def test_verify_notices_an_echo_that_loses_or_changes_bytes():
    """The check itself: a server that drops the last byte or changes one is caught."""
    def serve_once(listener, mangle):
        conn, _ = listener.accept()
        with conn:
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            conn.sendall(mangle(data))

    for mangle in (lambda d: d[:-1], lambda d: b"x" + d[1:]):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            t = threading.Thread(target=serve_once, args=(listener, mangle), daemon=True)
            t.start()
            with pytest.raises(AssertionError, match="differ"):
                bench.echo_throughput(listener.getsockname()[1], bench.payload_of(1000),
                                      verify=True)
            t.join(5)


def test_ceilings_move_the_whole_payload_one_way():
    for fn in (bench.tcp_one_way, bench.socketpair_one_way):
        seconds, moved = fn(bench.payload_of(ODD))
        assert moved == ODD and seconds > 0


@pytest.mark.parametrize("variant", ["threads reply", "protocol reply", "streams reply"])
def test_round_trips_get_one_whole_reply_per_request(ports, variant):
    # round_trips raises if a reply differs from its request
    assert len(bench.round_trips(ports[variant], 20)) == 20
    assert len(bench.round_trips(ports[variant], 5, pieces=2, nodelay=True)) == 5


def test_asyncio_client_finds_tcp_nodelay_on_as_cpython_sets_it(ports):
    """base_events._set_nodelay, called by every selector TCP transport."""
    times, nodelay = asyncio.run(bench.asyncio_round_trips(ports["streams reply"], 3))
    assert len(times) == 3 and nodelay is True


def test_concurrent_clients_count_the_round_trips_they_made(ports):
    seconds, done = asyncio.run(bench.concurrent_round_trips(ports["streams 64 KiB"], 10, 105))
    assert done == 100 and seconds > 0  # 10 each: the count used is what was done


def test_with_ratios_divides_by_the_baseline_of_the_same_list():
    results = [Result("t", "base", 200.0, "MB/s"), Result("t", "other", 50.0, "MB/s"),
               Result("l", "b p50", 10.0, "µs"), Result("l", "b p99", 40.0, "µs"),
               Result("l", "x p50", 15.0, "µs"), Result("l", "x p99", 20.0, "µs"),
               Result("s", "alone", 1.0, "rt/s")]
    bench.with_ratios(results, {"t": "base", "l": "b p50"})
    got = {r.name: (r.ratio, r.baseline) for r in results}
    assert got["base"] == (1.0, "base") and got["other"] == (0.25, "base")
    assert got["x p50"] == (1.5, "b p50")
    assert got["x p99"] == (0.5, "b p99")  # a p99 against the baseline's p99
    assert got["alone"] == (None, None)


def test_percentile_is_the_nearest_rank():
    samples = [float(i) for i in range(1, 101)]
    assert bench.percentile(samples, 50) == 50.0
    assert bench.percentile(samples, 99) == 99.0
    assert bench.percentile([3.0], 99) == 3.0


def test_a_small_run_reports_every_group_with_ratios_from_that_run():
    size = bench.Size("test", 64 * 1024, 1, 20, 2, 40, (1, 4))
    report = bench.run(size, use_uvloop=False)
    groups = {r.group for r in report.results}
    assert groups == {"throughput", "limit", "ceiling", "latency", "nagle", "scaling"}
    sweep = report.group("limit")
    assert [(r.limit, r.read_size) for r in sweep] == [
        (limit, read) for limit in bench.LIMITS for read in bench.READ_SIZES]
    for r in sweep:
        assert r.baseline == "blocking sockets, a thread each"  # the same run's baseline
        assert r.pauses_per_mib is not None and r.pauses_per_mib >= 0
        assert r.buffer_bound == 2 * r.limit + 256 * 1024
        assert f"limit {bench.size_name(r.limit)}" in r.name
        assert f"read({bench.size_name(r.read_size)})" in r.name
    assert report.best().name.startswith("Streams, limit")
    for r in report.results:
        base = report.get(r.baseline)
        assert r.ratio == pytest.approx(r.value / base.value), r.name
    assert report.get("blocking sockets, a thread each").ratio == 1.0
    assert report.nodelay == {"an open_connection socket": True}
    assert len(report.samples["Streams"]) == 20
    text = "\n".join(report.lines())
    assert "uvloop: left out (--no-uvloop)" in text
    assert "limit   1 MiB: at most 2,304 KiB per connection; 1,000 connections: 2,250 MiB" in text
    assert "pauses/MiB, peak" in text


def test_the_report_says_when_uvloop_is_absent():
    report = Report(bench.TINY, [Result("t", "a", 1.0, "MB/s", 1.0, "a")], uvloop=None)
    assert "uvloop: not installed (pip install uvloop" in "\n".join(report.lines())


def test_json_is_a_list_of_name_value_unit_ratio_objects():
    out = subprocess.run([sys.executable, "-m", "helpers.bench", "--tiny", "--json",
                          "--no-uvloop"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stderr == ""
    rows = json.loads(out.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"name", "value", "unit", "ratio"} <= row.keys()
        assert isinstance(row["name"], str) and isinstance(row["value"], float)
        assert row["unit"] in {"MB/s", "µs", "rt/s"}
        assert isinstance(row["ratio"], float)
        if row["group"] == "limit":
            assert isinstance(row["pauses_per_mib"], float)
            assert isinstance(row["peak_buffer"], int)
            assert row["buffer_bound"] == 2 * row["limit"] + 256 * 1024
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names))
    assert "Streams, read(100) (the seed's)" in names
    assert "Streams, read(64 KiB)" in names  # the default row, kept
    assert "Streams, limit 64 KiB (default), read(64 KiB)" in names
    assert "Streams, limit 1 MiB, read(256 KiB)" in names
    assert {"1 client", "10 clients", "100 clients"} <= set(names)


@pytest.mark.skipif(bench.uvloop_version() is None, reason="uvloop is not installed here")
def test_uvloop_variants_echo_exactly_the_payload_too():
    with bench.servers("uvloop") as found:
        assert "threads" not in found  # the blocking baseline runs once, on asyncio's side
        variants = ([v for _, loop, v in bench.THROUGHPUT if loop == "uvloop"]
                    + [v for _, loop, v, _, _ in bench.LIMIT_SWEEP if loop == "uvloop"])
        for variant in variants:
            before = found.pause_counts().get(variant, bench.PauseCount())
            _, received = bench.echo_throughput(found[variant], bench.payload_of(ODD),
                                                verify=True)
            assert received == ODD, variant
            if variant in found.pause_counts():  # uvloop's transports are counted too
                assert found.pause_counts()[variant].since(before).received == ODD
        assert len(bench.round_trips(found["streams reply"], 10)) == 10


def test_hot_spots_and_calls_to_read_a_profile_without_machine_paths():
    import cProfile

    async def reads(n):
        reader = asyncio.StreamReader()
        reader.feed_data(b"x" * n)
        reader.feed_eof()
        while await reader.read(100):
            pass

    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(reads(1000))
    profiler.disable()
    assert bench.calls_to(profiler, "read", "streams.py") == 11  # 10 pieces, then b""
    lines = bench.hot_spots(profiler, 5)
    assert len(lines) == 6 and lines[0].split() == ["calls", "own", "s", "total", "s",
                                                   "function"]
    assert not any(mark in line for line in lines for mark in ("/", "\\"))


def test_the_plots_draw_a_small_report():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = bench.Size("test", 32 * 1024, 1, 10, 2, 20, (1, 3))
    report = bench.run(size, use_uvloop=False)
    for plot in (bench.plot_throughput, bench.plot_latency, bench.plot_scaling,
                 bench.plot_limits):
        fig = plot(report)
        assert fig.axes and fig.axes[0].has_data(), plot.__name__
        plt.close(fig)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a process group is POSIX")
def test_ctrl_c_stops_the_run_and_its_servers_with_one_line():
    import os
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "helpers.bench", "--no-uvloop"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own group, as a terminal's job
    import psutil  # ipykernel's own dependency

    def server_process() -> psutil.Process | None:
        """The bench's server process, once it runs Python (a fork not yet exec'd is not)."""
        for child in psutil.Process(proc.pid).children():
            with contextlib.suppress(psutil.Error):
                if "--child" in child.cmdline():
                    return child
        return None

    # the full run well under way (its server process started), far from done; the window
    # while the server process starts is test_ctrl_c_while_its_server_process_starts_...
    eventually(server_process, timeout=20, what="the bench's server process")
    server = server_process()
    assert server is not None
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
    out, err = proc.communicate(timeout=20)
    assert (proc.returncode, out, err) == (130, "", "python -m helpers.bench: interrupted\n")
    # No server process left behind. It may outlive the run by a moment: a Ctrl-C that
    # lands while Popen() is still returning leaves no one to wait for it, and it ends
    # when it reads the end of its stdin, which the dead parent's exit closed.
    with contextlib.suppress(psutil.NoSuchProcess):
        server.wait(timeout=10)  # psutil.TimeoutExpired if it stays


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a process group is POSIX")
def test_ctrl_c_while_its_server_process_starts_is_still_one_line():
    """The child is interrupted while Python imports: it must not print a traceback."""
    import os
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "helpers.bench", "--tiny", "--no-uvloop"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    children: list[int] = []
    deadline = time.monotonic() + 10
    while not children and time.monotonic() < deadline:  # Ctrl-C as soon as it has one
        found = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        children = [int(pid) for pid in found.stdout.split()]
    assert children, "the benchmark started no server process"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert (proc.returncode, out, err) == (130, "", "python -m helpers.bench: interrupted\n")
    for pid in children:  # stopped too, not left serving
        assert gone_within(pid, 10), f"server process {pid} still runs"


def gone_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` ends within ``seconds`` (an unreaped zombie counts as ended).

    The server process learns that its parent left when its stdin closes, which may be
    after it has finished starting; in a container nobody may reap it once it exits.
    """
    import os
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not os.path.isdir("/proc"):  # macOS: no zombie check, just whether it exists
                os.kill(pid, 0)
            else:
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.05)
    return False


def test_a_usage_error_is_one_line():
    out = subprocess.run([sys.executable, "-m", "helpers.bench", "--quick", "--tiny"],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == ("python -m helpers.bench: error: argument --tiny: not allowed with"
                          " argument --quick (try --help)\n")


def test_the_sweep_alone_measures_its_baseline_and_no_slow_variant():
    size = bench.Size("test", 64 * 1024, 1, 10, 2, 20, (1,))
    report = bench.run(size, groups=("limit",), use_uvloop=False)
    assert {r.name for r in report.group("throughput")} == {
        "blocking sockets, a thread each", "asyncio Protocol", "Streams, read(64 KiB)"}
    assert len(report.group("limit")) == len(bench.LIMITS) * len(bench.READ_SIZES)
    assert {r.group for r in report.results} == {"throughput", "limit"}
    with pytest.raises(ValueError, match="no such group: speed"):
        bench.run(size, groups=("speed",))
