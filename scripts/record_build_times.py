"""Record how long the book's build took, per chapter, for the preface to quote.

Builds the book (``jupyter-book build --all -W --keep-going .``), times it, and writes
``book/_data/chapter_times.json`` from the build's ``_build/exec_times.json``.

Usage: python scripts/record_build_times.py
       python scripts/record_build_times.py --from-build _build --build-seconds 240
         (record an existing build's times instead of building again)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import torch

ROOT = Path(__file__).resolve().parent.parent


def _title(docname: str) -> str:
    path = ROOT / f"{docname}.ipynb"
    if path.exists():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.startswith("# "):
                return cell.source.splitlines()[0][2:].strip()
    return docname


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-build", help="a finished build folder (holding exec_times.json)")
    parser.add_argument("--build-seconds", type=float, help="how long that build took")
    args = parser.parse_args(argv)
    if args.from_build:
        if args.build_seconds is None:
            parser.error("--from-build needs --build-seconds")
        build, seconds = Path(args.from_build), args.build_seconds
    else:
        jb = Path(sys.executable).with_name("jupyter-book")
        start = time.perf_counter()
        result = subprocess.run([str(jb), "build", "--all", "-W", "--keep-going", str(ROOT)],
                                capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stdout[-4000:], result.stderr[-4000:])
            return result.returncode
        build = ROOT / "_build"
    rows = json.loads((build / "exec_times.json").read_text())
    order = {name: i for i, name in enumerate(_toc_order())}
    rows.sort(key=lambda r: order.get(r["chapter"], len(order)))
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": _cpu() if not torch.cuda.is_available() else torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "build_seconds": round(seconds, 1),
        "chapters": [{"chapter": r["chapter"], "title": _title(r["chapter"]), "seconds": r["seconds"]}
                     for r in rows],
    }
    out = ROOT / "book" / "_data" / "chapter_times.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"built in {seconds:.0f} s; wrote {out.relative_to(ROOT)}")
    for r in record["chapters"]:
        print(f"  {r['seconds']:6.1f} s  {r['title']}")
    return 0


def _toc_order() -> list[str]:
    sys.path.insert(0, str(ROOT))  # the repository root: the sitecheck package
    from sitecheck.links import toc_pages

    return toc_pages(ROOT / "_toc.yml")


if __name__ == "__main__":
    sys.exit(main())
