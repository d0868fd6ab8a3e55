"""Lighthouse on every page of the built site, as a phone and as a desktop would load it.

Usage: ``python -m sitecheck.lighthouse [HTML_DIR] [--pages book/today ...] [--json OUT]
[--reports DIR]`` (default ``_build/html``); ``--install`` only installs Lighthouse.

The site is served with gzip, as GitHub Pages serves it (Python's ``http.server`` sends every
file uncompressed, which no reader's browser would see), by a small threaded server
(``GzipHandler``). Lighthouse (npm ``lighthouse``, pinned to ``LIGHTHOUSE``; installed into
``.lighthouse/`` on first use, the one thing fetched from the network) runs once per page and
preset: ``mobile`` (its default: a mid-range phone on a slow 4G link, simulated) and
``desktop`` (its desktop config), each with the four categories. Each run is one Node process,
``lighthouse_run.mjs``, which calls Lighthouse's Node API and exits as soon as the report is
written (Lighthouse's own command waits about 3.5 s more).

The phone's CPU is the host's, slowed down. Lighthouse's preset slows every host by 4x, so a
faster machine emulates a faster phone and scores higher: a machine half as fast runs at 4x
like this one at 8x, where the chapter "today" scored 84 instead of 95 (medians of 3).
Lighthouse measures each host's speed (its ``benchmarkIndex``, in every report) and its
documentation asks to calibrate the slowdown to it (docs/throttling.md, "Calibrating the CPU
slowdown"). So before the mobile runs, three short runs measure this machine's index (the most
of the three: load only lowers it), and the mobile runs slow it down by index /
``PHONE_INDEX``: every machine emulates the same phone (``cpu_slowdown``). ``PHONE_INDEX`` is
the phone the preset emulated where the book was first measured (4x on a 2-core machine of
index about 3,500): in Lighthouse's "high-end mobile" class (800-1200), faster than its mid-
tier phone (125-800). ``--cpu-slowdown 4`` runs the preset's own 4x instead. Desktop runs keep
the preset (no slowdown).

A page passes when every category reaches the preset's threshold (``THRESHOLDS``). Performance
still varies from run to run: a page whose performance lands less than ``NEAR`` points from its
threshold is run again, and the median of three runs counts (``settle``; the third only when
the first two disagree about the threshold). A run during which the machine was slower than
calibrated (its own benchmarkIndex under ``STEADY`` of the calibrated one) does not count: it
is run again (``steady``). Prints one row per page and exits 1 if any page falls short. Pages
run one at a time (two cores).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sitecheck.browser import CHROMIUM, serve
from sitecheck.links import ROOT, toc_pages

LIGHTHOUSE = "12.2.3"  # 13.x needs Node 22
PREFIX = ROOT / ".lighthouse"  # npm's folder for it (git ignores it)
RUNNER = Path(__file__).with_name("lighthouse_run.mjs")  # one run, through its Node API
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "bp", "seo": "seo"}
PRESETS = ("mobile", "desktop")
THRESHOLDS = {"mobile": 90, "desktop": 95}  # every category, 0-100
NEAR = 5  # performance less than this many points from the threshold: median of 3 runs
# Diagnostics that weigh 0 in every score, skipped because they cost gathering time on every run:
# the page's CSS usage, a back/forward-cache navigation and the trace's elements (which fail on
# this Chromium anyway). The scores are the same; a test reads the weights from Lighthouse.
SKIP_AUDITS = ("unused-css-rules", "render-blocking-resources", "bf-cache", "layout-shifts",
               "largest-contentful-paint-element", "lcp-lazy-loaded", "prioritize-lcp-image",
               "non-composited-animations")
PHONE_INDEX = 900  # Lighthouse benchmarkIndex of the phone the mobile runs emulate
CALIBRATION_RUNS = 3
# A run whose own benchmarkIndex is under this share of the calibrated one ran while something
# else took the machine's CPU (its phone was slower): it is set aside and run again, up to
# STEADY_TRIES runs in all.
STEADY = 0.85
STEADY_TRIES = 3

# What GitHub Pages compresses: text, not images, fonts in woff2 or the wasm module.
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml",
              "application/xml")
GZIP_MIN = 256  # bytes: smaller answers are sent as they are


# ---------------------------------------------------------------------------------------------
# the server


def gzip_wanted(accept_encoding: str | None, content_type: str, size: int) -> bool:
    """Whether an answer of ``content_type`` and ``size`` bytes is sent gzipped to a request whose
    Accept-Encoding header is ``accept_encoding``."""
    if size < GZIP_MIN or not content_type.startswith(GZIP_TYPES):
        return False
    codings = {}
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if name:
            codings[name.strip().lower()] = q
    return codings.get("gzip", codings.get("*", 0.0)) > 0


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; text gzipped when the request accepts gzip, with ``Vary: Accept-Encoding``
    (compressed once per file and kept)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "application/javascript", ".mjs": "application/javascript",
                      ".json": "application/json", ".wasm": "application/wasm",
                      ".svg": "image/svg+xml", ".woff2": "font/woff2"}
    _cache: dict[tuple[str, float], bytes] = {}

    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return super().send_head()  # redirects, listings and 404 as http.server does
        ctype = self.guess_type(path)
        stat = os.stat(path)
        if not gzip_wanted(self.headers.get("Accept-Encoding"), ctype, stat.st_size):
            return super().send_head()
        key = (path, stat.st_mtime)
        body = self._cache.get(key)
        if body is None:
            with open(path, "rb") as f:
                body = self._cache[key] = gzip.compress(f.read(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.end_headers()
        return _Body(body)


class _Body:
    """What ``send_head`` returns: a file-like object that ``copyfile`` reads."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, n: int = -1) -> bytes:
        out, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return out

    def close(self):
        pass


