"""The model facts the browser's code needs, read from this package (chapter "Widgets").

The page that trains in the browser (``book/_static/train/``, around ``wasm/trainer.c``) and
the playground (``book/_static/playground/``) compute what this package computes, so they
need its facts: the parameters of ``rnn``, ``gru2`` and ``lstm2`` in PyTorch's order, their
cells and layers, AdamW's and the one cycle's constants, batchnorm's eps, the data's special
tokens, the model-file format (:data:`MAGIC`, :data:`FORMAT`, defined here) and the ranges of
the settings a reader may choose. :func:`facts` reads them from the Python sources (the models
themselves, ``learner``, ``data``, ``recipes``); ``python -m rnnbook.facts`` writes them as

- ``book/_static/facts.json``: the one JSON of facts;
- ``book/_static/facts.js``: the same JSON as a script (``window.rnnbookFacts``, and
  ``module.exports`` in Node), for the page, the Web Worker and Node, which load scripts
  synchronously;
- ``wasm/facts.h``: what the C kernel needs (cells, gates, batchnorm, the parameter layout),
  as C macros.

``tests/test_facts.py`` fails when a written file differs from what this module writes, or
when a script or the kernel holds its own copy of a fact. :data:`SETTINGS` are the ranges of
the settings, one set for the live explorer (:mod:`rnnbook.explorer`) and the browser's panel.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

from torch import nn

from .data import SPECIAL_TOKENS, TRAIN_RANGE, VALID_RANGE, Vocab
from .learner import ADAM_BETAS, ADAM_EPS, CYCLE_MOMENTUM, Learner, param_groups
from .recipes import RECIPES
from .yardstick import VALID_ROWS

__all__ = ["SETTINGS", "BROWSER_MODELS", "MAGIC", "FORMAT", "facts", "facts_json", "facts_js",
           "facts_h", "write"]

MAGIC = b"RNNBPG01"
"""The first 8 bytes of a playground model file (:mod:`rnnbook.playground` writes them)."""
FORMAT = 1
"""The playground model file's format number."""

SETTINGS = {
    "bptt": {"min": 2, "max": 70, "int": True, "label": "bptt (tokens per window)"},
    "hidden": {"min": 8, "max": 256, "int": True, "label": "hidden size"},
    "bs": {"min": 8, "max": 512, "int": True, "label": "batch size"},
    "epochs": {"min": 1, "max": 50, "int": True, "label": "epochs"},
    "lr": {"min": 1e-5, "max": 10.0, "int": False, "label": "peak learning rate"},
    "seed": {"min": 0, "max": 2**31 - 1, "int": True, "label": "seed"},
}
"""The settings a reader may choose, and their ranges: the live explorer's controls and the
browser's panel (and its worker) allow exactly these."""

BROWSER_MODELS = ("rnn", "gru2", "lstm2")
"""The models the browser trains: the book's ``nn.RNN``, 2-layer GRU and 2-layer LSTM."""

ROOT = Path(__file__).resolve().parent.parent
FILES = {"json": ROOT / "book" / "_static" / "facts.json",
         "js": ROOT / "book" / "_static" / "facts.js",
         "h": ROOT / "wasm" / "facts.h"}
"""Where ``python -m rnnbook.facts`` writes."""

CELLS = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm"}  # the kernel's cells, numbered in order
# each parameter's name in the kernel's Params struct (wasm/trainer.c), by PyTorch's name
C_NAMES = {"i_h.weight": "embedding", "rnn.weight_ih_l{l}": "w_ih", "rnn.weight_hh_l{l}": "w_hh",
           "rnn.bias_ih_l{l}": "b_ih", "rnn.bias_hh_l{l}": "b_hh", "h_o.weight": "out_w",
           "h_o.bias": "out_b", "bn.weight": "bn_w", "bn.bias": "bn_b"}
_V, _H = 13, 8  # sizes unlike any other, so each dimension says what it is


def _layout(model: nn.Module, gates: int) -> list[dict]:
    """``model``'s parameters in named_parameters() order: name ({l} for the layer), shape in
    V, H and G*H, whether AdamW decays it, and whether it repeats per layer."""
    decays = {id(p) for p in param_groups(model, 0.01)[0]["params"]}
    dims = {_V: "V", _H: "H", gates * _H: "G*H"} if gates > 1 else {_V: "V", _H: "H"}
    out = []
    for name, p in model.named_parameters():
        layer = name.rsplit("_l", 1)[1] if name.startswith("rnn.") else None
        generic = name.rsplit("_l", 1)[0] + "_l{l}" if layer is not None else name
        if layer not in (None, "0"):
            continue
        out.append({"name": generic, "shape": [dims[n] for n in p.shape],
                    "decay": id(p) in decays, "per_layer": layer is not None})
    return out


def _model(key: str) -> dict:
    """What the browser needs of the browser model ``key``, from the model itself."""
    model = RECIPES[key].make(_V, _H)
    cell_type = type(model.rnn)
    cell = CELLS[cell_type]
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    weight = model.rnn.weight_ih_l0
    assert weight.shape[0] == gates * _H, f"{key}: {cell} has {weight.shape[0] // _H} gates"
    norm = "bn" if isinstance(getattr(model, "bn", None), nn.BatchNorm1d) else None
    out = {"class": type(model).__name__, "cell": cell, "cell_id": list(CELLS.values()).index(cell),
           "gates": gates, "n_layers": model.rnn.num_layers, "norm": norm,
           "params": _layout(model, gates)}
    if norm == "bn":
        out.update(bn_eps=model.bn.eps, bn_momentum=model.bn.momentum)
    return out


