"""The text of the book's pages, character by character.

A markdown cell is text, so a control character in it (other than the newline) is always a
mistake, and usually an invisible one: the LSTM section of the chapter "Gates" once held
``o_{t-1} \\odot <TAB>anh(c_{t-1})``, a ``\\t`` that had turned into a TAB on its way into the
notebook's JSON, and the page showed "anh". The same accident can happen in a code cell, in a
Python string that is not raw (``"$\\tanh$"``) and becomes LaTeX on the page through
``Markdown(...)`` or ``glue``; the second test looks for it there.
"""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def _sources(suffix: str) -> list[Path]:
    """Every file of the book with this suffix, outside build outputs and hidden folders."""
    return sorted(p for p in BOOK.rglob(f"*{suffix}")
                  if not any(part.startswith((".", "_build")) for part in
                             p.relative_to(BOOK).parts))


NOTEBOOKS = _sources(".ipynb")
PAGES = _sources(".md")


def control_characters(text: str) -> list[int]:
    """Where ``text`` holds a control character (Unicode category Cc) other than a newline."""
    return [i for i, ch in enumerate(text) if ch != "\n" and unicodedata.category(ch) == "Cc"]


_NAMES = {"\t": "TAB", "\r": "CARRIAGE RETURN", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED",
          "\x08": "BACKSPACE", "\x07": "BELL", "\x00": "NUL"}


def describe(ch: str) -> str:
    """A control character by name and code point, e.g. ``TAB (U+0009)``."""
    return f"{_NAMES.get(ch, 'control character')} (U+{ord(ch):04X})"


def context(text: str, i: int, width: int = 30) -> str:
    """The line number of position ``i`` and the text around it, with the control characters
    made visible (``repr``)."""
    line = text.count("\n", 0, i) + 1
    return f"line {line}: {text[max(0, i - width):i + width]!r}"


def markdown_problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """One line per control character in a markdown cell of ``nb``: file, cell, context."""
    out = []
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for i in control_characters(cell.source):
            out.append(f"{name}, markdown cell {n} (id {cell.get('id', '?')}): "
                       f"{describe(cell.source[i])} "
                       f"at {context(cell.source, i)}")
    return out


def lost_latex_commands(source: str) -> list[tuple[int, str]]:
    """Python strings in ``source`` (a code cell) in which an escape such as ``\\t`` in
    ``"\\tanh"``, ``\\b`` in ``"\\beta"`` or ``\\f`` in ``"\\frac"`` has made a control
    character followed by a letter: ``(line, context)`` for each. A raw string
    (``r"\\tanh"``) keeps its backslash and is not reported."""
    python = TransformerManager().transform_cell(source)  # IPython's %magics and !commands
    out = []
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            s = node.value
            for i in control_characters(s):
                if i + 1 < len(s) and s[i + 1].isascii() and s[i + 1].isalpha():
                    out.append((node.lineno, context(s, i)))
    return out


def code_problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """One line per :func:`lost_latex_commands` hit in a code cell of ``nb``."""
    return [f"{name}, code cell {n} (id {cell.get('id', '?')}), string on {where}"
            for n, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for where in (f"line {line}: {ctx}"
                          for line, ctx in lost_latex_commands(cell.source))]


def test_the_book_has_pages_to_check():
    assert len(NOTEBOOKS) >= 8 and BOOK / "gates.ipynb" in NOTEBOOKS
    assert BOOK / "api.md" in PAGES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_control_character_in_a_markdown_cell(path):
    problems = markdown_problems(nbformat.read(path, as_version=4), path.relative_to(ROOT))
    assert problems == [], ("control characters in markdown (a TAB where a LaTeX \\t... "
                            "was meant?):\n" + "\n".join(problems))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_control_character_in_a_page(path):
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.relative_to(ROOT)}: {describe(text[i])} at "
                f"{context(text, i)}" for i in control_characters(text)]
    assert problems == [], "control characters in a page:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_latex_command_turned_into_a_control_character_in_a_code_string(path):
    problems = code_problems(nbformat.read(path, as_version=4), path.relative_to(ROOT))
    assert problems == [], ("a string that is not raw turns a backslash and a letter into a "
                            "control character (write r\"...\" or \\\\):\n"
                            + "\n".join(problems))


