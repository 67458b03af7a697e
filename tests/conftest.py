"""What every test process needs before it starts a script.

A shell that starts a command in the background (``cmd &``, as a CI runner may) makes it
ignore SIGINT, and an ignored signal is inherited by every process started from there:
the scripts under test would then ignore the Ctrl-C the tests press. A handler, unlike an
ignored signal, is not inherited, so with one here each script starts with the default.
"""

import signal

import pytest

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# Every test gets a time limit (pytest-timeout, from requirements-test.txt): a hang fails
# that one test with a traceback instead of running into CI's limit. A test that needs
# longer says so with its own @pytest.mark.timeout(...).
TEST_TIMEOUT = 120


def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))
