"""Execute the book's chapters in this Python's Jupyter kernel, as a reader's notebook server would.

    python -m sitecheck.chapters                  # every chapter, in the table of contents' order
    python -m sitecheck.chapters book/data.ipynb  # some chapters

Each chapter runs in a fresh kernel in its own folder (as Jupyter runs a notebook), with no
book build around it: no Sphinx, no myst-nb. The executed notebooks are not written back (the
chapters stay without outputs). A chapter fails on a cell's error, and, as in the book build,
on anything a cell writes to stderr (``--allow-stderr`` lifts that). Prints each chapter's
seconds, then ``N chapters executed in S s``; exits 1 if one failed.

Needs only nbformat and nbclient, which every Jupyter server brings (so it runs in the Binder
environment, where the book's build tools are not installed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def toc_chapters(root: Path = ROOT) -> list[Path]:
    """The notebooks of ``_toc.yml`` (its ``root`` and every ``file``), in its order."""
    from sitecheck.links import toc_pages  # imported here: it needs yaml

    names = toc_pages(root / "_toc.yml")
    return [root / f"{n}.ipynb" for n in names if (root / f"{n}.ipynb").is_file()]


def stderr_outputs(nb) -> list[str]:
    """What the executed notebook ``nb`` wrote to stderr: one line per cell that did."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i} ({cell.get('id', '?')}): {out['text'].strip()[:300]}")
    return found


def run_chapter(path: Path, timeout: int = 600, allow_stderr: bool = False) -> float:
    """Execute the notebook ``path`` in its folder; returns the seconds it took.

    Raises ``RuntimeError`` naming the chapter when a cell fails or (unless ``allow_stderr``)
    writes to stderr.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=nb.metadata.get("kernelspec", {}).get(
        "name", "python3"), resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    # The kernel process's own log (ipykernel's notices, a crash) goes to a file, shown on failure.
    with tempfile.TemporaryFile("w+") as kernel_log:
        try:
            client.execute(stderr=kernel_log)
        except (CellExecutionError, DeadKernelError, TimeoutError) as e:
            kernel_log.seek(0)
            tail = "".join(kernel_log.readlines()[-20:])
            raise RuntimeError(f"{path.name}: {type(e).__name__}\n{e}\nkernel log:\n{tail}") from None
    seconds = time.perf_counter() - start
    if not allow_stderr and (found := stderr_outputs(nb)):
        raise RuntimeError(f"{path.name} wrote to stderr:\n" + "\n".join(found))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path,
                        help="notebooks (default: every chapter of _toc.yml)")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds per cell (default 600, as the book build)")
    parser.add_argument("--allow-stderr", action="store_true",
                        help="do not fail a chapter that writes to stderr")
    args = parser.parse_args(argv)
    chapters = args.chapters or toc_chapters()
    if not chapters:
        parser.error("no chapters found")
    start, failed = time.perf_counter(), []
    for path in chapters:
        try:
            seconds = run_chapter(path, args.timeout, args.allow_stderr)
        except RuntimeError as e:
            failed.append(path.name)
            print(f"FAILED {e}", flush=True)
            continue
        print(f"{seconds:7.1f} s  {path.name}", flush=True)
    total = time.perf_counter() - start
    print(f"{len(chapters) - len(failed)} of {len(chapters)} chapters executed in {total:.0f} s "
          f"(python {sys.version.split()[0]}, {sys.prefix})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
