"""Build the course as a static web site, offline, from the notebooks' saved outputs.

    python -m tools.site                  # build/site/ (open build/site/index.html over HTTP)
    python -m tools.site --out DIR        # somewhere else
    python -m http.server -d build/site   # read it: http://127.0.0.1:8000/

Nothing is executed: every page shows the outputs saved in its notebook. The tools are
Sphinx, MyST-NB, sphinx-book-theme and sphinxcontrib-mermaid (requirements-test.txt), and
Mermaid's ES-module build from the npm package ``mermaid`` (tools/site/package.json, pinned by
its package-lock.json; ``npm ci`` runs here when node_modules is missing). Every script,
style sheet, font and picture a page asks for is in the site: no CDN, at build time or when a
page is read. Module scripts do not load from ``file://``: read the site over HTTP.

The notebooks are not changed. Each one is copied into a staging folder first, where:
- a widget's output (no state is saved) becomes a box that says it runs in JupyterLab, with a
  link that opens the notebook on Binder;
- a link to a heading in JupyterLab's form (``#The-injection-bug``) gets the site's form
  (``#the-injection-bug``), and a link to a file of the repository that is not a page goes to
  that file on GitHub;
- a line under the navigation cell opens the notebook in JupyterLab on Binder.
The order of the pages, their titles and their promises come from
``tools.navigation.read_notebooks``, as the navigation lines and README's table do.
"""

from __future__ import annotations

import argparse
import copy
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import nbformat
from nbformat.v4 import new_markdown_cell, new_output

from tools.navigation import Notebook, is_navigation, read_notebooks

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# The repository on GitHub, in ONE place: Binder's links, the theme's repository button and
# the links to files that are not pages all come from it. OWNER/streams-lab is README's
# placeholder; the Pages workflow sets STREAMS_LAB_REPOSITORY to the real owner/name.
REPOSITORY = os.environ.get("STREAMS_LAB_REPOSITORY") or "OWNER/streams-lab"
BRANCH = "main"

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TROUBLESHOOTING = "troubleshooting.md"  # notebooks/troubleshooting.md, a page if present
MERMAID = HERE / "node_modules" / "mermaid" / "dist"
MERMAID_MODULE = "mermaid.esm.min.mjs"  # the ES-module build (the UMD build does not work)
LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def binder_url(repository: str, notebook: str) -> str:
    """Open notebooks/<notebook> in JupyterLab on mybinder.org (as README's badge does)."""
    return (f"https://mybinder.org/v2/gh/{repository}/HEAD"
            f"?urlpath=lab/tree/notebooks/{quote(notebook)}")


def heading_anchor(anchor: str) -> str:
    """JupyterLab's anchor for a heading (its text, spaces as '-', maybe percent-encoded) in
    MyST's form (GitHub's: lower case, punctuation dropped). Spaces and '-' are alike to the
    slug, so the slug of JupyterLab's anchor is the slug of the heading."""
    from myst_parser.slugs import github_slugify

    return github_slugify(unquote(anchor))


def rewrite_links(markdown: str, pages: set[str], repository: str, here: str = "notebooks"
                  ) -> str:
    """Links for the site: pages stay (MyST turns ``NN-x.ipynb`` into its page), anchors take
    MyST's form, and a link to any other file of the repository goes to it on GitHub."""

    def one(match: re.Match) -> str:
        target = match[2]
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...
            return match[0]
        path, hash_, anchor = target.partition("#")
        if hash_:
            anchor = heading_anchor(anchor)
        if not path or path in pages:
            new = path + (f"#{anchor}" if hash_ else "")
        else:
            where = os.path.normpath(os.path.join(here, path))
            if where.startswith(".."):
                return match[0]
            new = f"https://github.com/{repository}/blob/{BRANCH}/{where}" + (
                f"#{anchor}" if hash_ else "")
        return f"{match[1]}{new}{match[3]}"

    return LINK.sub(one, markdown)


def widget_box(notebook: str, repository: str) -> str:
    """What a page shows where a notebook has a widget (no widget state is saved)."""
    return (
        '<div class="streams-lab-widget" role="note">'
        "<p><strong>A widget lives here.</strong> It talks to servers in the notebook's "
        "kernel, so it runs in JupyterLab, not on this page: "
        f'<a href="{html.escape(binder_url(repository, notebook))}">open this notebook on '
        "Binder</a>, or in JupyterLab on your own machine (README's first command), "
        "and play with it there.</p></div>"
    )


def binder_line(notebook: str, repository: str) -> str:
    return (
        '<p class="streams-lab-binder">'
        f'<a href="{html.escape(binder_url(repository, notebook))}">'
        "▶ Open this notebook in JupyterLab on Binder</a> "
        "to run every cell and play with its widgets (it can take a minute to start).</p>"
    )


def stage_notebook(n: Notebook, pages: set[str], repository: str) -> nbformat.NotebookNode:
    """A copy of the notebook as the site shows it (see the module's docstring)."""
    nb = copy.deepcopy(n.nb)
    nb.metadata.pop("widgets", None)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    # the Binder line goes under the navigation cell (or the title, before navigation is run)
    after = next((c for c in markdown if is_navigation(c)), markdown[0] if markdown else None)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, pages, repository)
        elif cell.cell_type == "code":
            cell.outputs = [
                new_output("display_data",
                           data={"text/html": widget_box(n.path.name, repository)})
                if WIDGET_MIME in output.get("data", {}) else output
                for output in cell.get("outputs", [])
            ]
        cells.append(cell)
        if cell is after:
            cells.append(new_markdown_cell(binder_line(n.path.name, repository),
                                           id="site-binder"))
    nb.cells = cells
    return nb


