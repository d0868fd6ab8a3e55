"""Write the book's first cell, ``book/_first_cell.py``, into every chapter.

Every chapter's first code cell is the template (install the pinned release of rnnbook where
it is missing; on Colab, turn on the custom widget manager), a blank line, then the chapter's
own setup lines, which this script keeps as they are: from the first line that imports
rnnbook (``from rnnbook.book import setup, ...``) to the end of the cell.

On the website the cell is folded (the ``hide-input`` tag): a reader sees its output, the
device and the seed, and opens the install lines if curious; in Jupyter and on Colab it reads
as it is. The repository's URL is written in the template only; the pinned release is the tag of
the package's version, ``v`` + ``rnnbook.__version__`` (the one place the version is written; the
wheel's version is read from there too), which this script writes into the template first. So
after changing ``__version__``, run ``python scripts/sync_first_cell.py``. ``--check`` changes
nothing and exits 1 when the template's tag or a chapter's first cell is out of date (the tests
run the same check).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "book" / "_first_cell.py"
TAG = "hide-input"
PACKAGE_INIT = ROOT / "rnnbook" / "__init__.py"
PIN = re.compile(r'^(RELEASE = "rnnbook @ git\+\S+@)([^"]*)(")$', re.M)


def version(init: Path | None = None) -> str:
    """The package's version, ``__version__`` in ``rnnbook/__init__.py`` (read, not imported)."""
    init = init or PACKAGE_INIT
    for node in ast.parse(init.read_text()).body:
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            return node.value.value
    raise ValueError(f"{init} must assign __version__ a string literal, e.g. __version__ = \"0.1.0\"")


def pinned_tag(code: str) -> str:
    """The release tag that the first cell's ``RELEASE = "rnnbook @ git+URL@TAG"`` line pins."""
    match = PIN.search(code)
    if match is None:
        raise ValueError('the first cell must pin the release on one line: RELEASE = "rnnbook @ git+URL@TAG"')
    return match.group(2)


def with_tag(code: str, tag: str) -> str:
    """``code`` with its ``RELEASE`` line pinned to ``tag``."""
    pinned_tag(code)  # raises if there is no such line
    return PIN.sub(lambda m: m.group(1) + tag + m.group(3), code)


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
    tag = f"v{version()}"
    code = TEMPLATE.read_text()
    if args.check:
        stale_tag = pinned_tag(code) != tag
        if stale_tag:
            print(f"{TEMPLATE.relative_to(ROOT)}: pins {pinned_tag(code)}, the package's version is {tag}")
        stale = out_of_date()
        for path in stale:
            print(f"{path.relative_to(ROOT)}: first cell differs from {TEMPLATE.relative_to(ROOT)}")
        return 1 if stale or stale_tag else 0
    if pinned_tag(code) != tag:
        TEMPLATE.write_text(with_tag(code, tag))
        print(f"wrote {tag} into {TEMPLATE.relative_to(ROOT)}")
    stale = out_of_date()
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
