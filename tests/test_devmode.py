"""helpers.devmode: a child Python in each debug mode, its stderr read back as a tidy log."""

from __future__ import annotations

import sys

import pytest

from helpers.devmode import grep, run_dev, tidy
from tests.support import run

DEBUG_FLAG = """
import asyncio
async def main():
    return asyncio.get_running_loop().get_debug()
print(asyncio.run(main()))
"""


@pytest.mark.parametrize("how, debug", [("dev", "True"), ("env", "True"), ("plain", "False")])
def test_each_way_turns_debug_mode_on_or_not(how, debug):
    log = run(run_dev(DEBUG_FLAG, how))
    assert log.endswith(f"--- stdout ---\n{debug}\n"), log


def test_an_unknown_way_is_refused():
    with pytest.raises(ValueError, match="how must be one of"):
        run(run_dev("pass", "loud"))


def test_a_program_that_runs_too_long_is_stopped():
    with pytest.raises(TimeoutError, match="did not end within 0.5 s"):
        run(run_dev("import time; time.sleep(30)", timeout=0.5))


def test_a_coroutine_never_awaited_is_reported_with_where_it_was_made():
    code = ("import asyncio\nasync def ping(): pass\nasync def main():\n    ping()\n"
            "asyncio.run(main())\n")
    log = run(run_dev(code, "dev"))
    assert grep(log, "never awaited") == [
        "<string>:4: RuntimeWarning: coroutine 'ping' was never awaited"]
    assert '  File "<string>", line 4, in main' in log.splitlines()
    plain = run(run_dev(code, "plain"))  # the warning still comes, but not where from
    assert "never awaited" in plain and "Coroutine created at" not in plain


def test_a_slow_callback_is_reported_with_its_time_masked():
    code = ("import asyncio, time\nasync def main():\n    time.sleep(0.12)\n"
            "asyncio.run(main(), debug=True)\n")
    [line] = grep(run(run_dev(code, "plain")), "Executing")
    assert line.startswith("Executing <Task finished name='Task-1' coro=<main() done,"
                           " defined at <string>:2>"), line
    assert line.endswith("took … seconds"), line


def test_tidy_masks_what_changes_between_machines_and_runs():
    stdlib = f"{sys.base_prefix}/lib/python3.{sys.version_info[1]}/asyncio"
    text = (f'  File "{stdlib}/runners.py", line 118, in run\n'
            f"created at {stdlib}/tasks.py:384> took 0.153 seconds at 0x7f30854a9120")
    assert tidy(text) == ('  File "asyncio/runners.py", in run\n'
                          "created at asyncio/tasks.py> took … seconds at 0x…")
    assert "/" not in tidy("/usr/lib/python3.12/asyncio/events.py:80").replace("asyncio/", "")
