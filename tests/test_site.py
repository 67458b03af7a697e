"""The course's static site (python -m tools.site), read in a real Chromium with no network.

The site is built once (into a temporary folder, or STREAMS_LAB_SITE=DIR names a site
already built there), served by a local http.server on 127.0.0.1 (module scripts do not load
from file://), and every page is opened in one Chromium page in turn, with every request
that is not to that server aborted and recorded. Each notebook must have its page (title,
"What you'll do" first, a Binder link, its place in the navigation), each Mermaid diagram of
its source must be drawn as an SVG, each picture must load, a widget's place must say where
it runs, no page may log a console error, and no page may ask for anything outside the site.
Sphinx's search must find a word, offline.

Needs Chromium and playwright, as tests/test_browser.py does (tests/browser_support.py): it
skips without them unless STREAMS_LAB_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM_ARGS, find_chromium, missing_browser_reason
from tools.navigation import read_notebooks
from tools.site import REPOSITORY, TROUBLESHOOTING, WIDGET_MIME, binder_url

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = read_notebooks(REPO)
MERMAID_FENCE = re.compile(r"^ {0,3}(```|~~~)\s*mermaid\b", re.MULTILINE)
PAGES = (["index"] + [n.path.stem for n in NOTEBOOKS]
         + ([Path(TROUBLESHOOTING).stem] if (REPO / "notebooks" / TROUBLESHOOTING).is_file()
            else [])
         + ["search", "genindex"])
DRAWN_TIMEOUT_MS = 30_000


def mermaid_blocks(stem: str) -> int:
    """How many ```mermaid blocks the page's source has."""
    for n in NOTEBOOKS:
        if n.path.stem == stem:
            return sum(len(MERMAID_FENCE.findall(c.source))
                       for c in n.nb.cells if c.cell_type == "markdown")
    if stem == Path(TROUBLESHOOTING).stem:
        return len(MERMAID_FENCE.findall((REPO / "notebooks" / TROUBLESHOOTING).read_text()))
    return 0


def widget_outputs(stem: str) -> int:
    return sum(WIDGET_MIME in output.get("data", {})
               for n in NOTEBOOKS if n.path.stem == stem
               for c in n.nb.cells if c.cell_type == "code" for output in c.outputs)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request on stderr
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A page left before it finished loading: Chromium hangs up (BrokenPipeError).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_dir():
    """The built site: STREAMS_LAB_SITE if set, else built now into a temporary folder."""
    if os.environ.get("STREAMS_LAB_SITE"):
        yield Path(os.environ["STREAMS_LAB_SITE"]).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="streams-lab-site-test-") as tmp:
        out = Path(tmp, "site")
        done = subprocess.run([sys.executable, "-m", "tools.site", "--out", str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"python -m tools.site failed:\n{done.stdout}{done.stderr}"
        yield out


@pytest.fixture(scope="session")
def served(site_dir):
    """The site on http://127.0.0.1:PORT/, port 0, in a thread; always shut down."""
    handler = functools.partial(_Quiet, directory=str(site_dir))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Reader:
    """One Chromium page; what it logged and what it was refused, since the last `open`."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.route("**/*", self._route)

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, path: str) -> None:
        self.errors.clear()
        self.outside.clear()
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: {response and response.status}"


# Module scope: a running sync Playwright keeps an event loop set in this thread, and
# every later asyncio.run() in the same worker would fail ("cannot be called from a
# running event loop"). Stopped at this module's end, it leaves the other tests alone.
@pytest.fixture(scope="module")
def reader(served):
    reason = missing_browser_reason()
    if reason:
        if os.environ.get("STREAMS_LAB_REQUIRE_BROWSER"):
            pytest.fail(reason + " (STREAMS_LAB_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            yield Reader(context.new_page(), served)
        finally:
            browser.close()


def test_every_notebook_has_its_page(site_dir):
    assert NOTEBOOKS, "no notebooks found"
    assert (site_dir / "index.html").is_file()
    missing = [n.path.name for n in NOTEBOOKS if not (site_dir / f"{n.path.stem}.html").is_file()]
    assert not missing, f"no page for {missing}"


DRAWN = """(n) => {
  const boxes = [...document.querySelectorAll('pre.mermaid, div.mermaid')];
  return boxes.length === n && boxes.every((b) => b.getAttribute('data-processed') === 'true'
                                                  && b.querySelector('svg'));
}"""

DIAGRAMS = """() => [...document.querySelectorAll('pre.mermaid, div.mermaid')].map((b) => {
  const svg = b.querySelector('svg');
  return svg ? (svg.getAttribute('aria-roledescription') || 'svg') + ':'
               + svg.getBoundingClientRect().width : 'not drawn';
})"""


@pytest.mark.parametrize("stem", PAGES)
def test_page_reads_offline(reader, stem):
    """Every diagram drawn, every picture loaded, no console error, nothing from outside;
    a notebook's page has its shape too (see check_notebook_page)."""
    reader.open(f"{stem}.html")
    page = reader.page
    expected = mermaid_blocks(stem)
    if expected:
        with contextlib.suppress(Exception):  # the asserts below say what went wrong
            page.wait_for_function(DRAWN, arg=expected, timeout=DRAWN_TIMEOUT_MS)
    diagrams = page.evaluate(DIAGRAMS)
    assert len(diagrams) == expected, f"{expected} ```mermaid blocks, {len(diagrams)} on the page"
    bad = [d for d in diagrams if d == "not drawn" or d.startswith("error")
           or float(d.rpartition(":")[2]) <= 0]
    assert not bad, f"diagrams not drawn (or drawn as an error): {diagrams}"
    broken = page.evaluate("""() => [...document.images]
        .filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src)""")
    assert not broken, f"pictures that did not load: {broken}"
    if stem not in ("search", "genindex"):
        sidebar = page.locator("nav.bd-docs-nav a.reference.internal").evaluate_all(
            "(links) => links.map((a) => new URL(a.href).pathname.slice(1))")
        assert [h for h in sidebar if re.match(r"\d\d-", h)] == [
            f"{n.path.stem}.html" for n in NOTEBOOKS], "the navigation is not in course order"
    notebook = next((n for n in NOTEBOOKS if n.path.stem == stem), None)
    if notebook:
        check_notebook_page(reader, notebook)
    assert not reader.outside, f"asked for things outside the site: {reader.outside}"
    assert not reader.errors, f"console errors: {reader.errors}"


