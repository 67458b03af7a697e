"""Write notebooks/troubleshooting.md: every error message the course reproduces, and where.

A code cell whose saved output shows an error a learner could paste into a search box
carries, in its metadata::

    "streams_lab": {"errors": [{"message": "ValueError: Pipe transport is for pipes/sockets only.",
                                "cause": "connect_read_pipe was given a regular file"}]}

``message`` is the exception class and its text as Python prints them; it must appear in
that cell's saved outputs (stream text, ``text/plain``, or an error output's
"ename: evalue", ANSI colours stripped). ``cause`` is one line. This tool collects the
entries of ``notebooks/NN-*.ipynb`` (read with ``tools.navigation.read_notebooks``) and
writes one table per exception class: message, cause, and the notebook and section (the
nearest heading above the cell) that reproduces and fixes it.

    python -m tools.troubleshooting              # write the page
    python -m tools.troubleshooting --check      # change nothing; exit 1 and say what is stale
    python -m tools.troubleshooting --root PATH  # work on another copy of the repository

``--check`` fails when an entry is stale (its message is not in its cell's saved outputs),
when an entry is malformed or names a port, path or address, or when the page differs from
what would be written. One message may have several causes (a bare ``TimeoutError`` has
many): each cause gets its own row, with the places that show it.
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from tools.navigation import Notebook, is_navigation, read_notebooks

PAGE = "troubleshooting.md"
MARK = ("<!-- written by python -m tools.troubleshooting:"
        " edit the notebooks' cell metadata, not this page -->")
RUN_ME = "run python -m tools.troubleshooting"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADING_LINE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# What a message must not carry: it changes from machine to machine, so nobody searches for it.
MACHINE_SPECIFIC = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|(?:^|[\s'\"(])/(?:tmp|root|home|work|"
                              r"Users|var|private)/|\bport \d+|:\d{2,5}\b")
INTRO = """\
# Troubleshooting: find your error

