"""The API page documents every module of the package."""

import pkgutil
import re
from pathlib import Path

import rnnbook

API = Path(__file__).resolve().parent.parent / "book" / "api.md"


def test_every_module_is_on_the_api_page():
    modules = {m.name for m in pkgutil.iter_modules(rnnbook.__path__)
               if m.name not in ("__main__",) and not m.ispkg}
    documented = set(re.findall(r"^\.\. automodule:: rnnbook\.(\w+)$", API.read_text(), re.M))
    assert len(modules) >= 15
    assert modules - documented == set(), "modules missing from book/api.md"
    assert documented - modules == set(), "book/api.md documents modules that do not exist"


def test_import_rnnbook_does_not_import_pyplot():
    import subprocess
    import sys

    code = "import sys, rnnbook; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_module_imports_another_modules_private_name():
    """No module of the package or of the site checks imports a private (``_name``) of another
    module of either, or reaches one through a module or class it imported."""
    import ast

    project = ("rnnbook", "sitecheck")
    root = API.parent.parent
    paths = sorted(p for folder in project for p in (root / folder).glob("*.py"))
    assert len(paths) >= 25

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    found = []
    for path in paths:
        tree = ast.parse(path.read_text())
        imported = set()  # names bound to the project's modules, classes and functions
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.asname or a.name.split(".")[0] for a in node.names
                             if a.name.startswith(project)}
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(project)):
                found += [f"{path.parent.name}/{path.name}: {a.name}" for a in node.names if private(a.name)]
                imported |= {a.asname or a.name for a in node.names}
        found += [f"{path.parent.name}/{path.name}: {ast.unparse(node)}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and private(node.attr)
                  and isinstance(node.value, ast.Name) and node.value.id in imported]
    assert found == []
