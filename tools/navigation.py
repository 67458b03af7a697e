"""Write the navigation lines, 00-start-here's index table and README's table.

Everything comes from the notebooks themselves: their order (``notebooks/NN-*.ipynb``)
and, in each one, the first Markdown cell: ``# NN · Title``, then a one-paragraph promise.

    python -m tools.navigation              # rewrite whatever is stale
    python -m tools.navigation --check      # change nothing; exit 1 and say what is stale
    python -m tools.navigation --root PATH  # work on another copy of the repository

Each notebook gets a navigation cell right after its title cell and another as its last
cell (Markdown cells whose source starts with ``<!-- navigation``). The two tables sit
between ``<!-- index:start -->`` and ``<!-- index:end -->``. Only Markdown sources change;
outputs and execution counts are written back exactly as they were read.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

MARK = "<!-- navigation: written by python -m tools.navigation -->\n"
START, END = "<!-- index:start -->", "<!-- index:end -->"
INDEX = "00-start-here.ipynb"
HEADING = re.compile(r"# (\d\d) · (.+)")
RUN_ME = "run python -m tools.navigation"


@dataclass
class Notebook:
    path: Path
    number: str
    title: str
    promise: str
    nb: nbformat.NotebookNode
    text: str  # the file as read, to tell whether anything changed


def read_notebooks(root: Path) -> list[Notebook]:
    found = []
    for path in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        first = next((c.source for c in nb.cells
                      if c.cell_type == "markdown" and not is_navigation(c)), "")
        heading, _, rest = first.partition("\n")
        match = HEADING.fullmatch(heading.strip())
        promise = " ".join(rest.strip().split("\n\n")[0].split())
        if not match or match[1] != path.name[:2] or not promise:
            raise ValueError(f"notebooks/{path.name}: the first Markdown cell must be "
                             f"'# {path.name[:2]} · Title', then a one-line promise")
        found.append(Notebook(path, match[1], match[2].strip(), promise, nb, text))
    return found


def navigation_line(prev: Notebook | None, nxt: Notebook | None) -> str:
    links = [f"[Index]({INDEX})"]
    if prev:
        links.insert(0, f"[← {prev.number} · {prev.title}]({prev.path.name})")
    if nxt:
        links.append(f"[{nxt.number} · {nxt.title} →]({nxt.path.name})")
    return " | ".join(links)


def is_navigation(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith("<!-- navigation")


def place_navigation(nb, line: str) -> list[str]:
    """Put the navigation cells in place; return what was stale."""
    source = MARK + line
    cells = nb.cells
    navigation = [c for c in cells if is_navigation(c)]
    if not navigation:
        stale = [f"no navigation cell: {RUN_ME}"]
    else:
        stale = [f"{where} navigation is stale" for where, cell in (("top", cells[1]),
                                                                   ("bottom", cells[-1]))
                 if not (is_navigation(cell) and cell.source == source)]
    top = navigation[0] if navigation else new_markdown_cell(id="navigation-top")
    bottom = navigation[-1] if len(navigation) > 1 else new_markdown_cell(id="navigation-bottom")
    top.source = bottom.source = source
    rest = [c for c in cells if not is_navigation(c)]
    nb.cells = rest[:1] + [top] + rest[1:] + [bottom]
    return stale


def table(notebooks: list[Notebook], folder: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| # | notebook | what you'll do |", "|---|---|---|"]
    rows += [f"| {n.number} | [{cell(n.title)}]({folder}{n.path.name}) | {cell(n.promise)} |"
             for n in notebooks]
    return "\n".join(rows)


def fill(text: str, table_: str) -> str | None:
    """The text with the table between the markers, or None if the markers are missing."""
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not (start and end):
        return None
    return f"{head}{START}\n\n{table_}\n\n{END}{tail}"


def update(root: Path, write: bool) -> tuple[list[str], list[str]]:
    """Find what is stale: one line per place, and the files to rewrite (written if ``write``).

    A place the tool cannot fix (missing table markers) is reported, never written.
    """
    problems, files = [], []
    notebooks = read_notebooks(root)
    for i, n in enumerate(notebooks):
        name = f"notebooks/{n.path.name}"
        prev = notebooks[i - 1] if i else None
        nxt = notebooks[i + 1] if i + 1 < len(notebooks) else None
        stale = place_navigation(n.nb, navigation_line(prev, nxt))
        if n.path.name == INDEX:
            cell = next((c for c in n.nb.cells
                         if c.cell_type == "markdown" and START in c.source), None)
            filled = fill(cell.source, table(notebooks, "")) if cell is not None else None
            if cell is None or not filled:
                problems.append(f"{name}: no index table: put {START} and {END} in a cell")
            elif filled != cell.source:
                cell.source = filled
                stale.append("index table is stale")
        new_text = nbformat.writes(n.nb) + "\n"  # what nbformat.write would save
        if new_text != n.text:
            problems += [f"{name}: {what}" for what in stale or ["navigation cells are stale"]]
            files.append(name)
            if write:
                n.path.write_text(new_text, encoding="utf-8")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    filled = fill(text, table(notebooks, "notebooks/"))
    if filled is None:
        problems.append(f"README.md: no notebook table: put {START} and {END} in it")
    elif filled != text:
        problems.append("README.md: notebook table is stale")
        files.append("README.md")
        if write:
            readme.write_text(filled, encoding="utf-8")
    return problems, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.navigation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing, say what is stale")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository (default: the one this tool is in)")
    args = parser.parse_args(argv)
    try:
        problems, files = update(args.root, write=not args.check)
    except ValueError as error:
        print(error)
        return 1
    if args.check:
        print("\n".join(problems) or "OK: navigation, index and README table are up to date")
        return 1 if problems else 0
    unfixable = [p for p in problems if ": no " in p and " table" in p]
    print("\n".join(unfixable + [f"wrote {name}" for name in files]) or "OK: nothing to change")
    return 1 if unfixable else 0


if __name__ == "__main__":
    sys.exit(main())