# ---------------------------------------------------------------------------------------------
# the verdict


def settle(first: dict[str, int], rerun: Callable[[], dict[str, int]], threshold: int,
           near: int = NEAR) -> tuple[dict[str, int], int]:
    """The scores of one page and preset: ``first`` (category -> score), unless its performance
    is below ``threshold`` or less than ``near`` points above it (95 is not near 90): then the
    median of three runs counts, so that no page passes or fails on one run. Two runs on the
    same side of ``threshold`` in every category already decide what the median of three would
    say (the third is at best their tie-break), so a third run is made only when they differ;
    two runs give the lower score of each category (never above their median of three).
    Returns (scores, runs)."""
    if first["performance"] - threshold >= near:
        return first, 1
    runs = [first, rerun()]
    if all((runs[0][c] >= threshold) == (runs[1][c] >= threshold) for c in first):
        return {c: min(r[c] for r in runs) for c in first}, 2
    runs.append(rerun())
    return {c: int(statistics.median(r[c] for r in runs)) for c in first}, 3


def failures(scores: dict[str, int], threshold: int) -> list[str]:
    """The categories of ``scores`` below ``threshold``, as 'perf 84 < 90'."""
    return [f"{SHORT.get(c, c)} {s} < {threshold}" for c, s in scores.items() if s < threshold]


def cpu_slowdown(host_index: float, phone_index: float = PHONE_INDEX) -> float:
    """The CPU slowdown that makes a host of Lighthouse ``benchmarkIndex`` ``host_index`` run
    like a phone of ``phone_index``: their ratio, to 0.1, and at least 1 (a host slower than
    the phone is not sped up)."""
    return max(1.0, round(host_index / phone_index, 1))


def table(rows: list[tuple[str, dict[str, dict[str, int]]]]) -> str:
    """One line per page: its scores per preset and category; a failing score is starred."""
    head = f"{'page':<24}" + "".join(
        f"  {p + ' ' + '/'.join(SHORT[c] for c in CATEGORIES):<24}" for p in PRESETS)
    lines = [head, "-" * len(head)]
    for name, by_preset in rows:
        cells = []
        for p in PRESETS:
            s = by_preset.get(p)
            if s is None:
                cells.append(f"  {'-':<24}")
                continue
            marks = [f"{s[c]}{'*' if s[c] < THRESHOLDS[p] else ''}" for c in CATEGORIES]
            cells.append(f"  {' '.join(f'{m:>4}' for m in marks):<24}")
        lines.append(f"{name:<24}" + "".join(cells))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Lighthouse


