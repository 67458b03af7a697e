"""Every notebook, run in a real JupyterLab in a real Chromium, the way a learner runs it.

For each notebooks/*.ipynb: open it, wait for its kernel, click Run → Run All Cells,
wait until every cell has replied, then check in the notebook model and the page that
every code cell ran, no cell failed except those tagged raises-exception, every widget
rendered and every Mermaid diagram rendered. Then it plays with the notebook's widget as a
learner would after Run All (whose last cell stopped every server): types a new message
with non-ASCII text, presses the main button and waits for a successful result for that
message (see PLAYS); then re-runs the cell that starts its server (where there is one),
runs all again and plays again. A screenshot
of each notebook goes to test-artifacts/browser/. Nothing is saved: the server refuses
every save, and the test checks the file's bytes afterwards.

    python -m pytest tests/test_browser.py                       # the suite's notebooks
    STREAMS_LAB_NOTEBOOKS=/some/dir python -m pytest tests/test_browser.py

Needs Chromium (`apt-get install -y chromium`, or CHROMIUM=/path/to/chrome) and the
playwright package; it skips without them unless STREAMS_LAB_REQUIRE_BROWSER=1 (CI),
which turns the skip into a failure. STREAMS_LAB_BROWSER_TIMEOUT (seconds, default 60)
bounds one notebook's Run All.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_support import (
    CHROMIUM_ARGS,
    JupyterLab,
    find_chromium,
    missing_browser_reason,
    page_scripts,
)
from tests.support import ROOT

REPO = ROOT
NOTEBOOKS = Path(os.environ.get("STREAMS_LAB_NOTEBOOKS") or REPO / "notebooks").resolve()
ARTIFACTS = REPO / "test-artifacts" / "browser"
RUN_TIMEOUT = float(os.environ.get("STREAMS_LAB_BROWSER_TIMEOUT", "60"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MERMAID_FENCE = re.compile(r"^ {0,3}(```|~~~)\s*mermaid\b", re.MULTILINE)
VIEWPORT = {"width": 1280, "height": 900}

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

MESSAGE = "你好 from the browser"  # a new message, with text that is not ASCII


@dataclass(frozen=True)
class Play:
    """How a learner plays with a notebook's widget, and what success looks like."""

    cell: str  # the id of the cell whose output is the widget: "play-widget" in every notebook
    button: str  # the label of the widget's main button
    expect: str  # a regex the widget's text must match after the click; {message}: what was typed
    typed: str | None = MESSAGE  # typed into the widget's first text box before the click
    typed_again: str | None = "again: " + MESSAGE  # typed when playing again (a new message)
    choose: str | None = None  # picked in the widget's first dropdown before the click
    other: str | None = None  # a choice with another result: picked first when playing again
    rerun: str | None = None  # a cell that starts the widget's server again (a new address)

    def pattern(self, typed: str | None) -> str:
        return self.expect.replace("{message}", re.escape(typed or ""))


# Keyed by notebook file name; a notebook without a widget has no entry.
PLAYS = {
    "01-echo-client.ipynb": Play("play-widget", "Send", "← '{message}'", rerun="set-up"),
    "03-reading-and-framing.ipynb": Play(
        "play-widget", "Run",  # the reader shows bytes: 你好 is \xe4\xbd\xa0\xe5\xa5\xbd in UTF-8
        re.escape("returned b'") + "(again: )?"
        + re.escape(r"\xe4\xbd\xa0\xe5\xa5\xbd from the browser'"),
        choose="read"),
    "04-writing-and-flow-control.ipynb": Play(
        "play-widget", "Run",
        r"with drain\(\): peak \d+ KiB in the write buffer, 512 of 512 KiB received",
        typed=None),
    "05-unix-sockets.ipynb": Play(
        "play-widget", "Connect", "the echo server's socket: connected", typed=None,
        choose="the echo server's socket", other="a stale socket file", rerun="start-server"),
    "06-socketpair.ipynb": Play("play-widget", "Send", "'{message}' arrived, sent via a thread"),
    "07-http-headers.ipynb": Play(
        "play-widget", "Fetch",
        r"^HTTP/1\.0 200 OK\n(.*\n)*X-Request-Target: /path/page\.html\?greeting="
        r"%E4%BD%A0%E5%A5%BD(&again=1)?$",
        typed="/path/page.html?greeting=你好", typed_again="/path/page.html?greeting=你好&again=1",
        rerun="set-up"),
    "08-timeouts-and-cancellation.ipynb": Play(
        "play-widget", "Ask",
        r"^#\d+ ✓ 'slept 0\.1 s' within the deadline \(0\.5 s\), connection closed$", typed=None),
    "09-tls-server.ipynb": Play(
        "play-widget", "Connect",
        r"^#\d+ ✓ client: got its echo 'hello' \| server: handshake done, TLSv1\.3$",
        typed=None, choose="a client that trusts our CA", other="plain text, no TLS"),
    "10-performance.ipynb": Play(
        "play-widget", "Measure",
        r"^#\d+ ✓ read\(65536\): 1 MiB echoed at [\d,]+ MB/s, \d+× the seed's read\(100\)"
        r" \([\d,]+ MB/s just now\)$",
        typed=None, choose="64 KiB", other="1 KiB"),
    "13-chat-server.ipynb": Play("play-widget", "Send", "^alice: {message}$", rerun="play-widget"),
}
# After the first play: re-run the cell that starts the server (Play.rerun, where there is
# one) and play with the same widget, then Run All a second time and play again.

