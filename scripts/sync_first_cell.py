"""Write the book's first cell, ``book/_first_cell.py``, into every chapter.

Every chapter's first code cell is the template (install the pinned release of rnnbook where
it is missing; on Colab, turn on the custom widget manager), a blank line, then the chapter's
own setup lines, which this script keeps as they are: from the first line that imports
rnnbook (``from rnnbook.book import setup, ...``) to the end of the cell.

On the website the cell is folded (the ``hide-input`` tag): a reader sees its output, the
device and the seed, and opens the install lines if curious; in Jupyter and on Colab it reads
as it is. The pinned release and the repository's URL are written in the template only; change
them there and run ``python scripts/sync_first_cell.py``. ``--check`` changes nothing and exits 1
when a chapter's first cell differs from the template (the tests run the same check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "book" / "_first_cell.py"
TAG = "hide-input"


def template() -> str:
    """The template's code, without a trailing newline (a cell's source has none)."""
    return TEMPLATE.read_text().rstrip("\n")


def chapters(book: Path = ROOT / "book") -> list[Path]:
    """Every chapter notebook of the book, by name."""
    return sorted(book.glob("*.ipynb"))


def first_code_cell(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The first code cell of ``nb``; ``ValueError`` when it has none."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    raise ValueError(f"{name} has no code cell; every chapter starts with the first cell")


def chapter_lines(source: str, name: str = "notebook") -> str:
    """The chapter's own part of a first cell: from its first line that imports rnnbook on.

    Raises ``ValueError`` naming the chapter when no line starts with ``from rnnbook`` or
    ``import rnnbook``.
    """
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(("from rnnbook", "import rnnbook")):
            return "\n".join(lines[i:])
    raise ValueError(f"{name}: the first code cell must import rnnbook on a line of its own "
                     f"(`from rnnbook.book import setup, ...`), after the install lines")


def synced(source: str, name: str = "notebook") -> str:
    """The first cell ``source`` should be: the template, a blank line, the chapter's own lines."""
    return template() + "\n\n" + chapter_lines(source, name)


def out_of_date(paths: list[Path] | None = None) -> list[Path]:
    """The chapters whose first code cell differs from what the template makes of it."""
    stale = []
    for path in paths if paths is not None else chapters():
        cell = first_code_cell(nbformat.read(path, as_version=4), path.name)
        if cell.source != synced(cell.source, path.name) or TAG not in cell.metadata.get("tags", []):
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a chapter differs")
    args = parser.parse_args(argv)
    stale = out_of_date()
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)}: first cell differs from {TEMPLATE.relative_to(ROOT)}")
        return 1 if stale else 0
    for path in stale:
        nb = nbformat.read(path, as_version=4)
        cell = first_code_cell(nb, path.name)
        cell.source = synced(cell.source, path.name)
        tags = cell.metadata.setdefault("tags", [])
        if TAG not in tags:
            tags.append(TAG)
        nbformat.write(nb, path)
        print(f"wrote the first cell of {path.relative_to(ROOT)}")
    print(f"{len(chapters())} chapters, {len(stale)} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
