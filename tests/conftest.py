import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from rnnbook.data import load_human_numbers


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models: one CPU thread is as fast as two, and far faster on a busy machine."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="session")
def data():
    """The human-numbers data, made once for the whole test session."""
    return load_human_numbers()


ROOT = Path(__file__).resolve().parent.parent


def tiny_book(folder: Path, code: str) -> Path:
    """A copy of the book's configuration (``_config.yml``, ``book/_ext``, ``book/_static``,
    ``book/_templates``) around one chapter, ``book/chapter.ipynb``, whose only code cell is
    ``code``."""
    book = folder / "book"
    book.mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", folder / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", book / "_ext")
    shutil.copytree(ROOT / "book" / "_static", book / "_static")
    shutil.copytree(ROOT / "book" / "_templates", book / "_templates")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n  - file: book/chapter\n")
    (book / "index.md").write_text("# A tiny book\n\nOne chapter.\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, book / "chapter.ipynb")
    return folder


def load_file(path: Path, name: str | None = None):
    """The Python file at ``path`` as a module (a maintenance script, the book's Sphinx
    extension): files that belong to no package, imported without touching ``sys.path``."""
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def copy_of_the_checkout(folder: Path) -> Path:
    """The checkout's files (tracked, or new and not ignored) copied to ``folder``, as a clean
    checkout would have them: no build output. pip and build write into the source folder,
    and should not write into this one."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


def build_book(folder: Path) -> subprocess.CompletedProcess:
    """``jupyter-book build --all -W --keep-going folder``, as the README builds the book."""
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(jb), "build", "--all", "-W", "--keep-going", str(folder)],
                          capture_output=True, text=True, env=env, timeout=600)
