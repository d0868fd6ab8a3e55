"""The Binder environment's files, and the script that executes the chapters in it (the CPU
torch pin is checked in test_book.py).

(``sitecheck/binder.sh`` builds that environment and runs every chapter in it; ``.ci/run``
runs it. These tests check, cheaply, what it relies on.)
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import nbformat

from sitecheck import chapters as run_chapters

ROOT = Path(__file__).resolve().parents[1]

# What a module is installed as, where the names differ.
DISTRIBUTION = {"IPython": "ipython", "PIL": "pillow"}


def _names(requirements: list[str]) -> set[str]:
    """The distribution names of requirement lines (options and comments left out)."""
    names = set()
    for line in requirements:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s<>=!~\[;@]", line, maxsplit=1)[0].lower())
    return names


def _binder_requirements() -> set[str]:
    return _names((ROOT / "binder" / "requirements.txt").read_text().splitlines())


def test_binder_installs_every_dependency_of_the_package():
    # postBuild installs rnnbook with --no-deps: binder/requirements.txt must bring them all.
    assert "--no-deps" in (ROOT / "binder" / "postBuild").read_text()
    dependencies = [r for r in importlib.metadata.requires("rnnbook") if "extra ==" not in r]
    assert dependencies
    assert _names(dependencies) <= _binder_requirements()


def test_the_chapters_import_only_what_binder_installs():
    allowed = _binder_requirements() | {"rnnbook"}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines()
                             if not line.lstrip().startswith(("%", "!")))  # no magics
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top == "google":  # google.colab: on Colab only
                        continue
                    assert DISTRIBUTION.get(top, top).lower() in allowed, f"{path.name} imports {module}"


def test_every_chapter_is_executed_in_the_tables_order():
    chapters = run_chapters.toc_chapters()
    assert set(chapters) == set((ROOT / "book").glob("*.ipynb"))
    assert chapters[0].name == "preface.ipynb"
    assert len(chapters) == len(set(chapters))


def test_stderr_outputs_names_the_cells_that_wrote_to_stderr():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("warn()")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n")]
    found = run_chapters.stderr_outputs(nb)
    assert len(found) == 1 and found[0].startswith("cell 1") and "UserWarning: careful" in found[0]


def test_ci_runs_the_binder_check_with_the_chapters_and_the_lab_test():
    assert "sitecheck/binder.sh" in (ROOT / ".ci" / "run").read_text()
    script = (ROOT / "sitecheck" / "binder.sh").read_text()
    steps = ("binder/requirements.txt", "binder/postBuild", "-m sitecheck.chapters", "-m sitecheck.lab")
    for step in steps:
        assert step in script, step
