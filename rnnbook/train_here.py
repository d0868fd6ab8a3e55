"""Train in your browser: the panel that trains the book's ``rnn``, ``gru2`` and ``lstm2`` in
the reader's browser, on the book's website (introduced in the widgets chapter).

``train_panel()`` is the HTML of the panel: a ``<div class="rnnbook-train">`` that carries the
recipes' settings (from :data:`~rnnbook.recipes.RECIPES`, so the page has no second copy
of them) and the scripts that draw the panel and train in a Web Worker (:data:`SCRIPTS`: the
model facts of :mod:`rnnbook.facts`, the shared words, ``train-core.js``, ``train.js`` and
``train-panel.js``). In a live kernel the script is not served, and the panel says to use the live
explorer instead.

What runs in the browser computes what this package computes: the same data streams and
token ids as :func:`~rnnbook.data.load_human_numbers`, the batches of
:class:`~rnnbook.data.LMLoader`, validation on :data:`~rnnbook.yardstick.VALID_ROWS` rows,
the layers of :class:`~rnnbook.models.StatefulRNN`, :class:`~rnnbook.models.GRU2` and
:class:`~rnnbook.models.LSTM2` with PyTorch's initial distributions, the cross-entropy, and
AdamW under the one-cycle schedule of :meth:`~rnnbook.learner.Learner.fit_one_cycle`.
``sitecheck/train.py`` proves it in Chromium against PyTorch (loss, gradients, weights
after five steps, a whole run).

Why hand-written WebAssembly (``wasm/trainer.c``, built by ``wasm/build.sh`` with 128-bit
SIMD, about 40 kB) and not a library: a batch of these models is a few hundred small matrix
products (64 x 64 by 64 x 192) and gate functions. TensorFlow.js with its wasm backend would
add over a megabyte to the page (its budget is 2 MB) before the first model, dispatches every
small op through a general graph, and its recurrent layers are Keras's (another gate order and
initialisation), so it would not compute PyTorch's cells without rewriting them in its ops;
onnxruntime-web's training build is several megabytes. Plain JavaScript would do the same
arithmetic about ten times slower than wasm SIMD on this machine's matrix products.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from . import checks
from .facts import BROWSER_MODELS
from .recipes import RECIPES
from .yardstick import VALID_ROWS

__all__ = ["BROWSER_MODELS", "SCRIPTS", "browser_recipes", "train_panel"]

SCRIPT = "../_static/train/train.js"
SCRIPTS = ("../facts.js", "../playground/shared.js", "train-core.js", "train.js", "train-panel.js")
"""The panel's scripts, relative to ``train.js``, in the order the page runs them."""


def _beside(script: str, name: str) -> str:
    """The URL of ``name`` (relative to the folder of ``script``'s URL), ``..`` resolved."""
    folder = script.rpartition("/")[0]
    while name.startswith("../") and folder and not folder.endswith(".."):
        folder, name = folder.rpartition("/")[0], name[3:]
    return f"{folder}/{name}" if folder else name


def browser_recipes(models: Sequence[str] = BROWSER_MODELS) -> dict[str, dict]:
    """The recipes' settings the page trains with, by model key: title, bptt, hidden, bs,
    epochs, lr, wd, pct_start and valid_rows."""
    models = checks.strings("models", models)
    if not set(models) <= set(BROWSER_MODELS):
        checks.refuse("models", models, f"models the browser trains: {', '.join(BROWSER_MODELS)}")
    out = {}
    for key in models:
        r = RECIPES[key]
        out[key] = {"title": r.title, "bptt": r.bptt, "hidden": r.hidden, "bs": r.bs,
                    "epochs": r.epochs, "lr": r.lr, "wd": r.wd, "pct_start": r.pct_start,
                    "valid_rows": VALID_ROWS}
    return out


def train_panel(model: str = "gru2", models: Sequence[str] = BROWSER_MODELS,
                script: str = SCRIPT):
    """The "Train in your browser" panel as notebook HTML, with ``model`` chosen first.

    ``script`` is the URL of ``train.js`` as the page sees it (the default suits the book's
    chapters); the other :data:`SCRIPTS` are found from it.
    """
    from IPython.display import HTML

    recipes = browser_recipes(models)
    checks.one_of("model", model, recipes)
    script = checks.text("script", script, empty=False)
    data = html.escape(json.dumps(recipes, separators=(",", ":")), quote=True)
    tags = "".join(f'<script src="{html.escape(_beside(script, name))}"></script>\n'
                   for name in SCRIPTS)
    return HTML(
        f'<div class="rnnbook-train" data-model="{html.escape(model)}" '
        f'data-rnnbook-recipes="{data}">\n'
        "<p>On the book's website this panel trains the models in your browser. In a "
        "notebook, use the live explorer of the widgets chapter.</p>\n</div>\n" + tags.rstrip("\n"))
