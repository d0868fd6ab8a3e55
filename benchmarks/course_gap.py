"""Why the first models score higher here than in the course: an ablation.

The course's figures for its first models (lesson 7: 0.409 for ``Model0``, 0.393 for
``Model1``, 0.350 for ``Model2``, 0.443 for ``Model3``) come from the notebook
``nbs/dl1/lesson7-human-numbers.ipynb`` of fastai/course-v3 as of commit
53aecadad6bf34957d366aa1bc8173506a53d11f, run with fastai 1.0.42 (January 2019). Its batches
were exactly ``bptt`` tokens wide (``one_batch()`` printed ``(64, 3)`` and ``(64, 20)``), so those
models did the book's task. This script trains the book's recipes (``fc3``, ``loop3``,
``every``, ``stateful``) with the book's trainer, then with one difference at a time switched to
what that notebook ran, then with all of them at once, and prints the validation accuracy (mean
and standard deviation over the seeds) of each.

The differences (fastai 1.0.42's defaults, read from its source):

- ``eps``: Adam's epsilon, 1e-8 (PyTorch's default; fastai v1's ``AdamW`` set only the betas)
  instead of the book's 1e-5;
- ``decay_all``: weight decay 0.01 on every parameter (``bn_wd=True``; biases were not split
  off until 1.0.43) instead of none on biases and batchnorm;
- ``schedule``: one cycle with ``pct_start=0.3`` (where the recipe does not set it) and a final
  learning rate of ``lr / 25 / 1e4`` instead of 0.25 and ``lr / 25 / 1e5``;
- ``train_rows`` and ``valid_rows``: the training or the validation stream cut as
  ``LanguageModelPreLoader`` cut it: row ``i`` starts at token ``int(i * n / bs)`` of the
  ``n``-token stream, each row holds ``ceil(n / (bptt * bs))`` windows and runs on past the end of
  the stream into its start, instead of rows of ``(n - 1) // bs`` tokens, the rest dropped;
- ``vocab``: 38 tokens (fastai had 8 special tokens and no padding to a multiple of 8) instead of
  40;
- ``bn_init``: batchnorm's scale drawn from U(0, 1), as PyTorch 1.0 did, instead of 1;
- ``state`` (``stateful`` only): the course's ``Model3`` never emptied its state, not between
  epochs nor before validation;
- ``bn_per_step`` (``stateful`` only): ``Model3`` normalised each time step with its own batch
  statistics (``BatchNorm1d`` inside the loop) instead of all steps of a batch together.

``python benchmarks/course_gap.py`` prints the table; ``--json PATH`` also writes it (the book
keeps it in ``book/_data/course_gap.json``, shown in the chapter "Three words in, one word out").
Every run uses one CPU thread and is seeded, so a run gives the same numbers on the same machine
and versions.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rnnbook import models
from rnnbook.data import (
    SPECIAL_TOKENS,
    TRAIN_RANGE,
    VALID_RANGE,
    LMLoader,
    Vocab,
    load_human_numbers,
    number_lines,
    tokenize,
)
from rnnbook.learner import set_seed
from rnnbook.recipes import get_recipe
from rnnbook.yardstick import VALID_ROWS

COMMIT = "53aecadad6bf34957d366aa1bc8173506a53d11f"
NOTEBOOK = f"https://github.com/fastai/course-v3/blob/{COMMIT}/nbs/dl1/lesson7-human-numbers.ipynb"
COURSE = {"fc3": 0.409, "loop3": 0.393, "every": 0.350, "stateful": 0.443}
"""The accuracies the notebook printed after the last epoch (its last row, rounded as the
course rounds them)."""

BOOK = {"eps": 1e-5, "decay_all": False, "schedule": "book", "train_rows": "book",
        "valid_rows": "book", "vocab": 40,
        "bn_init": "ones", "state": "reset", "bn_per_step": False}
"""The book's settings (``rnnbook.learner.Learner.fit_one_cycle`` and ``LMLoader``)."""

SWITCH = {"eps": 1e-8, "decay_all": True, "schedule": "fastai", "train_rows": "fastai",
          "valid_rows": "fastai", "vocab": 38,
          "bn_init": "uniform", "state": "kept", "bn_per_step": True}
"""Each setting as the course's notebook ran it."""