def lighthouse_bin(install: bool = True) -> Path:
    """The pinned Lighthouse's command, installed into ``PREFIX`` by npm when missing."""
    exe = PREFIX / "node_modules" / ".bin" / "lighthouse"
    pkg = PREFIX / "node_modules" / "lighthouse" / "package.json"
    if pkg.is_file() and json.loads(pkg.read_text())["version"] == LIGHTHOUSE and exe.exists():
        return exe
    if not install:
        raise RuntimeError(f"lighthouse {LIGHTHOUSE} is not installed in {PREFIX}")
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Node 20 or later)")
    subprocess.run([npm, "install", "--prefix", str(PREFIX), "-E", "--no-audit", "--no-fund",
                    "--loglevel=error", f"lighthouse@{LIGHTHOUSE}"], check=True)
    return exe


def lighthouse_report(prefix: Path, url: str, chromium: str, flags: dict,
                      keep: Path | None = None) -> dict:
    """One Lighthouse run of ``url`` with ``flags`` (its Node API's; ``"preset": "desktop"``
    for its desktop config) by ``RUNNER``, with Lighthouse installed in ``prefix``; its JSON
    report. With ``keep``, the report is copied there (the last run of a page and preset wins)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (Node 20 or later)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        flags = {"disableFullPageScreenshot": True, **flags}  # seconds on a long chapter, no score
        cmd = [node, str(RUNNER), str(prefix), chromium, url, str(out), json.dumps(flags)]
        proc = subprocess.run(cmd, env={**os.environ, "TMPDIR": tmp}, capture_output=True,
                              text=True, timeout=300)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"lighthouse failed on {url} ({flags}): {proc.stderr[-2000:]}")
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, keep)
        return json.loads(out.read_text())


def run_lighthouse(prefix: Path, url: str, preset: str, chromium: str, keep: Path | None = None,
                   slowdown: float | None = None) -> tuple[dict[str, int], float]:
    """One Lighthouse run of ``url`` as ``preset``, the phone's CPU ``slowdown`` times slower
    than the host's (None: the preset's); the four categories' scores (0-100) and the
    ``benchmarkIndex`` Lighthouse measured at the start of the run."""
    flags: dict = {"onlyCategories": list(CATEGORIES), "skipAudits": list(SKIP_AUDITS)}
    if preset == "desktop":
        flags["preset"] = "desktop"
    elif slowdown is not None:
        flags["throttling"] = {"cpuSlowdownMultiplier": slowdown}
    report = lighthouse_report(prefix, url, chromium, flags, keep)
    return scores_of(report), report["environment"]["benchmarkIndex"]


def steady(run: Callable[[], tuple[dict[str, int], float]], floor: float,
           tries: int = STEADY_TRIES) -> tuple[dict[str, int], int]:
    """The scores of the first of up to ``tries`` calls of ``run`` whose benchmarkIndex is at
    least ``floor`` (the machine ran at its calibrated speed: nothing else took its CPU), else
    of the last; and how many runs were set aside."""
    for n in range(tries):
        scores, index = run()
        if index >= floor:
            return scores, n
    return scores, tries


def host_index(prefix: Path, url: str, chromium: str, runs: int = CALIBRATION_RUNS) -> list[float]:
    """This machine's Lighthouse ``benchmarkIndex`` in ``runs`` short runs of ``url`` (one audit
    each; Lighthouse measures the index before it loads the page). Their maximum is the
    machine's speed: other work on the machine only ever lowers a run's index."""
    flags = {"onlyAudits": ["first-contentful-paint"]}
    return [lighthouse_report(prefix, url, chromium, flags)["environment"]["benchmarkIndex"]
            for _ in range(runs)]


def scores_of(report: dict) -> dict[str, int]:
    """The categories' scores (0-100) of a Lighthouse JSON report; a category Lighthouse could
    not score (null) counts 0."""
    cats = report["categories"]
    return {c: round(100 * (cats[c]["score"] or 0)) for c in CATEGORIES}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--pages", nargs="*", help="document names (default: every page of _toc.yml)")
    parser.add_argument("--presets", nargs="*", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--json", help="write the scores to this file")
    parser.add_argument("--reports", help="keep each page's JSON reports in this folder")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--cpu-slowdown", type=float, metavar="X",
                        help="slow the host's CPU down X times in the mobile runs (default: "
                             f"calibrated to a phone of benchmark index {PHONE_INDEX}; 4: the preset's)")
    parser.add_argument("--install", action="store_true",
                        help=f"only install Lighthouse {LIGHTHOUSE} into {PREFIX.name}/ (if missing)")
    args = parser.parse_args(argv)
    if args.install:
        print(f"lighthouse {LIGHTHOUSE}: {lighthouse_bin()}")
        return 0
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    if args.chromium is None:
        parser.error("Chromium is not installed (apt-get install chromium)")
    if args.cpu_slowdown is not None and not 1 <= args.cpu_slowdown <= 20:
        parser.error(f"--cpu-slowdown: {args.cpu_slowdown} is outside 1..20")
    lighthouse_bin()
    pages = args.pages or toc_pages(ROOT / "_toc.yml")
    start = time.time()
    rows, problems, results = [], [], {}
    with serve(site, GzipHandler) as base:
        slowdown, floor, aside = args.cpu_slowdown, 0.0, 0
        if slowdown is None and "mobile" in args.presets:
            indexes = host_index(PREFIX, f"{base}/index.html", args.chromium)
            slowdown, floor = cpu_slowdown(max(indexes)), STEADY * max(indexes)
            print(f"this machine's Lighthouse benchmarkIndex: {max(indexes):.0f} (the most of "
                  f"{', '.join(f'{i:.0f}' for i in indexes)}); mobile runs slow its CPU "
                  f"{slowdown}x, to a phone of index {PHONE_INDEX}", flush=True)
        for name in pages:
            by_preset = {}
            if not (site / f"{name}.html").is_file():
                problems.append(f"{name}: not in the site (sitecheck.links says more)")
                continue
            for preset in args.presets:
                url = f"{base}/{name}.html"
                keep = (Path(args.reports) / f"{name.replace('/', '-')}.{preset}.json"
                        if args.reports else None)
                run = functools.partial(run_lighthouse, PREFIX, url, preset, args.chromium, keep,
                                        slowdown)

                def once(run=run):
                    nonlocal aside
                    scores, set_aside = steady(run, floor)
                    aside += set_aside
                    return scores

                try:
                    scores, n = settle(once(), once, THRESHOLDS[preset])
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    problems.append(f"{name} ({preset}): {e}")
                    continue
                by_preset[preset] = scores
                problems += [f"{name} ({preset}): {f}" for f in failures(scores, THRESHOLDS[preset])]
                note = {1: "", 2: " (the lower of 2 runs)", 3: " (median of 3)"}[n]
                print(f"  {name:<24} {preset:<8}"
                      + " ".join(f"{SHORT[c]} {scores[c]:>3}" for c in CATEGORIES) + note, flush=True)
            rows.append((name, by_preset))
            results[name] = by_preset
    print()
    print(table(rows))
    print(f"\n{len(pages)} pages in {time.time() - start:.0f} s; thresholds: "
          + ", ".join(f"{p} {t}" for p, t in THRESHOLDS.items())
          + (f"; mobile CPU slowdown {slowdown}x" if "mobile" in args.presets else "")
          + f"; {aside} run(s) set aside (benchmarkIndex under {floor:.0f})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    for p in problems:
        print(f"FAIL {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
