"""Clean saved notebooks of what a re-run changes but a learner never needs to see.

    python -m tools.clean                 # clean every notebook under notebooks/
    python -m tools.clean FILE.ipynb ...  # clean these (a pre-commit hook passes them)
    python -m tools.clean --check         # change nothing; exit 1 and say what is unclean

It removes, as nbdev's ``clean`` does:
- per-cell timing metadata (``metadata.execution``, what nbconvert records without
  ``--ExecutePreprocessor.record_timing=False``);
- saved widget state (the notebook's ``metadata.widgets``, and any widget-state output);
- JupyterLab's view flags on cells (``collapsed``, ``scrolled``), which record how
  a cell was last displayed, not what it is.
Outputs and execution counts are left as they are: they are the record of a real run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
VIEW_FLAGS = ("collapsed", "scrolled", "execution")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def clean(nb: nbformat.NotebookNode) -> list[str]:
    """Clean ``nb`` in place; return what was removed, one line per kind."""
    removed = []
    if nb.metadata.pop("widgets", None) is not None:
        removed.append("widget state")
    for i, cell in enumerate(nb.cells, 1):
        flags = [key for key in VIEW_FLAGS if cell.metadata.pop(key, None) is not None]
        if flags:
            removed.append(f"cell {i}: {', '.join(flags)} metadata")
        for out in cell.get("outputs", []):
            if out.get("data", {}).pop(WIDGET_STATE, None) is not None:
                removed.append(f"cell {i}: widget state in an output")
    return removed


def notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks among ``paths``, a folder standing for the ones in it."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.glob("*.ipynb"))
        elif path.suffix == ".ipynb":
            found.append(path)  # a pre-commit hook passes other files too: skip them
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.clean",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks or folders of them (default: notebooks/)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if unclean")
    args = parser.parse_args(argv)
    unclean = 0
    for path in notebooks(args.paths or [ROOT / "notebooks"]):
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        removed = clean(nb)
        if not removed:
            continue
        unclean += 1
        print(f"{path}: {'unclean' if args.check else 'cleaned'}: {'; '.join(removed)}")
        if not args.check:
            path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    if args.check and unclean:
        print(f"{unclean} notebook(s) to clean: run python -m tools.clean")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