def check_notebook_page(reader, n) -> None:
    """Title, Binder link, "What you'll do" first, links to pages, widget boxes."""
    article = reader.page.locator("article.bd-article")
    assert heading(article.locator("h1")) == f"{n.number} · {n.title}".replace("`", "")
    assert heading(article.locator("h2")) == "What you'll do"
    binder = article.locator(".streams-lab-binder a")
    assert binder.get_attribute("href") == binder_url(REPOSITORY, n.path.name)
    # the navigation cells' links lead to pages, not to .ipynb files
    hrefs = article.locator("a").evaluate_all("(links) => links.map((a) => a.href)")
    assert not [h for h in hrefs if h.startswith(reader.base) and ".ipynb" in h
                and "/_sources/" not in h]
    boxes = article.locator(".streams-lab-widget")
    assert boxes.count() == widget_outputs(n.path.stem)
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert "runs in JupyterLab" in box.inner_text()
        assert box.locator("a").get_attribute("href") == binder_url(REPOSITORY, n.path.name)
    assert "VBox(children" not in article.inner_text()


def heading(locator) -> str:
    """The first such heading's text, as written in the notebook (Sphinx curls quotes)."""
    return locator.first.inner_text().strip().rstrip("#").replace("\u2019", "'")


def test_search_works_offline(reader):
    reader.open("search.html?q=open_connection")
    page = reader.page
    page.wait_for_selector("#search-results ul.search li", timeout=DRAWN_TIMEOUT_MS)
    found = page.locator("#search-results ul.search li a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))")
    assert any(h.startswith("01-echo-client.html") for h in found), found
    assert not reader.outside, reader.outside
    assert not reader.errors, reader.errors
