"""The chapters' first cell (``book/_first_cell.py``): the same in every chapter, pinned to this
release, turning on Colab's widget manager on Colab only, and installing the package where it is
missing (tried for real in a virtual environment without it)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import ipywidgets
import pytest
import yaml

import rnnbook

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sync_first_cell", ROOT / "scripts" / "sync_first_cell.py")
sync_first_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_first_cell)  # a maintenance script, not a module of a package


def run_cell() -> dict:
    """Run the template's code here, as a chapter's first cell; returns its namespace."""
    scope = {"__name__": "__main__"}
    exec(compile(sync_first_cell.template(), str(sync_first_cell.TEMPLATE), "exec"), scope)
    return scope


# --------------------------------------------------------------------------- one cell, one place

def test_every_chapter_starts_with_the_template():
    assert sync_first_cell.chapters(), "no chapters found"
    assert sync_first_cell.out_of_date() == [], "run: python scripts/sync_first_cell.py"


def test_every_chapter_sets_up_after_the_template():
    import nbformat

    for path in sync_first_cell.chapters():
        cell = sync_first_cell.first_code_cell(nbformat.read(path, as_version=4), path.name)
        own = cell.source[len(sync_first_cell.template()):]
        assert own.startswith("\n\nfrom rnnbook.book import setup"), path.name
        assert "\ndevice = setup(seed=0)" in own, path.name


def test_sync_keeps_a_chapters_own_lines_and_replaces_the_rest():
    old = ("# old install lines\nimport sys\n\n"
           "from rnnbook.book import setup, chapter_times\ndevice = setup(seed=0)")
    new = sync_first_cell.synced(old, "x.ipynb")
    assert new.startswith(sync_first_cell.template() + "\n\n")
    assert new.endswith("from rnnbook.book import setup, chapter_times\ndevice = setup(seed=0)")
    assert "# old install lines" not in new
    assert sync_first_cell.synced(new) == new


def test_a_first_cell_without_the_fold_is_out_of_date(tmp_path):
    import nbformat

    path = tmp_path / "chapter.ipynb"
    shutil.copy(ROOT / "book" / "data.ipynb", path)
    assert sync_first_cell.out_of_date([path]) == []
    nb = nbformat.read(path, as_version=4)
    sync_first_cell.first_code_cell(nb).metadata["tags"] = []
    nbformat.write(nb, path)
    assert sync_first_cell.out_of_date([path]) == [path]  # the site would show the install lines


def test_sync_refuses_a_cell_that_does_not_import_rnnbook():
    with pytest.raises(ValueError, match="x.ipynb.*import rnnbook"):
        sync_first_cell.chapter_lines("import torch\nprint(1)", "x.ipynb")


def test_the_pin_is_this_release_of_the_books_repository():
    release = re.search(r'^RELEASE = "rnnbook @ git\+(\S+)@(\S+)"$', sync_first_cell.template(), re.M)
    assert release, "the template pins RELEASE = \"rnnbook @ git+URL@TAG\""
    url, tag = release.groups()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert url == config["repository"]["url"]
    assert tag == f"v{rnnbook.__version__}"


# --------------------------------------------------------------------------- Colab, stood in for

@pytest.fixture
def colab(tmp_path, monkeypatch):
    """An importable stand-in for ``google.colab`` whose ``output`` module records its calls.

    Yields a function that imports it, as Colab's kernel has done before any cell runs.
    """
    fake = tmp_path / "fake_colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "output.py").write_text(textwrap.dedent("""
        CALLS = []
        def enable_custom_widget_manager():
            CALLS.append("enable_custom_widget_manager")
    """))
    monkeypatch.syspath_prepend(str(fake))
    for name in [m for m in sys.modules if m == "google" or m.startswith("google.")]:
        monkeypatch.delitem(sys.modules, name)
    yield lambda: importlib.import_module("google.colab")
    for name in [m for m in sys.modules if m == "google" or m.startswith("google.")]:
        del sys.modules[name]


def test_on_colab_with_ipywidgets_8_the_cell_enables_the_custom_widget_manager(colab):
    assert int(ipywidgets.__version__.split(".")[0]) >= 8
    colab()
    run_cell()
    assert sys.modules["google.colab.output"].CALLS == ["enable_custom_widget_manager"]


def test_on_colab_with_ipywidgets_7_the_cell_leaves_the_manager_alone(colab, monkeypatch):
    monkeypatch.setattr(ipywidgets, "__version__", "7.7.1")
    colab()
    run_cell()
    assert sys.modules.get("google.colab.output") is None or sys.modules["google.colab.output"].CALLS == []


def test_off_colab_the_cell_does_not_touch_google_colab_even_where_it_is_importable(colab):
    assert importlib.util.find_spec("google.colab") is not None
    sys.modules.pop("google", None)
    run_cell()
    assert "google.colab" not in sys.modules and "google.colab.output" not in sys.modules


# --------------------------------------------------------------------------- installing

@pytest.fixture
def no_rnnbook(monkeypatch):
    """The cell sees no rnnbook, and its pip commands are recorded instead of run."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rnnbook"
                        else find_spec(name, *a))
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.delenv("RNNBOOK_INSTALL", raising=False)
    return commands