LABELS = {"eps": "Adam eps 1e-8", "decay_all": "decay on biases and batchnorm",
          "schedule": "fastai's schedule", "train_rows": "fastai's rows for training",
          "valid_rows": "fastai's rows for validation",
          "vocab": "38-token vocabulary", "bn_init": "batchnorm scale ~ U(0, 1)",
          "state": "state never emptied", "bn_per_step": "batchnorm per time step"}

STATEFUL_ONLY = ("state", "bn_per_step")


def variants(key: str) -> list[tuple[str, dict]]:
    """The rows of the ablation for recipe ``key``: the book, each switch, everything."""
    names = [n for n in SWITCH if key == "stateful" or n not in STATEFUL_ONLY]
    rows = [("book", {})]
    rows += [(LABELS[n], {n: SWITCH[n]}) for n in names]
    rows += [("all but the batchnorm scale", {n: SWITCH[n] for n in names if n != "bn_init"})]
    rows += [("all (the course's setup)", {n: SWITCH[n] for n in names})]
    return rows


def course_vocab_data() -> tuple[torch.Tensor, torch.Tensor, int]:
    """The two streams numericalised with fastai 1.0.42's 38-token vocabulary (no ``xxeos``,
    no padding)."""
    train_tokens = tokenize(number_lines(TRAIN_RANGE))
    valid_tokens = tokenize(number_lines(VALID_RANGE))
    book = Vocab.from_tokens(train_tokens)
    itos = [t for t in SPECIAL_TOKENS if t != "xxeos"] + [
        t for t in book.itos if t not in SPECIAL_TOKENS and t != "xxfake"]
    vocab = Vocab(itos)
    return vocab.numericalize(train_tokens), vocab.numericalize(valid_tokens), len(vocab)


class PreLoader:
    """fastai 1.0.42's ``LanguageModelPreLoader`` over one stream: ``bs`` rows, row ``i`` from
    token ``int(i * n / bs)``, ``ceil(n / (bptt * bs))`` windows of ``bptt`` per row, read
    round the stream (after its last token comes its first)."""

    def __init__(self, stream: torch.Tensor, bs: int, bptt: int):
        n = len(stream)
        self.n_batches = math.ceil(n / (bptt * bs))
        width = self.n_batches * bptt + 1
        starts = [int(i * (n / bs)) for i in range(bs)]
        index = torch.tensor([[(s + t) % n for t in range(width)] for s in starts])
        rows = stream[index]
        self.x, self.y, self.bptt = rows[:, :-1], rows[:, 1:], bptt

    def __len__(self) -> int:
        return self.n_batches

    def __iter__(self):
        for k in range(self.n_batches):
            cols = slice(k * self.bptt, (k + 1) * self.bptt)
            yield self.x[:, cols], self.y[:, cols]


class StatefulPerStep(models.Stateful):
    """The course's ``Model3``: :class:`~rnnbook.models.Stateful` with batchnorm applied to
    each time step on its own (``BatchNorm1d`` inside the loop)."""

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__(vocab_size, n_hidden)
        self.bn = nn.BatchNorm1d(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h,) = self._state(x, (x.shape[0], self.n_hidden))
        hs = []
        for i in range(x.shape[1]):
            h = h + self.i_h(x[:, i])
            h = F.relu(self.h_h(h))
            hs.append(self.bn(h))
        self._keep(h)
        return self.h_o(torch.stack(hs, dim=1))


