"""The book's sources: notebooks without outputs, the first cell, the table of contents, the
launch links, and that a broken chapter fails the build."""

import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import build_book, load_file, tiny_book

from sitecheck.links import toc_pages

ROOT = Path(__file__).resolve().parent.parent

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PAGES = toc_pages(ROOT / "_toc.yml")
NOTEBOOKS = [ROOT / f"{p}.ipynb" for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


def test_every_toc_entry_has_a_source_file():
    missing = [p for p in PAGES if not any((ROOT / f"{p}{ext}").exists() for ext in (".ipynb", ".md"))]
    assert missing == []
    assert len(NOTEBOOKS) >= 8, "the chapters are notebooks, so Colab can open them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_carry_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert dirty == [], f"cells {dirty} of {path.name} carry outputs or execution counts"
    assert "widgets" not in nb.metadata, "no stored widget state in committed notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_chapter_installs_rnnbook_when_missing_then_states_seed_and_device(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code").source
    assert 'find_spec("rnnbook") is None' in first and "pip" in first and "install" in first
    assert "setup(seed=" in first, "the first cell seeds the chapter and prints its device"


def test_launch_buttons_point_at_files_in_this_repository():
    launch = CONFIG["launch_buttons"]
    assert launch["colab_url"].startswith("https://colab.research.google.com")
    assert launch["binderhub_url"] == "https://mybinder.org"
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split())
    for nb in NOTEBOOKS:
        rel = nb.relative_to(ROOT).as_posix()
        # what sphinx-book-theme links to, e.g. .../github/OWNER/REPO/blob/main/book/data.ipynb
        colab = f"{launch['colab_url']}/github/{repo}/blob/{branch}/{rel}"
        assert colab.endswith(".ipynb") and rel in tracked, colab
    binder_files = {"binder/requirements.txt", "binder/postBuild"}
    assert binder_files <= tracked


def test_binder_gets_a_cpu_torch_that_satisfies_the_package():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("--extra-index-url https://download.pytorch.org/whl/cpu") for line in lines)
    torch_pin = next(line for line in lines if line.startswith("torch=="))
    assert torch_pin.endswith("+cpu")
    version = tuple(int(x) for x in torch_pin.split("==")[1].split("+")[0].split(".")[:2])
    assert (2, 2) <= version < (3, 0), "the binder pin must satisfy the package's torch>=2.2,<3"


def test_the_config_executes_through_the_cache_ci_forces_and_errors_fail():
    ex = CONFIG["execute"]
    assert ex["execute_notebooks"] == "cache"  # the author's loop; CI forces every chapter:
    assert "RNNBOOK_EXECUTE=force jupyter-book build" in (ROOT / ".ci" / "run").read_text()
    assert ex["raise_on_error"] is True and ex["allow_errors"] is False
    assert ex["stderr_output"] == "error"
    js = CONFIG["sphinx"]["config"]["nb_ipywidgets_js"]
    for path in js:
        assert not path.startswith("http"), "widget JavaScript is served by the site itself"
        assert (ROOT / "book" / "_static" / path).is_file()


@pytest.mark.parametrize("cell,expect_ok", [
    ("print(6 * 7)", True),
    ("raise RuntimeError('this chapter is broken')", False),
    ("import warnings; warnings.warn('a stray warning')", False),
    ("import sys; print('log noise', file=sys.stderr)", False),
], ids=["working", "cell-error", "warning", "stderr"])
@pytest.mark.slow
def test_a_broken_chapter_fails_the_build(tmp_path, cell, expect_ok):
    result = build_book(tiny_book(tmp_path, cell))
    log = result.stdout + result.stderr
    if expect_ok:
        assert result.returncode == 0, log[-3000:]
        assert "42" in (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
    else:
        assert result.returncode != 0, "the build should fail"


def _extension():
    return load_file(ROOT / "book" / "_ext" / "rnnbook_ext.py")


def test_the_cache_is_emptied_when_the_package_changed_and_force_wins(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from rnnbook import runs

    ext = _extension()
    cache = tmp_path / "_build" / ".jupyter_cache"
    app = SimpleNamespace(outdir=str(tmp_path / "_build" / "html"), confdir=str(tmp_path))

    def mode_after(stamp: str | None, env: str | None = None) -> str:
        cache.mkdir(parents=True, exist_ok=True)
        stamp_file = tmp_path / "_build" / "rnnbook-source"
        stamp_file.unlink(missing_ok=True)
        if stamp is not None:
            stamp_file.write_text(stamp)
        if env is None:
            monkeypatch.delenv(ext.EXECUTE_ENV, raising=False)
        else:
            monkeypatch.setenv(ext.EXECUTE_ENV, env)
        config = SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path=str(cache))
        ext._execution_mode(app, config)
        return config.nb_execution_mode

    assert mode_after(runs.source_hash()) == "cache" and cache.exists()  # same code: kept
    assert mode_after("other code") == "cache" and not cache.exists()  # emptied
    assert mode_after(None) == "cache" and not cache.exists()
    assert mode_after(runs.source_hash(), env="force") == "force"


@pytest.mark.slow
def test_a_rebuild_reuses_the_cache_the_report_lists_the_runs_and_new_code_reruns(tmp_path):
    code = ("import uuid\nfrom rnnbook import train\n"
            "for _ in range(2):\n"
            "    train('stateful', epochs=1, hidden=8, device='cpu')\n"
            "print('token', uuid.uuid4().hex)")
    book = tiny_book(tmp_path, code)
    index = book / "book" / "index.md"
    index.write_text(index.read_text() + "\n```{rnnbook-runs}\n```\n")
    html = tmp_path / "_build" / "html" / "book"

    def build_token() -> str:
        result = build_book(book)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        return (html / "chapter.html").read_text().split("token ")[1][:32]

    first = build_token()
    report = (html / "index.html").read_text()
    assert "2 training runs: 1 trained" in report and "1 loaded from the run cache" in report
    assert report.count("<td><p>chapter</p></td>") == 2
    assert build_token() == first  # nothing changed: the chapter's outputs come from the cache
    (tmp_path / "_build" / "rnnbook-source").write_text("other code")
    assert build_token() != first  # the package changed: the chapter runs again


def test_the_build_skips_the_npm_folders_ci_installs_into_the_checkout():
    """.ci/run installs Lighthouse and MathJax with npm inside the checkout before it builds the
    book: Sphinx must not read their node_modules (their READMEs broke the build once)."""
    import re

    from sitecheck.lighthouse import PREFIX

    excluded = yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    folders = [PREFIX.name, *re.findall(r"npm install --prefix (\S+)", (ROOT / ".ci/run").read_text())]
    assert len(folders) >= 2
    assert [f for f in folders if f not in excluded] == []
    assert "**/node_modules" in excluded