Python printed an error and you want to know what it means? Copy its last line, the one
that starts with the exception's name (say `ValueError: Separator is not found, and chunk
exceed the limit`), press **Ctrl+F** (**⌘F** on a Mac) on this page and paste it, or just its
first few words. Each row says, in one line, what usually causes that message, and links to
the notebook section that makes the error happen live in front of you, explains it, and
fixes it. The rows are grouped by exception class, in alphabetical order. Addresses, ports
and file names are left out of the messages, because yours will differ."""


@dataclass(frozen=True)
class Place:
    notebook: Notebook
    section: str  # the nearest heading above the cell, as shown

    @property
    def link(self) -> str:
        nb = self.notebook
        label = f"{nb.number} · {nb.title} › {self.section}"
        return f"[{table_text(label)}]({nb.path.name}#{anchor(self.section)})"


@dataclass(frozen=True)
class Entry:
    message: str
    cause: str
    place: Place
    where: str  # "notebooks/NN-x.ipynb, cell <id>", for the problem lines


def plain_heading(text: str) -> str:
    """A heading's text as it is displayed: no backticks, emphasis or link syntax."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`+([^`]*)`+", r"\1", text)
    # emphasis only where it starts and ends a word: the _ in timeout_at stays
    text = re.sub(r"(?<!\w)(\*\*|__|\*|_)(\S(?:.*?\S)?)\1(?!\w)", r"\2", text)
    return " ".join(text.split())


def anchor(section: str) -> str:
    """The heading's anchor as JupyterLab and nbconvert (GitHub's notebook view) make it:
    the displayed text with each space turned into '-', case kept; percent-encoded here
    so that the link survives Markdown (brackets, parentheses)."""
    return urllib.parse.quote(section.replace(" ", "-"), safe="-_.~'!*:,;=+&$@")


def table_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def code_span(text: str) -> str:
    """``text`` as inline code, with enough backticks around it for any backticks inside."""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{table_text(text)}{pad}{ticks}"


def output_text(cell) -> str:
    """What a learner sees in a code cell's saved outputs, as one string, colours stripped."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
        elif kind in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return ANSI.sub("", "\n".join(parts))


def exception_class(message: str) -> str:
    head = message.split(":", 1)[0].strip()
    return head if re.fullmatch(r"[A-Za-z_][\w.]*", head) else "Other messages"


def collect(notebooks: list[Notebook]) -> tuple[list[Entry], list[str]]:
    """Every valid entry, and one problem line for each entry that is not."""
    entries: list[Entry] = []
    problems: list[str] = []
    for nb in notebooks:
        name = f"notebooks/{nb.path.name}"
        section = nb.title
        for index, cell in enumerate(nb.nb.cells):
            if cell.cell_type == "markdown" and not is_navigation(cell):
                fenced = False  # a "# comment" in a code block is not a heading
                for line in cell.source.splitlines():
                    if line.lstrip().startswith(("```", "~~~")):
                        fenced = not fenced
                    match = None if fenced else HEADING_LINE.match(line)
                    if match:
                        section = plain_heading(match[2])
            raw = cell.metadata.get("streams_lab", {}).get("errors")
            if raw is None:
                continue
            where = f"{name}, cell {cell.get('id') or f'#{index}'}"
            if cell.cell_type != "code":
                problems.append(f"{where}: a {cell.cell_type} cell has error entries;"
                                " only a code cell's outputs can show an error")
                continue
            if not isinstance(raw, list) or not raw:
                problems.append(f"{where}: streams_lab.errors must be a non-empty list of"
                                " {\"message\": ..., \"cause\": ...}")
                continue
            shown = output_text(cell)
            for item in raw:
                message = item.get("message") if isinstance(item, dict) else None
                cause = item.get("cause") if isinstance(item, dict) else None
                if not (isinstance(message, str) and message.strip()
                        and isinstance(cause, str) and cause.strip()):
                    problems.append(f"{where}: an entry needs a non-empty 'message' and"
                                    f" 'cause', got {item!r}")
                    continue
                message, cause = message.strip(), " ".join(cause.split())
                if "\n" in message:
                    problems.append(f"{where}: message {message!r} spans lines: give one line")
                    continue
                if MACHINE_SPECIFIC.search(message):
                    problems.append(f"{where}: message {message!r} names a port, path or"
                                    " address: cut it before that part")
                    continue
                if message not in shown:
                    problems.append(f"{where}: stale entry: {message!r} is not in the cell's"
                                    " saved outputs (re-execute the notebook, or fix the entry)")
                    continue
                entries.append(Entry(message, cause, Place(nb, section), where))
    return entries, problems


def render(entries: list[Entry]) -> str:
    # exception class -> message -> cause -> the places that show it
    rows: dict[str, dict[str, dict[str, list[Place]]]] = {}
    for e in entries:
        by_message = rows.setdefault(exception_class(e.message), {})
        places = by_message.setdefault(e.message, {}).setdefault(e.cause, [])
        if e.place not in places:
            places.append(e.place)
    classes = sorted(rows, key=lambda c: (c == "Other messages", c.lower()))
    count = sum(len(m) for m in rows.values())
    lines = [MARK, "", INTRO, "",
             f"{count} messages, in {len(classes)} exception classes: "
             + ", ".join(f"[{c}](#{anchor(c)})" for c in classes) + "."]
    for cls in classes:
        lines += ["", f"## {cls}", "", "| message | cause | reproduced and fixed in |",
                  "|---|---|---|"]
        for message in sorted(rows[cls], key=str.lower):
            for cause, places in rows[cls][message].items():
                links = "<br>".join(p.link for p in places)
                lines.append(f"| {code_span(message)} | {table_text(cause)} | {links} |")
    return "\n".join(lines) + "\n"


def listed(page: str) -> set[str]:
    """The messages a page lists (the first column of its tables)."""
    found = set()
    for line in page.splitlines():
        match = re.match(r"\| (`+) ?(.*?) ?\1 \|", line)
        if match:
            found.add(match[2].replace("\\|", "|"))
    return found


def update(root: Path, write: bool) -> tuple[list[str], str | None, int]:
    """The problems, the page written (or to write; None if it is up to date), the count."""
    entries, problems = collect(read_notebooks(root))
    page = render(entries)
    path = root / "notebooks" / PAGE
    old = path.read_text(encoding="utf-8") if path.exists() else None
    changed = None
    if old != page:
        changed = f"notebooks/{PAGE}"
        if old is None:
            problems.append(f"notebooks/{PAGE} does not exist: {RUN_ME}")
        else:
            now, before = {e.message for e in entries}, listed(old)
            why = [f"no longer reproduced: {m!r}" for m in sorted(before - now)]
            why += [f"not listed yet: {m!r}" for m in sorted(now - before)]
            problems.append(f"notebooks/{PAGE} is stale ({'; '.join(why) or 'its text differs'})"
                            f": {RUN_ME}")
        if write:
            path.write_text(page, encoding="utf-8")
    return problems, changed, len({e.message for e in entries})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.troubleshooting", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing, say what is stale")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository (default: the one this tool is in)")
    args = parser.parse_args(argv)
    try:
        problems, changed, count = update(args.root, write=not args.check)
    except (ValueError, OSError) as error:
        print(error)
        return 1
    if args.check:
        print("\n".join(problems) or f"OK: {PAGE} is up to date ({count} messages)")
        return 1 if problems else 0
    unfixable = [p for p in problems if not p.startswith(f"notebooks/{PAGE}")]
    done = [f"wrote notebooks/{PAGE} ({count} messages)"] if changed else [
        f"OK: nothing to change ({count} messages)"]
    print("\n".join(unfixable + done))
    return 1 if unfixable else 0


if __name__ == "__main__":
    sys.exit(main())
