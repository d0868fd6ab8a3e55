"""The live explorer in JupyterLab, in a real browser: the path a Binder reader takes.

    python -m sitecheck.lab --env ENV [--screenshot lab.png]

Starts JupyterLab from the environment ``ENV`` (a virtual environment with JupyterLab and
rnnbook, such as the one ``sitecheck/binder.sh`` builds from ``binder/``) on 127.0.0.1, a
free port, with a token and its own settings and runtime folders; opens a small notebook that
shows ``rnnbook.explorer.explorer(...)`` in headless Chromium (``sitecheck/browser.py``), runs its
cell, presses Train and waits for the run to finish and appear in the table of runs. Fails if
it does not, or if the page reports a JavaScript error. Prints what the run trained. The
server and its kernels are stopped at the end, whatever happens.

This script drives the browser (it needs Playwright); JupyterLab and the kernel run in ``ENV``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sitecheck.browser import open_browser, watch

# One short run: a small GRU, one epoch (a few seconds on one CPU thread).
SETTINGS = {"model": "gru2", "bptt": 10, "hidden": 16, "bs": 64, "epochs": 1, "seed": 0}
CODE = ("from rnnbook.book import setup\n"
        "from rnnbook.explorer import explorer\n"
        "device = setup(seed=0)\n"
        "explorer(device=device, " + ", ".join(f"{k}={v!r}" for k, v in SETTINGS.items()) + ")")


def write_notebook(folder: Path, name: str = "explorer.ipynb") -> Path:
    """The notebook the browser opens: one cell showing the explorer, with kernelspec metadata
    (without it JupyterLab asks which kernel to start)."""
    nb = {
        "cells": [{"cell_type": "code", "id": "explorer", "metadata": {}, "execution_count": None,
                   "outputs": [], "source": CODE}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = folder / name
    path.write_text(json.dumps(nb, indent=1))
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server in its own process group, stopped (kernels too) by :meth:`stop`."""

    def __init__(self, env: Path, root: Path, work: Path):
        jupyter_lab = env / "bin" / "jupyter-lab"
        if not jupyter_lab.is_file():
            raise ValueError(f"no JupyterLab in {env}: expected {jupyter_lab}")
        self.port, self.token, self.work = free_port(), secrets.token_hex(16), work
        self.base = f"http://127.0.0.1:{self.port}"
        folders = {name: work / name.lower() for name in
                   ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                    "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        # No question about Jupyter's news over the page (the answer would fetch from the web).
        news = folders["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.runtime = folders["JUPYTER_RUNTIME_DIR"]
        env_vars = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env_vars.update({k: str(v) for k, v in folders.items()})
        env_vars["PATH"] = f"{env / 'bin'}{os.pathsep}{env_vars.get('PATH', '')}"
        cmd = [str(jupyter_lab), "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # no calls out
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = work / "lab.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env_vars,
                                         cwd=root, start_new_session=True)

    def api(self, path: str, method: str = "GET", timeout: float = 5):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = 120) -> dict:
        """Wait until the server answers; returns its version."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                return self.api("/api")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def wait_kernel(self, notebook: str, timeout: float) -> None:
        """Wait until the notebook's kernel has started and is idle (running the cell before
        would make JupyterLab ask which kernel to start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for session in self.api("/api/sessions"):
                if session["path"] == notebook and session["kernel"]["execution_state"] == "idle":
                    return
            time.sleep(0.5)
        raise RuntimeError(f"no idle kernel for {notebook} within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _kernel_pids(self) -> list[int]:
        """Kernels this server started: processes whose command line names its runtime folder."""
        pids = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if str(self.runtime).encode() in (proc / "cmdline").read_bytes():
                        pids.append(int(proc.name))
                except OSError:
                    pass
        return pids

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then end its process group and
        any kernel of its left behind."""
        if self.proc.poll() is None:
            try:
                self.api("/api/shutdown", method="POST")
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        for pid in self._kernel_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def train_in_lab(lab: Lab, notebook: str, screenshot: Path | None, timeout: float) -> dict:
    """Open ``notebook`` in JupyterLab, run its cell, press Train; returns the run's row of the
    table. Raises ``RuntimeError`` on a JavaScript error or a run that does not finish."""
    with open_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors = watch(page, lab.base)
        try:
            page.goto(f"{lab.base}/lab/tree/{notebook}?token={lab.token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
            lab.wait_kernel(notebook, timeout)
            page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            train = page.locator(".jp-OutputArea .widget-button", has_text="Train")
            train.wait_for(timeout=timeout * 1000)
            table = page.locator(".jp-OutputArea table.rnnbook-runs")
            table.wait_for(timeout=timeout * 1000)
            if "no runs yet" not in table.inner_text():
                raise RuntimeError("the table of runs is not empty before Train")
            train.click()
            row = table.locator("tbody tr", has_text="done").first
            row.wait_for(timeout=timeout * 1000)
            columns = [c.strip() for c in table.locator("thead th").all_inner_texts()]
            cells = [c.strip() for c in row.locator("td").all_inner_texts()]
            status = page.locator(".jp-OutputArea .rnnbook-status").first.inner_text()
        except Exception:
            if errors:
                print("the page reported:\n" + "\n".join(errors), file=sys.stderr)
            raise
        finally:
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        if errors:
            raise RuntimeError("the page reported errors:\n" + "\n".join(errors))
    run = dict(zip(columns, cells, strict=True))
    missing = {*SETTINGS, "run", "accuracy", "time", "status"} - set(run)
    if missing:
        raise RuntimeError(f"the table of runs has no column {sorted(missing)}: {columns}")
    run["message"] = status.strip()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", type=Path, required=True, help="the environment with JupyterLab and rnnbook")
    parser.add_argument("--screenshot", type=Path, help="save the page here (PNG), pass or fail")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for each step (default 180)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped CI job still stops the server
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnnbook-lab-") as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        notebook = write_notebook(root)
        lab = Lab(args.env.resolve(), root, Path(tmp))
        try:
            server = lab.wait_ready(args.timeout)["version"]
            run = train_in_lab(lab, notebook.name, args.screenshot, args.timeout)
        except Exception:
            print(f"JupyterLab's log:\n{lab.log_tail()}", file=sys.stderr)
            raise
        finally:
            lab.stop()
    expected = {k: str(v) for k, v in SETTINGS.items()}
    trained = {k: run[k] for k in SETTINGS}
    if trained != expected:
        raise RuntimeError(f"the run trained {trained}, not the notebook's settings {expected}")
    if not 0 < float(run["accuracy"]) <= 1:
        raise RuntimeError(f"the run's accuracy is {run['accuracy']}, not a fraction")
    lab_version = subprocess.run([str(args.env / "bin" / "python"), "-c",
                                  "import jupyterlab; print(jupyterlab.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    print(f"JupyterLab {lab_version} (jupyter_server {server}): run {run['run']} trained {run['model']}, "
          f"bptt {run['bptt']}, hidden {run['hidden']}, bs {run['bs']}, {run['epochs']} epoch(s), "
          f"seed {run['seed']}: accuracy {run['accuracy']} in {run['time']} ({run['status']}); "
          f"test took {time.perf_counter() - start:.0f} s")
    print(f"  status line: {run['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
