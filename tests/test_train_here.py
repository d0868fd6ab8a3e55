"""Train in your browser: the panel's recipes come from the package, the committed WebAssembly is
built from its C source, and (slow, in headless Chromium) the page computes what PyTorch
computes: data, losses, gradients and weights after one-cycle steps (sitecheck/train.py on
a one-page site)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnbook.recipes import RECIPES
from rnnbook.train_here import BROWSER_MODELS, browser_recipes, train_panel
from rnnbook.yardstick import VALID_ROWS
from sitecheck import browser
from sitecheck import train as check_train

ROOT = Path(__file__).resolve().parents[1]


def test_the_panel_carries_the_recipes_of_the_package():
    html = train_panel("lstm2").data
    assert 'class="rnnbook-train"' in html and 'data-model="lstm2"' in html
    assert html.endswith('<script src="../_static/facts.js"></script>\n'
                         '<script src="../_static/playground/shared.js"></script>\n'
                         '<script src="../_static/train/train-core.js"></script>\n'
                         '<script src="../_static/train/train.js"></script>\n'
                         '<script src="../_static/train/train-panel.js"></script>')
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


# --- sitecheck.train's checks: each a function, chosen by name (no browser needed) ---------------

def test_every_check_is_one_function_reachable_by_name():
    assert len(check_train.CHECKS) >= 20
    for name, (kind, fn) in check_train.CHECKS.items():
        assert kind in ("page", "browser", "panel") and callable(fn) and fn.__doc__, name
        assert check_train.chosen(name) == [name]
    # the groups the CI's default and the tests use cover every check, in the registry's order
    groups = ["data", "exact", "run", "ui"]
    assert check_train.chosen(",".join(groups)) == check_train.chosen(None) == list(check_train.CHECKS)
    assert check_train.chosen("data,exact") == ["tokens", "smoothing", "one-cycle", "init", "exact"]
    assert check_train.chosen("stop,labels") == ["labels", "stop"]
    with pytest.raises(ValueError, match="no check or group named 'stpo'"):
        check_train.chosen("stop,stpo")


def test_the_help_lists_the_checks():
    out = subprocess.run([sys.executable, "-m", "sitecheck.train", "--help"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert "--only" in out and "form-range" in out.replace("\n", " ")
    bad = subprocess.run([sys.executable, "-m", "sitecheck.train", "--only", "nope"], capture_output=True,
                         text=True, cwd=ROOT)
    assert bad.returncode == 2 and "no check or group named 'nope'" in bad.stderr


def test_the_page_side_functions_are_all_there():
    used = set(re.findall(r'JS\["(\w+)"\]', (ROOT / "sitecheck" / "train.py").read_text()))
    assert used and used <= set(check_train.JS)
    for name, source in check_train.JS.items():
        assert re.match(r"(async )?\(", source) and not source.endswith(";"), name


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to parse JavaScript")
def test_the_page_side_functions_parse_as_javascript():
    pieces = json.dumps(check_train.JS)
    script = f"for (const [k, s] of Object.entries({pieces})) new Function('return (' + s + ')');"
    subprocess.run(["node", "-e", script], check=True, capture_output=True)


class FakePage:
    """Stands in for a Playwright page: ``evaluate`` answers from ``answers`` (by the source's
    name in ``check_train.JS`` or the source itself); every other call is recorded."""

    def __init__(self, answers: dict):
        self.answers = {check_train.JS.get(k, k): v for k, v in answers.items()}
        self.calls: list[str] = []

    first = property(lambda self: self)

    def evaluate(self, source, arg=None):
        self.calls.append(source)
        return self.answers[source]

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append(name) or self


class FakeBrowser:
    def __init__(self, page: FakePage):
        self.page = page

    def new_page(self, **kwargs) -> FakePage:
        return self.page


@pytest.mark.parametrize("unlabelled", [[], ['<button id="x"></button>']])
def test_a_panel_check_runs_by_name_on_each_width(unlabelled):
    page = FakePage({"unlabelled": unlabelled})
    visit = check_train.Visit(FakeBrowser(page), "http://127.0.0.1:1", Path("."))
    problems = check_train.run_checks(visit, check_train.chosen("labels"))
    if unlabelled:
        assert problems == [f"{w}: controls without a label: {unlabelled}" for w, _ in check_train.WIDTHS]
    else:
        assert problems == []
    assert page.calls.count(check_train.JS["unlabelled"]) == len(check_train.WIDTHS)
    assert "click" not in page.calls  # no run was started: the label check needs none


def test_the_form_range_check_first_makes_the_two_runs_it_counts():
    last = {"status": "stopped", "steps": 9, "stepsAtStop": 9, "message": "", "perBatch": 0.1,
            "stopSeconds": 0.1}
    page = FakePage({"last_run": last, "() => window.rnnbookTrain.runs.at(-1).losses.length": 5,
                     "() => window.rnnbookTrain.runs": [{}, {}]})
    page.inner_text = lambda selector: "bptt must be an integer from 2 to 70"
    visit = check_train.Visit(FakeBrowser(page), "http://127.0.0.1:1", Path("."))
    assert check_train.run_checks(visit, ["form-range"]) == []
    # per width: the long run, Stop, the short run, then the refused value
    assert page.calls.count("click") == 4 * len(check_train.WIDTHS)
    page.answers["() => window.rnnbookTrain.runs"] = [{}, {}, {}]
    problems = check_train.run_checks(visit, ["form-range"])
    assert problems == [f"{w}: a refused setting started a run" for w, _ in check_train.WIDTHS]
