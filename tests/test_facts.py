"""One source for the model facts: the files ``python -m rnnbook.facts`` writes are what the
package says, the page's scripts and the C kernel hold no copy of a fact, and the live
explorer and the browser's panel allow the same settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnbook import explorer
from rnnbook.facts import FILES, SETTINGS, facts, facts_h, facts_js, facts_json
from rnnbook.learner import param_groups
from rnnbook.recipes import RECIPES

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"
SCRIPTS = sorted(p for p in STATIC.rglob("*.js") if "vendor" not in p.parts and p.name != "facts.js")
KERNEL = ROOT / "wasm" / "trainer.c"

# facts that used to be written by hand in the scripts and the kernel, as they were written
COPIES = {
    "AdamW's beta2": r"\b0\.99\b",
    "an eps": r"\b1e-0?5\b",
    "the one cycle's momentum": r"\b0\.(95|85)\b",
    "the one cycle's final_div": r"\b1e5\b",
    "the one cycle's div": r"[(,]\s*25\s*[,)]",
    "the model file's magic": r"RNNBPG01",
    "the seed's range": r"2147483647|2 \*\* 31",
    "the bptt range": r"\bmax: 70\b|\b2 to 70\b",
    "the special tokens": r'"xxpad"',
    "the data's streams": r"\b7999\b|\b8001\b",
    "the gates per cell": r"\[1, 3, 4\]|rnn: 1, gru: 3",
    "the cells' numbers": r"cell: [012]\b|CELL_RNN = 0",
    "the model classes": r'"(StatefulRNN|GRU2|LSTM2)"',
    "the validation rows": r"VALID_ROWS_DEFAULT = 64",
    "the browser's models": r'gru2: "gru"',
    "batchnorm's momentum": r"\b0\.1f\b",
}


def test_the_written_files_are_what_the_package_says():
    f = facts()
    for kind, text in (("json", facts_json(f)), ("js", facts_js(f)), ("h", facts_h(f))):
        assert FILES[kind].read_text(encoding="utf-8") == text, \
            f"{FILES[kind].relative_to(ROOT)} is stale: run python -m rnnbook.facts"


@pytest.mark.parametrize("path", SCRIPTS + [KERNEL], ids=lambda p: p.name)
def test_no_script_and_not_the_kernel_holds_a_copy_of_a_fact(path):
    text = path.read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", "", text, flags=re.S)  # comments may name them
    found = [what for what, pattern in COPIES.items() if re.search(pattern, code)]
    assert not found, f"{path.relative_to(ROOT)} holds its own copy of {', '.join(found)}"


def test_the_kernel_reads_the_written_header():
    assert '#include "facts.h"' in KERNEL.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", list(facts()["models"]))
def test_the_layout_is_the_models_own(key):
    """Expanded as the page expands it, the layout gives the model's named_parameters() at the
    recipe's sizes, with AdamW's weight decay where param_groups puts it."""
    m, recipe = facts()["models"][key], RECIPES[key]
    V, H = 40, recipe.hidden
    model = recipe.make(V, H)
    dims = {"V": V, "H": H, "G*H": m["gates"] * H}
    expanded = []
    per_layer = [p for p in m["params"] if p["per_layer"]]
    for p in m["params"]:
        if p is per_layer[0]:
            expanded += [(q["name"].replace("{l}", str(layer)), [dims[d] for d in q["shape"]], q["decay"])
                         for layer in range(m["n_layers"]) for q in per_layer]
        if not p["per_layer"]:
            expanded.append((p["name"], [dims[d] for d in p["shape"]], p["decay"]))
    decayed = {id(p) for p in param_groups(model, 0.01)[0]["params"]}
    assert expanded == [(n, list(p.shape), id(p) in decayed) for n, p in model.named_parameters()]


def test_the_explorer_and_the_panel_share_one_set_of_ranges():
    bounds = {k: (v["min"], v["max"]) for k, v in SETTINGS.items()}
    assert explorer.BPTT_RANGE == bounds["bptt"] and explorer.HIDDEN_RANGE == bounds["hidden"]
    assert (explorer.EPOCHS_RANGE, explorer.SEED_RANGE) == (bounds["epochs"], bounds["seed"])
    assert min(explorer.BATCH_SIZES) >= bounds["bs"][0] and max(explorer.BATCH_SIZES) <= bounds["bs"][1]
    assert facts()["settings"] == SETTINGS
    for key in facts()["models"]:  # the book's own settings are allowed
        r = RECIPES[key]
        for name, value in (("bptt", r.bptt), ("hidden", r.hidden), ("bs", r.bs),
                            ("epochs", r.epochs), ("lr", r.lr)):
            assert bounds[name][0] <= value <= bounds[name][1], (key, name)