# The JavaScript the test runs in the page: one function per section of browser_lab.js.
JS = page_scripts(Path(__file__).with_name("browser_lab.js"))


@pytest.fixture(scope="class")
def lab_page(request):
    """One JupyterLab and one Chromium page for each half of the notebooks, always stopped."""
    reason = missing_browser_reason()
    if reason:
        if os.environ.get("STREAMS_LAB_REQUIRE_BROWSER"):
            pytest.fail(reason + " (STREAMS_LAB_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    with tempfile.TemporaryDirectory(prefix="streams-lab-browser-") as home:
        half = request.cls.__name__ if request.cls else "all"  # each half its own logs
        lab = JupyterLab(NOTEBOOKS, Path(home), ARTIFACTS / f"jupyterlab-{half}.log")
        try:
            lab.start()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport=VIEWPORT)
                    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
                    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
                    open_lab(page, lab)
                    yield page, lab
                finally:
                    browser.close()
        finally:
            lab.stop()
            (ARTIFACTS / f"console-{half}.log").write_text("\n".join(console) + "\n")


def open_lab(page, lab: JupyterLab) -> None:
    page.goto(lab.lab_url())
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # room for the notebook


def test_notebooks_found():
    """A wrong STREAMS_LAB_NOTEBOOKS must not pass by testing nothing."""
    assert NAMES, f"no notebooks in {NOTEBOOKS}"


# Two halves, each its own class: pytest-xdist's --dist loadscope (README's test command)
# keeps a class on one worker, so the halves run at the same time, each with its own
# JupyterLab and Chromium. One notebook in the browser takes 5 to 20 s.
class TestEvenNotebooks:
    @pytest.mark.parametrize("name", NAMES[0::2])
    def test_run_all_in_browser(self, lab_page, name):
        run_all_in_browser(lab_page, name)


class TestOddNotebooks:
    @pytest.mark.parametrize("name", NAMES[1::2])
    def test_run_all_in_browser(self, lab_page, name):
        run_all_in_browser(lab_page, name)