def index_page(notebooks: list[Notebook], extra: list[str], repository: str) -> str:
    """The site's first page: the course in order, with each notebook's promise."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = "\n".join(f"| {n.number} | [{cell(n.title)}]({n.path.name}) | {cell(n.promise)} |"
                     for n in notebooks)
    toc = "\n".join([n.path.stem for n in notebooks] + extra)
    return f"""# Streams Lab

Learn Python's asyncio Streams API (`open_connection`, `start_server`, `StreamReader`,
`StreamWriter`, Unix sockets, TLS) by running it. This site shows every notebook with the
outputs it gave when it was last run. To run the cells yourself, open a notebook in
JupyterLab: on [Binder](https://mybinder.org/v2/gh/{repository}/HEAD?urlpath=lab/tree/notebooks/00-start-here.ipynb)
(nothing to install), or on your own machine
([README](https://github.com/{repository}#start)).

| # | notebook | what you'll do |
|---|---|---|
{rows}

```{{toctree}}
:hidden:
:maxdepth: 1

{toc}
```
"""


def ensure_mermaid() -> Path:
    """Mermaid's dist folder, installed with ``npm ci`` (package-lock.json) if missing."""
    if not (MERMAID / MERMAID_MODULE).is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("python -m tools.site: Mermaid is not installed and there is no "
                             "npm to install it (Debian: apt-get install -y npm)")
        print(f"npm ci in {HERE.relative_to(ROOT)} (Mermaid, pinned by package-lock.json)",
              flush=True)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=HERE)
        if done.returncode or not (MERMAID / MERMAID_MODULE).is_file():
            raise SystemExit(f"python -m tools.site: npm ci failed in {HERE}")
    return MERMAID


def stage(root: Path, src: Path, static: Path, repository: str) -> list[str]:
    """Write the site's sources into ``src`` and Mermaid into ``static``; return page names."""
    notebooks = read_notebooks(root)
    pages = {n.path.name for n in notebooks}
    extra = []
    troubleshooting = root / "notebooks" / TROUBLESHOOTING
    if troubleshooting.is_file():
        pages.add(TROUBLESHOOTING)
        extra.append(troubleshooting.stem)
        (src / TROUBLESHOOTING).write_text(
            rewrite_links(troubleshooting.read_text(encoding="utf-8"), pages, repository),
            encoding="utf-8")
    for n in notebooks:
        nbformat.write(stage_notebook(n, pages, repository), src / n.path.name)
    (src / "index.md").write_text(index_page(notebooks, extra, repository), encoding="utf-8")
    dist = ensure_mermaid()
    target = static / "mermaid"
    (target / "chunks" / "mermaid.esm.min").mkdir(parents=True)
    shutil.copy2(dist / MERMAID_MODULE, target / MERMAID_MODULE)
    for chunk in (dist / "chunks" / "mermaid.esm.min").glob("*.mjs"):  # no source maps
        shutil.copy2(chunk, target / "chunks" / "mermaid.esm.min" / chunk.name)
    return ["index"] + [n.path.stem for n in notebooks] + extra


class _Fetches(HTMLParser):
    """What a page makes the browser fetch by itself (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get(
                "src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href") and not {"canonical", "alternate"} & set(
                (a.get("rel") or "").split()):
            self.urls.append(a["href"])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])


def outside_fetches(out: Path) -> list[str]:
    """Every 'page: URL' of the site that a browser would fetch from outside the site."""
    found = []
    for page in sorted(out.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        parser = _Fetches()
        parser.feed(text)
        # and a module script's imports: import mermaid from "https://..."
        urls = parser.urls + re.findall(r"""\bimport\b[^;'"]*?\(?\s*["']([^"']+)["']""", text)
        found += [f"{page.relative_to(out)}: {url}" for url in urls
                  if re.match(r"([a-z][a-z0-9+.-]*:)?//", url, re.I)]
    return found


def build(root: Path, out: Path) -> list[str]:
    """Build the site into ``out`` (replaced); return its pages' names, in course order."""
    from sphinx.application import Sphinx

    with tempfile.TemporaryDirectory(prefix="streams-lab-site-") as tmp:
        src, static, doctrees = Path(tmp, "src"), Path(tmp, "static"), Path(tmp, "doctrees")
        src.mkdir()
        pages = stage(root, src, static, REPOSITORY)  # conf.py reads REPOSITORY too
        if out.exists():
            shutil.rmtree(out)
        app = Sphinx(
            srcdir=src, confdir=HERE, outdir=out, doctreedir=doctrees, buildername="html",
            confoverrides={"html_static_path": [str(HERE / "_static"), str(static)]},
            status=None, warning=sys.stderr, freshenv=True, warningiserror=True,
            keep_going=True,
        )
        app.build()
        if app.statuscode:
            raise SystemExit(f"python -m tools.site: the build failed ({app.statuscode})")
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ as it is
    outside = outside_fetches(out)
    if outside:  # MathJax on a page with a formula would do this, for one
        raise SystemExit("python -m tools.site: pages ask for things outside the site:\n  "
                         + "\n  ".join(outside))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site",
                        help="where the site goes (replaced; default: build/site)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the repository (default: the one this tool is in)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        pages = build(args.root.resolve(), args.out.resolve())
    except ValueError as error:  # a notebook without its title cell (tools.navigation)
        print(f"python -m tools.site: {error}", file=sys.stderr)
        return 1
    print(f"built {len(pages)} pages into {args.out} in {time.monotonic() - started:.0f} s: "
          f"open {args.out / 'index.html'} over HTTP (python -m http.server -d {args.out})")
    return 0