def test_the_checks_find_the_tab_that_ate_tanh():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("fine: $\\tanh(c_t)$", id="ok"),
                nbformat.v4.new_markdown_cell("$h_t = o_t \\odot \tanh(c_t)$", id="bad"),
                nbformat.v4.new_code_cell('Markdown("$\\tanh(x)$")\nr"$\\beta$"', id="c")]
    found = markdown_problems(nb, "x.ipynb")
    assert len(found) == 1
    assert "markdown cell 1 (id bad)" in found[0] and "TAB (U+0009)" in found[0]
    assert "\\tanh" in found[0], "the context shows the TAB as \\t, next to 'anh'"
    lost = code_problems(nb, "x.ipynb")
    assert len(lost) == 1 and "code cell 2 (id c)" in lost[0] and "line 1" in lost[0]
    assert lost_latex_commands('x = "\\\\frac" + r"\\nabla" + "a\\nb"') == []
    assert [line for line, _ in lost_latex_commands('%time f()\ns = "\\frac"')] == [2]


def shown_code_too_wide(nb, width: int) -> list[str]:
    """The lines wider than ``width`` in the code cells a page shows (all but those tagged
    ``remove-cell`` or ``remove-input``): what ``sitecheck.a11y`` measures on the built page,
    caught before a build."""
    wide = []
    for i, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or tags & {"remove-cell", "remove-input"}:
            continue
        wide += [f"cell {i} ({cell.get('id')}): {len(line)} columns: {line.strip()[:60]}"
                 for line in cell.source.expandtabs(8).splitlines() if len(line) > width]
    return wide


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_shown_code_fits_the_column(path):
    from sitecheck.a11y import CODE_WIDTH

    wide = shown_code_too_wide(nbformat.read(path, as_version=4), CODE_WIDTH)
    assert not wide, f"{path.relative_to(ROOT)}: code wider than {CODE_WIDTH} columns:\n" + \
        "\n".join(wide)


def test_the_width_check_sees_shown_code_only():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1  # " + "y" * 90),
                nbformat.v4.new_code_cell("x = 2  # " + "y" * 90, metadata={"tags": ["remove-cell"]}),
                nbformat.v4.new_markdown_cell("z" * 120)]
    wide = shown_code_too_wide(nb, 88)
    assert len(wide) == 1 and wide[0].startswith("cell 0 ") and "99 columns" in wide[0], wide


def shown_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The dotted names a notebook passes to ``show_source`` (``Learner.fit_one_cycle``)."""
    names = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(TransformerManager().transform_cell(cell.source))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "show_source":
                names += [ast.unparse(a) for a in node.args]
    return names


def _package_object(dotted: str):
    """The object of the package that ``dotted`` (``Name`` or ``Name.attr``) names."""
    import importlib
    import pkgutil

    import rnnbook

    head, *rest = dotted.split(".")
    for info in pkgutil.iter_modules(rnnbook.__path__):
        if info.name.startswith("__"):
            continue  # __main__ runs the command line
        module = importlib.import_module(f"rnnbook.{info.name}")
        obj = module.__dict__.get(head)
        if getattr(obj, "__module__", "") == module.__name__:
            for part in rest:
                obj = getattr(obj, part)
            return obj
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_package_code_a_chapter_shows_fits_the_column(path):
    import inspect

    from sitecheck.a11y import CODE_WIDTH

    wide = []
    for name in shown_sources(nbformat.read(path, as_version=4)):
        obj = _package_object(name)
        assert obj is not None, f"{path.name}: show_source({name}) names nothing of the package"
        wide += [f"{name}: {len(line)} columns: {line.strip()[:60]}"
                 for line in inspect.getsource(obj).splitlines() if len(line) > CODE_WIDTH]
    assert not wide, f"{path.relative_to(ROOT)} shows code wider than {CODE_WIDTH} columns:\n" + \
        "\n".join(wide)
