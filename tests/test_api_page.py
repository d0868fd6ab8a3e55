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
    import ast

    package = API.parent.parent / "rnnbook"
    found = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("rnnbook")):
                found += [f"{path.name}: {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