def facts() -> dict:
    """Every fact the browser's code reads, as one JSON-ready dict."""
    fit = inspect.signature(Learner.fit_one_cycle).parameters
    models = {key: _model(key) for key in BROWSER_MODELS}
    cells = {m["cell"]: key for key, m in models.items()}
    assert len(cells) == len(models), "one browser model per cell"
    return {
        "settings": SETTINGS,
        "models": models,
        "optimizer": {"betas": list(ADAM_BETAS), "eps": ADAM_EPS,
                      "momentum": list(CYCLE_MOMENTUM), "div": fit["div"].default,
                      "final_div": fit["final_div"].default},
        "data": {"special": list(SPECIAL_TOKENS), "train": [TRAIN_RANGE[0], TRAIN_RANGE[-1]],
                 "valid": [VALID_RANGE[0], VALID_RANGE[-1]],
                 "pad_to": inspect.signature(Vocab.from_tokens).parameters["pad_to"].default,
                 "valid_rows": VALID_ROWS},
        "model_file": {"magic": MAGIC.decode(), "format": FORMAT},
        "layer_norm_eps": _layer_norm_eps(),
    }


def _layer_norm_eps() -> float:
    """The eps of every LayerNorm of the book's models (the playground runs them)."""
    eps = {m.eps for r in RECIPES.values() for m in r.make(_V, _H).modules()
           if isinstance(m, nn.LayerNorm)}
    assert len(eps) == 1, f"the models' LayerNorms have eps {eps}"
    return eps.pop()


def facts_json(f: dict | None = None) -> str:
    """``book/_static/facts.json``'s text."""
    return json.dumps(facts() if f is None else f, indent=1) + "\n"


def facts_js(f: dict | None = None) -> str:
    """``book/_static/facts.js``'s text: the JSON as ``rnnbookFacts``."""
    body = json.dumps(facts() if f is None else f, separators=(",", ":"))
    return ("/* rnnbook's model facts (book/_static/facts.json as a script), written by\n"
            " * `python -m rnnbook.facts` from the Python sources: do not edit. */\n"
            "(function (root) {\n"
            f"  root.rnnbookFacts = {body};\n"
            '  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookFacts;\n'
            '})(typeof self !== "undefined" ? self : globalThis);\n')


def _x_macro(name: str, params: list[dict]) -> str:
    def dim(s: str) -> str:
        return {"V": "V", "H": "H", "G*H": "G * H"}[s]
    rows = [f"  X({C_NAMES[p['name']]}, {dim(p['shape'][0])}, "
            f"{dim(p['shape'][1]) if len(p['shape']) > 1 else 1}, {int(p['decay'])})"
            for p in params]
    return f"#define {name}(X) \\\n" + " \\\n".join(rows) + "\n"


def facts_h(f: dict | None = None) -> str:
    """``wasm/facts.h``'s text: the cells, batchnorm's constants and the parameter layout."""
    f = facts() if f is None else f
    models = f["models"].values()
    by_cell = sorted(models, key=lambda m: m["cell_id"])
    gru = next(m for m in models if m["gates"] > 1 and m["norm"] == "bn")  # G*H is not H; bn
    params = gru["params"]
    first = next(i for i, p in enumerate(params) if p["per_layer"])
    last = max(i for i, p in enumerate(params) if p["per_layer"]) + 1
    bn = [p for p in params[last:] if p["name"].startswith("bn.")]
    tail = [p for p in params[last:] if not p["name"].startswith("bn.")]
    eps = {m["bn_eps"] for m in models if m["norm"] == "bn"}
    momentum = {m["bn_momentum"] for m in models if m["norm"] == "bn"}
    assert len(eps) == 1 and len(momentum) == 1
    lines = ["/* rnnbook's model facts for the kernel (book/_static/facts.json as C), written by",
             " * `python -m rnnbook.facts` from the Python sources: do not edit. */",
             "#ifndef RNNBOOK_FACTS_H", "#define RNNBOOK_FACTS_H", ""]
    lines += [f"#define CELL_{m['cell'].upper()} {m['cell_id']}" for m in by_cell]
    lines += [f"#define CELL_GATES {{{', '.join(str(m['gates']) for m in by_cell)}}}"
              "  /* gates of each cell */",
              f"#define BN_EPS {eps.pop()!r}  /* nn.BatchNorm1d's eps and momentum */",
              f"#define BN_MOMENTUM {momentum.pop()!r}f", "",
              "/* The parameters in PyTorch's named_parameters() order, X(field, rows, columns,",
              " * decayed): LAYOUT_HEAD, then LAYOUT_LAYER for each layer, LAYOUT_TAIL, and",
              " * LAYOUT_BN if the model has batchnorm. V tokens, H hidden units, G gates. */"]
    lines.append(_x_macro("LAYOUT_HEAD", params[:first]))
    lines.append(_x_macro("LAYOUT_LAYER", params[first:last]))
    lines.append(_x_macro("LAYOUT_TAIL", tail))
    lines.append(_x_macro("LAYOUT_BN", bn))
    lines.append("#endif")
    return "\n".join(lines) + "\n"


def write() -> list[Path]:
    """Write the three files; returns those whose text changed."""
    f = facts()
    changed = []
    for kind, text in (("json", facts_json(f)), ("js", facts_js(f)), ("h", facts_h(f))):
        path = FILES[kind]
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for p in write():
        print(f"wrote {p.relative_to(ROOT)}", file=sys.stderr)
