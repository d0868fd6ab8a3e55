"""Tuning minGRU and minLSTM: the sweep behind the chapter "RNNs today".

The chapter's first recipes gave minGRU and minLSTM the GRU's settings (two blocks of width
64, 8 epochs at a peak learning rate of 0.01), untuned. This script sweeps, on the book's task
and yardstick (accuracy at 64 rows, ``History.accuracy``):

- the block around the cell: ``plain`` (embedding, two cells stacked, output layer, like the
  lesson's GRU) or ``block``, the pre-norm residual block of ``rnnbook.modern.MinGRU`` (a
  LayerNorm, the cell, added back; a LayerNorm, an MLP, added back), with 2 blocks of width
  64 or deeper and narrower (3 x 52, 4 x 44, 6 x 36: near the GRU's number of weights);
- expansion: the cell twice as wide as the block, read back by a linear layer, the MLP halved
  (as minGRU-pytorch widens its cell);
- the peak learning rate, the epochs and the weight decay;

in stages: every setting with seed 0 first, then the three best (within 30% of the GRU's
number of weights) with seeds 1 and 2 (a sweep pruned on one seed is noisy: a setting can be
dropped for one unlucky seed); minLSTM with its old recipe and minGRU's picks, its best with
seeds 1 and 2; the GRU's recipe (``gru2``) with seeds 0, 1 and 2, once, as the target.
:func:`pick` chooses the recipes. Every run is one row of ``book/_data/modern_sweep.json``
(settings, seed, accuracy, validation loss, weights, seconds), with the machine, the torch
version and the date. Run (the stored sweep took 22 minutes of one core on a busy two-core
machine)::

    python benchmarks/tune_modern.py                  # all stages, into book/_data/
    python benchmarks/tune_modern.py --stage deep     # one stage
    python benchmarks/tune_modern.py --out /tmp/sweep.json

A stage skips the runs already in the file, so an interrupted sweep resumes where it stopped.
The chapter reads the file; it never runs the sweep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnbook.data import load_human_numbers  # noqa: E402
from rnnbook.experiments import train  # noqa: E402
from rnnbook.learner import SilentReporter  # noqa: E402
from rnnbook.models import StatefulMixin  # noqa: E402
from rnnbook.modern import Block, MinGRULayer, MinLSTMLayer  # noqa: E402
from rnnbook.recipes import RECIPES  # noqa: E402

OUT = ROOT / "book" / "_data" / "modern_sweep.json"


class Cell(nn.Module):
    """A min cell of ``expansion * n_hidden`` units, read back to ``n_hidden`` by a linear
    layer when wider."""

    def __init__(self, cell: str, n_hidden: int, expansion: float):
        super().__init__()
        inner = round(expansion * n_hidden)
        self.inner = inner
        self.cell = {"mingru": MinGRULayer, "minlstm": MinLSTMLayer}[cell](n_hidden, inner)
        self.out = nn.Linear(inner, n_hidden, bias=False) if inner != n_hidden else nn.Identity()

    def forward(self, x, h0=None, parallel=True):
        states = self.cell(x, h0, parallel=parallel)  # (B, T, inner)
        return states, self.out(states)


class Variant(StatefulMixin, nn.Module):
    """minGRU/minLSTM language models for the sweep: ``block=False`` stacks the cells
    (embedding, cells, output layer); ``block=True`` wraps each in the pre-norm residual
    block of :class:`rnnbook.modern.MinGRU` with an MLP of ``mlp * n_hidden`` units.
    Same state handling as ``MinGRU``."""

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2,
                 cell: str = "mingru", block: bool = True, mlp: int = 2,
                 expansion: float = 1.0):
        super().__init__()
        self.n_hidden, self.n_layers, self.block = n_hidden, n_layers, block
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        layers = []
        for _ in range(n_layers):  # each cell, then its block: MinGRU's order of weights
            c = Cell(cell, n_hidden, expansion)
            layers.append(Block(n_hidden, c, mlp=mlp) if block else c)
        self.inner = layers[0].inner if not block else layers[0].mixer.inner
        self.layers = nn.ModuleList(layers)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.parallel = None

    def forward(self, x):
        (h,) = self._state(x, (self.n_layers, x.shape[0], self.inner))
        parallel = self.training if self.parallel is None else self.parallel
        res, last = self.i_h(x), []  # (B, T, H)
        for layer, h0 in zip(self.layers, h, strict=True):
            if self.block:
                states, out = layer.mixer(layer.ln1(res), h0, parallel=parallel)
                res = layer.feed_forward(res + out)
            else:
                states, res = layer(res, h0, parallel=parallel)
            last.append(states[:, -1])
        self._keep(torch.stack(last))
        return self.h_o(res)


def recipe_for(s: dict):
    """The recipe of setting ``s`` (a dict of the sweep's columns)."""
    base = RECIPES[s["model"]]
    if s["model"] not in ("mingru", "minlstm"):
        return base.with_(epochs=s["epochs"], lr=s["lr"], wd=s["wd"], hidden=s["hidden"])
    kwargs = {"cell": s["model"], "block": s["variant"] != "plain", "mlp": s["mlp"],
              "expansion": s["expansion"], "n_layers": s["layers"]}
    return base.with_(make=Variant, model_kwargs=kwargs, epochs=s["epochs"], lr=s["lr"],
                      wd=s["wd"], hidden=s["hidden"])


def setting(model="mingru", variant="block", lr=1e-2, epochs=8, wd=0.01, mlp=2,
            expansion=1.0, layers=2, hidden=64) -> dict:
    if variant == "plain":
        mlp = 0
    return {"model": model, "variant": variant, "lr": lr, "epochs": epochs, "wd": wd,
            "mlp": mlp, "expansion": expansion, "layers": layers, "hidden": hidden}


def n_params(s: dict) -> int:
    r = recipe_for(s)
    model = r.make(len(load_human_numbers().vocab), r.hidden, **r.model_kwargs)
    return sum(p.numel() for p in model.parameters())


def run(s: dict, seed: int) -> dict:
    start = time.perf_counter()
    learn, history = train(recipe_for(s), seed=seed, reporter=SilentReporter())
    return {**s, "seed": seed, "accuracy": history.accuracy,
            "valid_loss": history.rows[-1]["valid_loss"],
            "best_epoch_accuracy": max(r["accuracy"] for r in history.rows),
            "params": sum(p.numel() for p in learn.model.parameters()),
            "seconds": time.perf_counter() - start}


GRU_PARAMS = None  # filled in by main: gru2's parameter count


def stages() -> dict:
    """The sweep's stages: name -> (settings, seeds), or a function of the rows so far that
    returns them (the stages that follow up the best settings)."""
    block = [setting(lr=lr, epochs=ep) for ep in (8, 16) for lr in (3e-3, 1e-2, 3e-2)]
    block += [setting(lr=lr, epochs=30) for lr in (3e-3, 1e-2)]
    # deeper stacks, narrower to stay near the GRU's parameter count (see SIZES)
    deep = [setting(layers=n, hidden=h, epochs=ep) for n, h in ((3, 52), (4, 44), (6, 36))
            for ep in (8, 16)]
    other = [setting(variant="plain", lr=lr) for lr in (1e-2, 3e-2)]
    other += [setting(wd=0.1), setting(expansion=2, mlp=1)]

    def confirm(rows):
        return top(rows, "mingru", 3), (1, 2)

    def minlstm(rows):  # minGRU's picks, for minLSTM
        mine = [{**s, "model": "minlstm"} for s in (pick(rows, "mingru"), *top(rows, "mingru", 1))]
        return [setting(model="minlstm"), *mine], (0,)

    def minlstm_confirm(rows):
        return top(rows, "minlstm", 1), (1, 2)

    return {"deep": (deep, (0,)), "block": (block, (0,)), "other": (other, (0,)),
            "confirm": confirm, "minlstm": minlstm, "minlstm_confirm": minlstm_confirm,
            "gru2": ([setting(model="gru2", epochs=10, variant="-", mlp=0)], (0, 1, 2))}


SETTING_KEYS = tuple(setting())


def key_of(s: dict) -> tuple:
    return tuple(s[k] for k in SETTING_KEYS)


def top(rows: list[dict], model: str, k: int) -> list[dict]:
    """The ``k`` settings of ``model`` with the best seed-0 accuracy among those within 30%
    of the GRU's parameter count."""
    limit = 0.3 * GRU_PARAMS
    seed0 = [r for r in rows if r["model"] == model and r["seed"] == 0
             and abs(r["params"] - GRU_PARAMS) <= limit]
    seed0.sort(key=lambda r: -r["accuracy"])
    return [{k_: r[k_] for k_ in SETTING_KEYS} for r in seed0[:k]]


def pick(rows: list[dict], model: str) -> dict:
    """The recipe's setting: among the settings of ``model`` run with seeds 0, 1 and 2, the
    one with the fewest layers whose mean accuracy is within one standard error of the best
    mean (the "one standard error" rule: with three seeds, means closer than that are not
    told apart; of those, the shallowest stack is the simplest model)."""
    runs: dict[tuple, list[float]] = {}
    for r in rows:
        if r["model"] == model:
            runs.setdefault(key_of(r), []).append(r["accuracy"])
    three = {k: v for k, v in runs.items() if len(v) == 3}
    best = max(three, key=lambda k: statistics.fmean(three[k]))
    bar = statistics.fmean(three[best]) - statistics.stdev(three[best]) / 3 ** 0.5
    near = [k for k in three if statistics.fmean(three[k]) >= bar]
    chosen = min(near, key=lambda k: (dict(zip(SETTING_KEYS, k, strict=True))["layers"],
                                      -statistics.fmean(three[k])))
    return dict(zip(SETTING_KEYS, chosen, strict=True))


def machine() -> dict:
    return {"cpu": platform.processor() or platform.machine(), "threads": 1,
            "python": platform.python_version(), "torch": torch.__version__}


def main() -> None:
    global GRU_PARAMS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--stage", default="all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    GRU_PARAMS = n_params(setting(model="gru2", variant="-", mlp=0))
    record = (json.loads(args.out.read_text()) if args.out.exists()
              else {"rows": []})
    record.update(machine=machine(), gru2_params=GRU_PARAMS,
                  about="benchmarks/tune_modern.py: one row per run; accuracy at 64 rows")
    done = {(key_of(r), r["seed"]) for r in record["rows"]}
    for name, stage in stages().items():
        if args.stage not in ("all", name):
            continue
        settings, seeds = stage(record["rows"]) if callable(stage) else stage
        for s in settings:
            for seed in seeds:
                if (key_of(s), seed) in done:
                    continue
                row = {**run(s, seed), "stage": name}
                record["rows"].append(row)
                done.add((key_of(s), seed))
                record["date"] = dt.date.today().isoformat()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(record, indent=1) + "\n")
                print(f"{name:>16} {s} seed {seed}: {row['accuracy']:.3f} "
                      f"({row['params']} weights, {row['seconds']:.0f} s)", flush=True)
    for model in ("mingru", "minlstm"):
        if any(r["model"] == model and r["stage"].endswith("confirm") for r in record["rows"]):
            print(model, "picked:", pick(record["rows"], model))
    for model in ("gru2", "mingru", "minlstm"):
        groups: dict[tuple, list[float]] = {}
        for r in record["rows"]:
            if r["model"] == model:
                groups.setdefault(key_of(r), []).append(r["accuracy"])
        for k, accs in groups.items():
            if len(accs) == 3:
                print(model, dict(zip(SETTING_KEYS, k, strict=True)),
                      f"{statistics.fmean(accs):.3f} ± {statistics.stdev(accs):.3f}")


if __name__ == "__main__":
    main()
