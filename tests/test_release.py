"""A release: one version (``rnnbook.__version__``) for the package, the wheel and the first
cell's pin; the wheel carries the playground's static files; Binder installs the checkout."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import copy_of_the_checkout, load_file

import rnnbook

ROOT = Path(__file__).resolve().parents[1]
sync_first_cell = load_file(ROOT / "scripts" / "sync_first_cell.py")

STATIC = ("shared.js", "model.js", "inside.js", "playground.js", "playground.css")


# --------------------------------------------------------------------------- one version

def test_the_version_is_written_once():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "pyproject.toml reads the version from the package"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rnnbook.__version__"}
    assert sync_first_cell.version() == rnnbook.__version__
    assert sync_first_cell.pinned_tag(sync_first_cell.template()) == f"v{rnnbook.__version__}"
    written = [p for p in ROOT.glob("rnnbook/*.py")
               if re.search(r"^__version__ = ", p.read_text(), re.M)]
    assert written == [ROOT / "rnnbook" / "__init__.py"]


@pytest.fixture
def book_copy(tmp_path, monkeypatch):
    """The sync script pointed at a copy of the package's ``__init__.py``, the template and two
    chapters, in ``tmp_path``."""
    (tmp_path / "rnnbook").mkdir()
    (tmp_path / "book").mkdir()
    shutil.copy(sync_first_cell.PACKAGE_INIT, tmp_path / "rnnbook" / "__init__.py")
    shutil.copy(sync_first_cell.TEMPLATE, tmp_path / "book" / "_first_cell.py")
    for name in ("data.ipynb", "playground.ipynb"):
        shutil.copy(ROOT / "book" / name, tmp_path / "book" / name)
    monkeypatch.setattr(sync_first_cell, "ROOT", tmp_path)
    monkeypatch.setattr(sync_first_cell, "PACKAGE_INIT", tmp_path / "rnnbook" / "__init__.py")
    monkeypatch.setattr(sync_first_cell, "TEMPLATE", tmp_path / "book" / "_first_cell.py")
    monkeypatch.setattr(sync_first_cell, "chapters", lambda: sorted((tmp_path / "book").glob("*.ipynb")))
    return tmp_path


def test_a_new_version_goes_into_the_first_cell_of_every_chapter(book_copy):
    init = book_copy / "rnnbook" / "__init__.py"
    init.write_text(re.sub(r'^__version__ = ".*"$', '__version__ = "0.2.0"', init.read_text(), flags=re.M))
    assert sync_first_cell.main(["--check"]) == 1  # the template still pins the old tag
    assert sync_first_cell.main([]) == 0
    assert sync_first_cell.pinned_tag(sync_first_cell.template()) == "v0.2.0"
    assert 'RELEASE = "rnnbook @ git+https://github.com/rnnbook/rnnbook@v0.2.0"' in sync_first_cell.template()
    for chapter in sync_first_cell.chapters():
        cell = sync_first_cell.first_code_cell(nbformat.read(chapter, as_version=4))
        assert sync_first_cell.pinned_tag(cell.source) == "v0.2.0", chapter.name
    assert sync_first_cell.main(["--check"]) == 0


def test_a_template_that_pins_another_tag_fails_the_check(book_copy):
    template = book_copy / "book" / "_first_cell.py"
    template.write_text(sync_first_cell.with_tag(template.read_text(), "v9.9.9"))
    assert sync_first_cell.main(["--check"]) == 1


def test_the_version_must_be_a_literal():
    with pytest.raises(ValueError, match="__version__ a string literal"):
        sync_first_cell.version(ROOT / "rnnbook" / "book.py")
    with pytest.raises(ValueError, match="RELEASE"):
        sync_first_cell.pinned_tag("import os\n")


# --------------------------------------------------------------------------- the wheel

@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel, as the release builds them (``python -m build``: the sdist,
    then the wheel from it), from a clean copy of the checkout."""
    folder = tmp_path_factory.mktemp("release")
    src = copy_of_the_checkout(folder / "src")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(folder / "dist"), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return folder / "dist"


@pytest.mark.slow
def test_the_wheel_carries_the_package_and_the_playgrounds_static_files(dist):
    wheels = list(dist.glob("*.whl"))
    assert [w.name for w in wheels] == [f"rnnbook-{rnnbook.__version__}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as whl:
        names = whl.namelist()
        print("\n".join(f"{i.file_size:8d}  {i.filename}" for i in whl.infolist()))
        for name in STATIC:  # the very files of the book's site
            assert whl.read(f"rnnbook/playground_static/{name}") == \
                (ROOT / "book" / "_static" / "playground" / name).read_bytes(), name
        metadata = whl.read(f"rnnbook-{rnnbook.__version__}.dist-info/METADATA").decode()
        entry_points = whl.read(f"rnnbook-{rnnbook.__version__}.dist-info/entry_points.txt").decode()
    modules = {f"rnnbook/{p.name}" for p in (ROOT / "rnnbook").glob("*.py")}
    assert modules <= set(names), modules - set(names)
    package_files = {n for n in names if not n.startswith(f"rnnbook-{rnnbook.__version__}.dist-info/")}
    assert package_files == modules | {f"rnnbook/playground_static/{n}" for n in STATIC}, \
        "the wheel holds the package and the playground's script and style sheet, nothing else"
    assert re.search(rf"^Version: {re.escape(rnnbook.__version__)}$", metadata, re.M)
    assert "rnnbook = rnnbook.cli:main" in entry_points


@pytest.mark.slow
def test_the_sdist_builds_the_same_wheel(dist):
    sdists = list(dist.glob("*.tar.gz"))
    assert [s.name for s in sdists] == [f"rnnbook-{rnnbook.__version__}.tar.gz"]
    with tarfile.open(sdists[0]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for name in STATIC:
        assert f"book/_static/playground/{name}" in names
    assert not any("playground/models" in n for n in names), "no build output in the sdist"


# --------------------------------------------------------------------------- Binder

def test_binder_installs_the_checkout_it_was_launched_from():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    installs = [line for line in post_build.splitlines() if re.match(r"\s*(python -m )?pip install", line)]
    assert installs == ["pip install --no-deps --no-cache-dir -e ."]
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert not re.search(r"^rnnbook\b", requirements, re.M | re.I), "not a release: the checkout"
