"""Seconds per epoch of "Train in your browser" (Chromium, WebAssembly) against PyTorch on one CPU
thread, side by side on the same machine, with the ratio.

Usage: ``python benchmarks/browser_train.py [--epochs 3] [--repeats 2] [--models gru2,rnn] [--json]``

For each model (``gru2`` and ``rnn`` by default, each with hidden 64, bptt 20 and batch size 64,
the recipes' settings), each repeat trains ``--epochs`` epochs in headless Chromium, through
``window.rnnbookTrain.train`` on a one-page site (``sitecheck/train.py``'s ``tiny_site``:
the panel and the book's ``_static/train`` and ``_static/playground``), and the same
epochs in PyTorch (``rnnbook.experiments.train``, CPU, ``torch.set_num_threads(1)``). The two
alternate, and which goes first rotates between repeats, so a change in the machine's load hits
both. An epoch's time is its training and its validation (the ``time`` column of both epoch
tables); the figure is the median over every epoch of every repeat, and the ratio is the
browser's over PyTorch's. Beside the wall clock, CPU seconds per epoch (a run's CPU time over its
epochs: PyTorch's process, and every Chromium process of the run, so the page's drawing
counts too), which a busy machine inflates less. The goal is a ratio of at most 3 (aim: 2). It
prints the CPU model and the load average, because on a shared machine both move the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the checkout's rnnbook and sitecheck

from sitecheck.browser import open_browser, serve  # noqa: E402
from sitecheck.train import PAGE, tiny_site  # noqa: E402

SETTINGS = {"hidden": 64, "bptt": 20, "bs": 64}


def cpu_model() -> str:
    """The CPU's model name (from lscpu, else the platform)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


def chromium_cpu_seconds() -> float:
    """CPU seconds used so far by the Chromium processes this script started (all of them:
    the page's renderer, where the worker runs, and the browser's own)."""
    import psutil

    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name().lower() or "headless" in proc.name().lower():
                t = proc.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


def browser_epochs(page, model: str, epochs: int) -> tuple[list[float], float]:
    """Seconds of each epoch in the browser, and CPU seconds per epoch of the whole run."""
    cpu = chromium_cpu_seconds()
    res = page.evaluate("async (s) => await window.rnnbookTrain.train(s)",
                        {"model": model, "epochs": epochs, **SETTINGS})
    cpu = (chromium_cpu_seconds() - cpu) / epochs
    if res["diverged"] or len(res["rows"]) != epochs:
        raise RuntimeError(f"the browser's {model} run did not finish: {res['message']}")
    return [r["time"] for r in res["rows"]], cpu


def torch_epochs(model: str, epochs: int) -> tuple[list[float], float]:
    """Seconds of each epoch in PyTorch, and CPU seconds per epoch of the whole run."""
    from rnnbook.experiments import train
    from rnnbook.learner import SilentReporter

    cpu = time.process_time()
    _, history = train(model, epochs=epochs, device="cpu", reporter=SilentReporter(), **SETTINGS)
    cpu = (time.process_time() - cpu) / epochs
    return [r["time"] for r in history.rows], cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--models", default="gru2,rnn")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    import torch

    torch.set_num_threads(1)
    models = args.models.split(",")
    times: dict[str, dict[str, list[float]]] = {m: {"browser": [], "torch": []} for m in models}
    cpus: dict[str, dict[str, list[float]]] = {m: {"browser": [], "torch": []} for m in models}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, serve(tiny_site(Path(tmp))) as base, \
            open_browser() as browser:
        page = browser.new_page()
        page.goto(f"{base}/{PAGE}")
        page.wait_for_function("() => !!window.rnnbookTrain", timeout=30_000)
        for model in models:  # untimed warm-up: the browser compiles the module, PyTorch its kernels
            browser_epochs(page, model, 1)
            torch_epochs(model, 1)
        for rep in range(args.repeats):
            for model in models:
                order = ("browser", "torch") if rep % 2 == 0 else ("torch", "browser")
                for way in order:
                    t, cpu = browser_epochs(page, model, args.epochs) if way == "browser" else \
                        torch_epochs(model, args.epochs)
                    times[model][way] += t
                    cpus[model][way].append(cpu)
        version = browser.version
    load_end = os.getloadavg()
    results = {"cpu": cpu_model(), "cores": os.cpu_count(), "chromium": version,
               "torch": torch.__version__, "settings": SETTINGS, "epochs": args.epochs,
               "repeats": args.repeats, "load_average": [round(load_start[0], 2), round(load_end[0], 2)],
               "date": time.strftime("%Y-%m-%d"), "models": {}}
    for model in models:
        b, t = statistics.median(times[model]["browser"]), statistics.median(times[model]["torch"])
        cb, ct = statistics.median(cpus[model]["browser"]), statistics.median(cpus[model]["torch"])
        results["models"][model] = {"browser_s_per_epoch": b, "torch_s_per_epoch": t, "ratio": b / t,
                                    "browser_cpu_s_per_epoch": cb, "torch_cpu_s_per_epoch": ct,
                                    "cpu_ratio": cb / ct,
                                    "browser_epochs": times[model]["browser"],
                                    "torch_epochs": times[model]["torch"]}
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"machine: {results['cpu']}, {results['cores']} cores; Chromium {version}, "
          f"torch {torch.__version__} "
          f"(1 thread); load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end")
    print(f"settings: hidden 64, bptt 20, batch size 64; {args.epochs} epochs x {args.repeats} repeats "
          "per way; median seconds per epoch (training + validation)")
    print(f"{'model':>6} {'PyTorch s/epoch':>16} {'browser s/epoch':>16} {'ratio':>7}   "
          f"{'PyTorch cpu s/ep':>16} {'browser cpu s/ep':>16} {'ratio':>7}")
    for model, r in results["models"].items():
        print(f"{model:>6} {r['torch_s_per_epoch']:>16.3f} {r['browser_s_per_epoch']:>16.3f} "
              f"{r['ratio']:>7.2f}   {r['torch_cpu_s_per_epoch']:>16.3f} "
              f"{r['browser_cpu_s_per_epoch']:>16.3f} {r['cpu_ratio']:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