def run_all_in_browser(lab_page, name: str) -> None:
    page, lab = lab_page
    if not page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.started)"):
        open_lab(page, lab)  # an earlier notebook broke the page
    path = NOTEBOOKS / name
    before = path.read_bytes()
    clock = Stopwatch()
    finished = False
    try:
        page.evaluate(JS["OPEN"], name)
        clock.lap("open")
        wait_for_kernel(page, name)
        clock.lap("kernel")
        runnable = page.evaluate(JS["WATCH_KERNEL"])
        if runnable:
            run_all_from_menu(page)
            wait_until_finished(page, runnable, name)
        clock.lap("run all")
        cells = page.evaluate(JS["CELLS"])
        problems = check_cells(cells)
        problems += check_widgets(page, cells)
        problems += check_mermaid(page, cells)
        clock.lap("checks")
        if name in PLAYS and not problems:
            problems += play(page, PLAYS[name], "after Run All")
            clock.lap("play")
            spec = PLAYS[name]
            if spec.rerun and not problems:
                ran_before = execution_count(page.evaluate(JS["CELLS"]), spec.rerun)
                page.evaluate(JS["WATCH_KERNEL"])  # count anew, before the run
                page.evaluate(JS["RUN_CELL"], spec.rerun)
                wait_until_finished(page, 1, name)
                cells = page.evaluate(JS["CELLS"])
                problems += check_cells(cells)
                assert execution_count(cells, spec.rerun) > ran_before, "the cell did not run"
                problems += play(page, spec, "after re-running the cell that starts the server",
                                 again=True)
                clock.lap("re-run a cell and play again")
            if not problems:
                runnable = page.evaluate(JS["WATCH_KERNEL"])  # count anew, before the click
                run_all_from_menu(page)
                wait_until_finished(page, runnable, name)
                problems += check_cells(page.evaluate(JS["CELLS"]))
                problems += play(page, PLAYS[name], "after Run All twice", again=True)
                clock.lap("run all and play again")
        finished = True
    finally:
        if not finished:
            clock.lap("until it failed")
        screenshot(page, name)
        clock.lap("screenshot")
        close_error = close_notebook(page)
        clock.lap("close")
        print(f"{name}: {clock}")
    assert close_error is None, f"{name}: closing the notebook failed: {close_error}"
    assert path.read_bytes() == before, (
        f"{name} changed on disk during the browser test (the server refuses saves: "
        "did something else write it?)"
    )
    assert not problems, f"{name} in JupyterLab:\n  " + "\n  ".join(problems)


def close_notebook(page) -> str | None:
    """Shut the kernel down and close without saving; an error is returned, never raised
    (raising here would hide the failure that brought us here)."""
    try:
        page.evaluate(JS["CLOSE"])
    except Exception as e:
        return str(e)[:300]
    return None


def run_all_from_menu(page) -> None:
    """Run → Run All Cells, clicked like a learner clicks it."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    page.locator("#jp-mainmenu-run .lm-Menu-item:not(.lm-mod-disabled)").filter(has=label).click()


def wait_for_kernel(page, name: str, timeout: float = 60) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(JS["KERNEL_IDLE"], timeout=timeout * 1000, polling=200)
        return
    except PlaywrightTimeout:
        pass
    dialog = page.locator(".jp-Dialog")
    shown = dialog.first.inner_text()[:300] if dialog.count() else "no dialog"
    pytest.fail(f"{name}: no idle kernel after {timeout:.0f} s ({shown!r})")


def wait_until_finished(page, runnable: int, name: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(JS["FINISHED"], arg=runnable, timeout=RUN_TIMEOUT * 1000,
                               polling=200)
        finished = True
    except PlaywrightTimeout:
        finished = False
    if not finished:
        progress = page.evaluate(JS["PROGRESS"])
        pytest.fail(
            f"{name}: Run All did not finish in {RUN_TIMEOUT:.0f} s: cells still running "
            f"(index from 0): {progress['running']}; {progress['sent']} cells sent, "
            f"{progress['replied']} replied; kernel {progress['kernel']}"
        )


class Stopwatch:
    """Where a notebook's seconds went, printed with the test's output."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.laps: list[str] = []

    def lap(self, what: str) -> None:
        now = time.monotonic()
        self.laps.append(f"{what} {now - self.last:.1f} s")
        self.last = now

    def __str__(self) -> str:
        return ", ".join(self.laps)


def execution_count(cells: list[dict], cell_id: str) -> int:
    return next(c.get("execution_count") or 0 for c in cells if c.get("id") == cell_id)


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def check_cells(cells: list[dict]) -> list[str]:
    """Every code cell ran; only raises-exception cells show an error."""
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not source(cell).strip():
            continue
        first_line = source(cell).strip().splitlines()[0][:60]
        if cell.get("execution_count") is None:
            problems.append(f"cell {i} did not run (no execution count): {first_line!r}")
        if "raises-exception" in tags(cell):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(
                    f"cell {i} failed: {out.get('ename')}: {out.get('evalue', '')[:200]}"
                    f" (in {first_line!r})"
                )
    return problems


def check_widgets(page, cells: list[dict], timeout: float = 15) -> list[str]:
    """Each widget output is a rendered widget in the page, not a fallback or an error."""
    where = [
        [i, j]
        for i, cell in enumerate(cells)
        for j, out in enumerate(cell.get("outputs", []))
        if WIDGET_MIME in out.get("data", {})
    ]
    if not where:
        return []
    deadline = time.monotonic() + timeout
    while True:  # widget views render asynchronously
        views = page.evaluate(JS["WIDGET_VIEWS"], where)
        if all(v["rendered"] for v in views) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    return [
        f"cell {i} output {j}: widget not rendered, the page shows {v['text']!r}"
        for (i, j), v in zip(where, views, strict=True)
        if not v["rendered"]
    ]


