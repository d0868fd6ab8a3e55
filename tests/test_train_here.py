"""Train in your browser: the panel's recipes come from the package, the committed WebAssembly is
built from its C source, and (slow, in headless Chromium) the page computes what PyTorch
computes: data, losses, gradients and weights after one-cycle steps (sitecheck/train.py on
a one-page site)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnnbook.experiments import RECIPES
from rnnbook.train_here import BROWSER_MODELS, browser_recipes, train_panel
from rnnbook.yardstick import VALID_ROWS
from sitecheck import browser
from sitecheck import train as check_train

ROOT = Path(__file__).resolve().parents[1]


def test_the_panel_carries_the_recipes_of_the_package():
    html = train_panel("lstm2").data
    assert 'class="rnnbook-train"' in html and 'data-model="lstm2"' in html
    assert ('<script src="../_static/train/train-core.js"></script>\n'
            '<script src="../_static/train/train.js"></script>') in html
    data = re.search(r'data-rnnbook-recipes="([^"]*)"', html).group(1)
    recipes = json.loads(data.replace("&quot;", '"'))
    assert list(recipes) == list(BROWSER_MODELS)
    for key, r in recipes.items():
        recipe = RECIPES[key]
        assert (r["bptt"], r["epochs"], r["lr"], r["bs"], r["hidden"], r["wd"], r["pct_start"]) == (
            recipe.bptt, recipe.epochs, recipe.lr, recipe.bs, recipe.hidden, recipe.wd, recipe.pct_start)
        assert r["valid_rows"] == VALID_ROWS


@pytest.mark.parametrize("bad", [("fc3",), ()])
def test_models_the_browser_cannot_train_are_refused(bad):
    with pytest.raises(ValueError, match="models must be "):
        browser_recipes(bad)


def test_a_first_model_outside_the_offered_ones_is_refused():
    with pytest.raises(ValueError, match="model must be one of .rnn., .gru2."):
        train_panel("lstm2", models=("rnn", "gru2"))


@pytest.mark.skipif(importlib.util.find_spec("ziglang") is None,
                    reason="needs the ziglang package (pip install ziglang) to rebuild trainer.wasm")
def test_the_committed_wasm_is_built_from_its_source(tmp_path):
    out = tmp_path / "trainer.wasm"
    subprocess.run(["bash", str(ROOT / "wasm" / "build.sh"), str(out)], check=True, capture_output=True,
                   env={**os.environ, "PYTHON": sys.executable})
    committed = (ROOT / "book" / "_static" / "train" / "trainer.wasm").read_bytes()
    assert out.read_bytes() == committed, "trainer.wasm is stale: run wasm/build.sh and commit it"


@pytest.mark.slow
@pytest.mark.skipif(browser.CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_the_page_computes_what_pytorch_computes(tmp_path, capsys):
    site = check_train.tiny_site(tmp_path)
    assert check_train.main([str(site), "--only", "data,exact"]) == 0, capsys.readouterr().out