def test_without_rnnbook_the_cell_installs_the_pinned_release(no_rnnbook):
    scope = run_cell()
    assert no_rnnbook == [[sys.executable, "-m", "pip", "install", "-q", scope["RELEASE"]]]


def test_rnnbook_install_points_the_cell_elsewhere(no_rnnbook, monkeypatch):
    monkeypatch.setenv("RNNBOOK_INSTALL", "/some/checkout")
    run_cell()
    assert no_rnnbook == [[sys.executable, "-m", "pip", "install", "-q", "/some/checkout"]]


def test_with_rnnbook_the_cell_installs_nothing(monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *a, **kw: pytest.fail("the cell ran pip"))
    run_cell()


def _venv_without_rnnbook(folder: Path) -> Path:
    """A virtual environment that sees this one's packages (torch, matplotlib, Jupyter, pip,
    ...) but not rnnbook; returns its python.

    Cheaper than installing them: a folder of links to this environment's site-packages, less
    rnnbook's entries, on the new environment's path through a ``.pth`` file. Its own
    site-packages stays empty, so pip installs there.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    shared = folder / "shared-site-packages"
    shared.mkdir()
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if not entry.name.lower().startswith(("rnnbook", "__editable__", "__pycache__")):
            (shared / entry.name).symlink_to(entry)
    (site / "shared.pth").write_text(f"{shared}\n")
    kernel = folder / "share" / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    return python


def _copy_of_the_checkout(folder: Path) -> Path:
    """The checkout's files (tracked, or new and not ignored) copied to ``folder``: pip builds
    in the source folder, and should not write into this one."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


@pytest.mark.slow
def test_in_an_environment_without_rnnbook_the_cell_installs_it_and_the_chapter_runs(tmp_path):
    python = _venv_without_rnnbook(tmp_path / "venv")
    checkout = _copy_of_the_checkout(tmp_path / "checkout")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RNNBOOK_INSTALL")}
    # Offline: pip may use only what is installed (setuptools to build, the dependencies).
    env.update(RNNBOOK_INSTALL=str(checkout), PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",
               JUPYTER_PREFER_ENV_PATH="1")
    where = [str(python), "-c", "import rnnbook; print(rnnbook.__file__)"]
    before = subprocess.run(where, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert before.returncode != 0 and "No module named 'rnnbook'" in before.stderr

    proc = subprocess.run([str(python), str(ROOT / "sitecheck" / "chapters.py"),
                           str(ROOT / "book" / "data.ipynb")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 of 1 chapters executed" in proc.stdout

    after = subprocess.run(where, capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    assert Path(after.stdout.strip()).is_relative_to(tmp_path / "venv")
    origin = subprocess.run([str(python), "-c", "from importlib.metadata import distribution as d;"
                             "print(d('rnnbook').read_text('direct_url.json'))"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    assert json.loads(origin.stdout)["url"] == checkout.as_uri()
