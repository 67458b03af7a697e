"""Showing response headers: the same saved output on every run, nothing that drives a terminal.

``mask_date`` and ``hiding_dates`` replace the value of ``Date:`` headers (it changes
every second), so a notebook's saved output does not change from run to run.
``printable`` shows control characters as ``\\xNN``: a server's headers are
untrusted text and must not move a terminal's cursor.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator

# The HTTP date format (IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
_DATE = re.compile(r"(?i)(\bDate:[ \t]*)[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} "
                   r"\d{2}:\d{2}:\d{2} GMT")


def mask_date(text: str) -> str:
    """Replace the value of any ``Date:`` header in ``text`` (it changes every second).

    Only the date itself is replaced, so it works on ``repr(line)`` too.
    """
    return _DATE.sub(r"\1<date>", text)


class _DateMasker(io.TextIOBase):
    def __init__(self, out) -> None:
        self.out = out
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *done, self.pending = self.pending.split("\n")
        for line in done:
            self.out.write(mask_date(line) + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.out.write(mask_date(self.pending))
            self.pending = ""
        self.out.flush()


@contextlib.contextmanager
def hiding_dates() -> Iterator[None]:
    """Inside ``with hiding_dates():`` whatever is printed has its Date values masked."""
    masker = _DateMasker(sys.stdout)
    try:
        with contextlib.redirect_stdout(masker):
            yield
    finally:
        masker.flush()


def printable(line: str) -> str:
    """``line`` with control characters shown as ``\\xNN``: a server cannot drive the terminal."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in line)