def play(page, spec: Play, when: str, again: bool = False, timeout: float = 20) -> list[str]:
    """Type, choose, press the main button, and wait for the widget to show a success."""
    typed = spec.typed_again if again and spec.typed else spec.typed
    if not page.evaluate(JS["MARK_WIDGET"], spec.cell):
        return [f"{when}: no cell {spec.cell} with an output to play with"]
    widget = page.locator("[data-streams-lab-play] .jupyter-widgets").first
    if again and spec.other:  # the same click would show the same text: show another first
        problems = press(page, widget, spec, when, None, spec.other, ".", timeout)
        if problems:
            return problems
    return press(page, widget, spec, when, typed, spec.choose, spec.pattern(typed), timeout)


def press(page, widget, spec: Play, when: str, typed: str | None, choose: str | None,
          expect: str, timeout: float) -> list[str]:
    """Fill in, click, and wait until the widget's text changes and matches ``expect``."""
    if typed is not None:
        widget.locator("input[type=text]").first.fill(typed)
    if choose is not None:
        widget.locator("select").first.select_option(choose)
    page.wait_for_timeout(200)  # let the new values reach the kernel before the click
    before = page.evaluate(JS["WIDGET_TEXT"])  # what the saved run left there may match already
    # The suite's widgets mark their main button (helpers.widgets.base.mark); the ones a
    # notebook builds in its own cells are found by the button's label.
    button = widget.locator("button.streams-lab-go")
    if not button.count():
        button = widget.locator("button", has_text=re.compile(f"^{re.escape(spec.button)}$"))
    elif button.first.inner_text().strip() != spec.button:
        return [f"{when}: the widget's main button says {button.first.inner_text()!r},"
                f" not {spec.button!r}"]
    button.first.click()
    deadline = time.monotonic() + timeout
    while True:
        shown = page.evaluate(JS["WIDGET_TEXT"])
        if shown != before and re.search(expect, shown, re.MULTILINE):
            return []
        if time.monotonic() > deadline:
            return [f"{when}: pressed {spec.button!r}"
                    + (f" with {typed!r}" if typed else "")
                    + (f" on {choose!r}" if choose else "")
                    + f"; after {timeout:.0f} s the widget shows {shown[-600:]!r},"
                    f" expected a change and a match for {expect!r}"]
        time.sleep(0.25)


def check_mermaid(page, cells: list[dict], timeout: float = 15) -> list[str]:
    """Each ```mermaid block in a Markdown cell is drawn, none is an error box."""
    expected = sum(
        len(MERMAID_FENCE.findall(source(cell)))
        for cell in cells
        if cell["cell_type"] == "markdown"
    )
    deadline = time.monotonic() + timeout
    while True:  # Mermaid loads lazily and draws asynchronously
        seen = page.evaluate(JS["MERMAID"])
        if seen["drawn"] + len(seen["errors"]) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    problems = [f"Mermaid error: {text!r}" for text in seen["errors"]]
    if seen["drawn"] != expected:
        problems.append(f"{seen['drawn']} Mermaid diagrams drawn, {expected} in the notebook")
    return problems


def screenshot(page, name: str) -> None:
    """The whole notebook: grow the window to the notebook's height, then shoot."""
    try:
        if page.evaluate("!!window.__streamsLab"):
            height = page.evaluate(JS["NOTEBOOK_HEIGHT"])
            page.set_viewport_size({"width": VIEWPORT["width"],
                                    "height": max(VIEWPORT["height"], min(height + 150, 16_000))})
            page.wait_for_timeout(300)  # let JupyterLab lay out the taller window
            page.evaluate(JS["NOTEBOOK_HEIGHT"])
        page.screenshot(path=ARTIFACTS / f"{Path(name).stem}.png")
    except Exception as e:  # a screenshot must never hide the real failure
        (ARTIFACTS / f"{Path(name).stem}.screenshot-error.txt").write_text(str(e) + "\n")
    finally:
        with contextlib.suppress(Exception):
            page.set_viewport_size(VIEWPORT)