def _groups(model: nn.Module, wd: float, decay_all: bool) -> list[dict]:
    if decay_all:
        return [{"params": list(model.parameters()), "weight_decay": wd}]
    decay, no_decay = [], []
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            is_norm = isinstance(module, nn.modules.batchnorm._BatchNorm)
            (no_decay if is_norm or name.startswith("bias") else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def _scored(model: nn.Module, out: torch.Tensor, y: torch.Tensor):
    if getattr(model, "predicts_last", False):
        return out, y[:, -1]
    return out.reshape(-1, out.shape[-1]), y.reshape(-1)


def _reset(model: nn.Module, state: str) -> None:
    if state == "reset" and hasattr(model, "reset"):
        model.reset()


@torch.no_grad()
def _validate(model: nn.Module, valid, state: str) -> tuple[float, float]:
    model.eval()
    _reset(model, state)
    loss = correct = count = 0
    for x, y in valid:
        out, target = _scored(model, model(x), y)
        loss += F.cross_entropy(out, target, reduction="sum").item()
        correct += (out.argmax(-1) == target).sum().item()
        count += target.numel()
    return loss / count, correct / count


def run(key: str, seed: int = 0, **switches) -> list[dict]:
    """Train recipe ``key`` with the book's settings, except ``switches`` (names and values as
    in :data:`SWITCH`); one row per epoch: the mean training loss, the validation loss and
    accuracy."""
    s = {**BOOK, **switches}
    recipe = get_recipe(key)
    if s["vocab"] == 38:
        train_stream, valid_stream, vocab_size = course_vocab_data()
    else:
        data = load_human_numbers()
        train_stream, valid_stream, vocab_size = data.train, data.valid, len(data.vocab)
    train_dl = (PreLoader(train_stream, recipe.bs, recipe.bptt) if s["train_rows"] == "fastai"
                else LMLoader(train_stream, recipe.bs, recipe.bptt, recipe.drop_last))
    valid_dl = (PreLoader(valid_stream, VALID_ROWS, recipe.bptt) if s["valid_rows"] == "fastai"
                else LMLoader(valid_stream, VALID_ROWS, recipe.bptt, recipe.drop_last))
    set_seed(seed)
    make = StatefulPerStep if s["bn_per_step"] else recipe.make
    model = make(vocab_size, recipe.hidden)
    if s["bn_init"] == "uniform":
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                nn.init.uniform_(m.weight)
    set_seed(seed)
    pct_start = recipe.pct_start
    if s["schedule"] == "fastai":
        pct_start = 0.3 if recipe.pct_start == 0.25 else recipe.pct_start
    final_div = 1e4 if s["schedule"] == "fastai" else 1e5
    opt = torch.optim.AdamW(_groups(model, recipe.wd, s["decay_all"]), lr=recipe.lr,
                            betas=(0.9, 0.99), eps=s["eps"])
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=recipe.lr, total_steps=recipe.epochs * len(train_dl), pct_start=pct_start,
        div_factor=25.0, final_div_factor=final_div, base_momentum=0.85, max_momentum=0.95)
    rows = []
    for _ in range(recipe.epochs):
        model.train()
        _reset(model, s["state"])
        losses = []
        for x, y in train_dl:
            loss = F.cross_entropy(*_scored(model, model(x), y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        valid_loss, accuracy = _validate(model, valid_dl, s["state"])
        rows.append({"train_loss": sum(losses) / len(losses), "valid_loss": valid_loss,
                     "accuracy": accuracy})
    return rows


def ablation(keys: list[str], seeds: int, only: list[str] | None = None,
             quiet: bool = False) -> list[dict]:
    """The rows of :func:`variants` (those labelled in ``only``, if given) for each recipe of
    ``keys``, each over seeds ``0..seeds-1``."""
    rows = []
    for key in keys:
        for label, switches in variants(key):
            if only is not None and label not in only:
                continue
            start = time.perf_counter()
            accs = [run(key, seed, **switches)[-1]["accuracy"] for seed in range(seeds)]
            row = {"model": key, "variant": label, "switches": switches, "accuracies": accs,
                   "mean": statistics.mean(accs),
                   "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                   "seconds": time.perf_counter() - start}
            rows.append(row)
            if not quiet:
                print(f"{key:<9} {label:<38} {row['mean']:.3f} ± {row['sd']:.3f}  "
                      f"({', '.join(f'{a:.3f}' for a in accs)})  {row['seconds']:.0f} s",
                      flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="fc3,loop3,every,stateful")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default=None,
                        help="comma-separated row labels to run (default: every row)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the rows here (replacing the rows of the same models "
                             "if the file exists)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    keys = args.models.split(",")
    rows = ablation(keys, args.seeds, args.only.split(",") if args.only else None)
    if args.json is not None:
        kept = []
        if args.json.is_file():
            kept = [r for r in json.loads(args.json.read_text())["rows"] if r["model"] not in keys]
        out = {"commit": COMMIT, "notebook": NOTEBOOK, "course": COURSE,
               "date": date.today().isoformat(), "torch": torch.__version__,
               "machine": platform.machine(), "rows": kept + rows}
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
