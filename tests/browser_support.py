"""Plumbing for tests/test_browser.py: a private JupyterLab server and a Chromium.

Nothing here reaches the internet: JupyterLab gets its own config, data, runtime,
settings and workspace folders (news, update checks and autosave off), listens on
127.0.0.1 on a free port, and Chromium runs with its background networking off.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
]

HOW_TO_GET_A_BROWSER = (
    "the browser test needs Chromium and the playwright package: "
    "`apt-get install -y chromium` (Debian; or set CHROMIUM=/path/to/chromium-or-chrome) "
    "and `pip install -r requirements-test.txt`; never `playwright install`"
)

# User settings: what a learner's JupyterLab would ask or fetch is switched off, and
# every cell stays in the DOM (the default windowing drops off-screen cells).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}

# Server config: no announcements, no update check, no PyPI, no language-server search; the contents
# manager refuses every save, so the test can never modify a notebook on disk.
# A str.format template: no other braces.
SERVER_CONFIG = """\
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
c.LanguageServerManager.autodetect = False  # it would spawn `npm prefix -g`


def _refuse_to_save(model, path, contents_manager, **kwargs):
    from tornado.web import HTTPError  # only an HTTPError stops the save

    raise HTTPError(403, "the browser test never saves: " + str(path))


c.ContentsManager.pre_save_hook = _refuse_to_save
# Opening a notebook makes a checkpoint: keep it out of the notebooks folder.
c.FileCheckpoints.checkpoint_dir = {checkpoints!r}
"""


def find_chromium() -> str | None:
    """$CHROMIUM if set, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    if os.environ.get("CHROMIUM"):
        path = os.environ["CHROMIUM"]
        return path if os.access(path, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_browser_reason() -> str | None:
    """Why the browser test cannot run here, or None if it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not importable; " + HOW_TO_GET_A_BROWSER
    if find_chromium() is None:
        where = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
        return f"no Chromium at {where}; " + HOW_TO_GET_A_BROWSER
    return None


class JupyterLab:
    """`jupyter lab` in its own process group, with private folders under `home`."""

    def __init__(self, root_dir: Path, home: Path, log_path: Path) -> None:
        self.root_dir = root_dir.resolve()
        self.home = home
        self.log_path = log_path
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.runtime_dir = home / "runtime"

    def start(self, timeout: float = 60) -> None:
        config_dir = self.home / "config"
        settings_dir = self.home / "lab-settings"
        for d in (config_dir, self.runtime_dir, self.home / "data", self.home / "workspaces",
                  self.home / "ipython"):
            d.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.py").write_text(
            SERVER_CONFIG.format(checkpoints=str(self.home / "checkpoints"))
        )
        for name, value in LAB_SETTINGS.items():
            path = settings_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            # kernelspecs and lab extensions come from sys.prefix/share/jupyter
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            IPYTHONDIR=str(self.home / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            "--port=0",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self.root_dir, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited ({self.proc.returncode}):\n{self.log()}")
            info = self._server_info()
            if info and self._responds(info["url"]):
                self.base_url = info["url"].rstrip("/")
                return
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not start in {timeout} s:\n{self.log()}")

    def _server_info(self) -> dict | None:
        for path in glob.glob(str(self.runtime_dir / "jpserver-*.json")):
            with contextlib.suppress(OSError, ValueError):
                info = json.loads(Path(path).read_text())
                if info.get("pid") == self.proc.pid:
                    return info
        return None

    def _responds(self, url: str) -> bool:
        try:
            self.api("GET", "api/status", base=url.rstrip("/"))
        except OSError:
            return False
        return True

    def api(self, method: str, path: str, base: str | None = None):
        request = urllib.request.Request(
            f"{base or self.base_url}/{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def lab_url(self) -> str:
        return f"{self.base_url}/lab?reset&token={self.token}"

    def log(self, tail: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-tail:]
        return ""

    def stop(self) -> None:
        """Shut kernels down, stop the server's process group, then any straggler kernel."""
        if self.proc is None:
            return
        if self.proc.poll() is None and self.base_url:
            with contextlib.suppress(Exception):
                for kernel in self.api("GET", "api/kernels"):
                    self.api("DELETE", f"api/kernels/{kernel['id']}")
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
        # Kernels run in their own sessions; each one's command line names its
        # connection file in our private runtime folder, so we can find ours exactly.
        for pid in _pids_mentioning(str(self.runtime_dir)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _pids_mentioning(text: str) -> list[int]:
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in Path(cmdline).read_bytes():
                found.append(int(cmdline.split("/")[2]))
    return [pid for pid in found if pid != os.getpid()]


def page_scripts(path: Path) -> dict[str, str]:
    """The JavaScript functions in ``path``, by name: each section starts ``//# NAME``.

    A section's leading ``//`` comments say what it does; they are dropped, so that what
    ``page.evaluate`` gets is the function itself.
    """
    scripts: dict[str, str] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("//# "):
            name = line[4:].strip()
            scripts[name] = ""
        elif name is not None and (scripts[name] or not line.startswith("//")):
            scripts[name] += line + "\n"
    return {key: value.strip() for key, value in scripts.items()}
