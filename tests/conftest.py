"""What every test process needs before it starts a script.

A shell that starts a command in the background (``cmd &``, as a CI runner may) makes it
ignore SIGINT, and an ignored signal is inherited by every process started from there:
the scripts under test would then ignore the Ctrl-C the tests press. A handler, unlike an
ignored signal, is not inherited, so with one here each script starts with the default.
"""

import signal

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
