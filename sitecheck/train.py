"""Check "Train in your browser" on the built site, in headless Chromium, against PyTorch.

Usage: ``python -m sitecheck.train [_build/html] [--shots DIR] [--only NAME[,NAME]]``: every
check by default; ``--only`` names checks or groups of them (``--help`` lists both). The checks
are one function each, registered by name in ``CHECKS``; the parts that run in the page are the
functions of ``sitecheck/train_checks.js``.

On ``book/widgets.html`` (the page with the panel and ``window.rnnbookTrain``):

- **data**: **tokens**, the worker's vocabulary and train/valid token ids equal
  ``load_human_numbers()``'s, and its batches equal ``LMLoader``'s (several ``bs``/``bptt``, the
  short last batch included).
  Its copies of small pieces of the package equal theirs (the group **mirrors**):
  **smoothing**, the loss smoothing of ``rnnbook.plotting.smooth``; **one-cycle**, the learning
  rate and beta1 at every step, against ``OneCycleLR`` as ``Learner.fit_one_cycle`` sets it up;
  **init**, PyTorch's initial distributions (bounds, mean and spread of every parameter).
- **exact**, for ``rnn``, ``gru2`` and ``lstm2`` at the recipe's sizes: PyTorch's initial weights
  and five training batches go to the page. On every batch (the state carried from one to the
  next) the loss agrees within 1e-5 (relative) and every parameter's gradient within 1e-4
  (max |difference| / max |value|); after 5 steps of ``Learner.fit_one_cycle`` (AdamW, the
  one-cycle schedule of the recipe's whole run) every weight agrees within 1e-3 (absolute),
  and so do batchnorm's running statistics. It also prints how far the page's gradients and
  PyTorch's (both float32) are from the same gradients computed in float64.
- **run**: ``gru2`` trained for 3 epochs with the recipe, from the same initial weights, in the
  page and in PyTorch: the final validation accuracies differ by at most 1 point. Both epoch
  tables are printed.
- **ui**, the checks below. **weight**: the panel adds at most 2 MB to the page's weight (it
  prints how much). The entry point: **settings**, out-of-range settings are refused with the
  setting and its range named; **worker-settings**, the worker refuses them too;
  **small-run**, a small run finishes; **diverged**, a run whose loss turns non-finite resolves
  ``diverged: true`` with a message naming epoch and batch. **no-worker**: a browser without
  Web Workers gets a message. On the panel, desktop and 390 px wide: **labels**, every control
  has a label; **responsive** (desktop), while the panel trains ``requestAnimationFrame`` fires
  at least 20 times a second (on a machine so busy that the idle page paints fewer, at least 3/4
  of the idle rate); **stop**, Stop ends the run within one batch; **epoch-table**, a run to its
  end fills the epoch table; **compare**, two runs are compared; **open-run**, a run opens in
  the playground on the same page; **axe**, axe-core finds no serious or critical violation
  after the runs; **overflow**, nothing sticks out of the panel; **form-range**, the form
  refuses an out-of-range value, naming the setting and its range, and the two runs (the
  stopped one kept) are all the table has. **playground-page**: on the playground chapter, a
  run opens in the chapter's playground. No page may report a JavaScript error.

``--shots DIR`` saves screenshots (desktop and 390 px wide, during and after a run). Exits 1
listing the problems.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sitecheck import report
from sitecheck.a11y import AXE, FAILING
from sitecheck.browser import open_browser, serve, watch

ROOT = Path(__file__).resolve().parent.parent

PAGE = "book/widgets.html"
PLAYGROUND_PAGE = "book/playground.html"  # the panel is there too (not on the one-page site)
FACTS = json.loads((Path(__file__).resolve().parents[1] / "book" / "_static" / "facts.json")
                   .read_text(encoding="utf-8"))
"""The model facts the page reads (``python -m rnnbook.facts`` writes them from the package)."""
SETTINGS = FACTS["settings"]
MODELS = tuple(FACTS["models"])
LOSS_TOL, GRAD_TOL, WEIGHT_TOL, ACC_TOL = 1e-5, 1e-4, 1e-3, 0.01
N_BATCHES, N_STEPS = 5, 5
READY = "() => !!(window.rnnbookTrain && document.querySelector('.rnntr'))"


def tiny_site(folder: Path) -> Path:
    """A one-page site in ``folder``: ``book/widgets.html`` with the panel, and the book's
    ``_static/train`` and ``_static/playground`` (without models). For the tests and the
    benchmark, which need no built book."""
    import shutil

    from rnnbook.train_here import train_panel

    for name in ("train", "playground"):
        shutil.copytree(ROOT / "book" / "_static" / name, folder / "_static" / name,
                        ignore=shutil.ignore_patterns("models"))
    shutil.copy(ROOT / "book" / "_static" / "facts.js", folder / "_static" / "facts.js")
    (folder / "book").mkdir(parents=True, exist_ok=True)
    (folder / PAGE).write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Train here</title>"
        "<link rel='icon' href='data:,'></head>"
        f"<body><main><h1>Train here</h1>{train_panel('gru2').data}</main></body></html>")
    return folder


def _torch():
    import torch
    import torch.nn.functional as F

    return torch, F


def export_weights(model) -> dict[str, list[float]]:
    """A model's parameters and batchnorm's running statistics, by name, as lists."""
    return {name: t.detach().flatten().tolist() for name, t in model.state_dict().items()
            if t.is_floating_point()}


def exactness_case(key: str, seed: int = 0) -> tuple[dict, dict]:
    """The page's spec for the exactness check of ``key`` and PyTorch's answers: losses and
    gradients of N_BATCHES batches (state carried), weights after N_STEPS one-cycle steps."""
    import copy

    from rnnbook.data import load_human_numbers
    from rnnbook.learner import Learner, SilentReporter, loss_and_correct, set_seed
    from rnnbook.recipes import get_recipe
    from rnnbook.yardstick import VALID_ROWS

    torch, F = _torch()
    torch.set_num_threads(1)
    recipe, data = get_recipe(key), load_human_numbers()
    set_seed(seed)
    model = recipe.make(len(data.vocab), recipe.hidden)
    start = copy.deepcopy(model)
    train_dl, valid_dl = data.loaders(recipe.bs, recipe.bptt, valid_bs=VALID_ROWS)
    batches = [b for _, b in zip(range(N_BATCHES), train_dl, strict=False)]
    model.train()
    model.reset()
    losses, grads = [], []
    for x, y in batches:
        model.zero_grad(set_to_none=True)
        loss = loss_and_correct(model, model(x), y)[0]
        loss.backward()
        losses.append(loss.item())
        grads.append({n: p.grad.detach().clone() for n, p in model.named_parameters()})
    # the same in float64: how far each float32 answer is from the exact gradient
    exact = copy.deepcopy(start).double()
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the zero state the model makes
    try:
        exact.train()
        exact.reset()
        grads64 = []
        for x, y in batches:
            exact.zero_grad(set_to_none=True)
            loss_and_correct(exact, exact(x), y)[0].backward()
            grads64.append({n: p.grad.detach().clone() for n, p in exact.named_parameters()})
    finally:
        torch.set_default_dtype(saved)
    stepped = copy.deepcopy(start)
    learn = Learner(stepped, train_dl, valid_dl, device="cpu")
    done = []
    learn.fit_one_cycle(recipe.epochs, recipe.lr, wd=recipe.wd, pct_start=recipe.pct_start,
                        reporter=SilentReporter(), should_stop=lambda: done.append(1) or len(done) >= N_STEPS)
    spec = {"kind": FACTS["models"][key]["cell"], "H": recipe.hidden,
            "weights": export_weights(start),
            "batches": [{"x": x.flatten().tolist(), "y": y.flatten().tolist(), "B": x.shape[0],
                         "T": x.shape[1]} for x, y in batches],
            "steps": N_STEPS, "lr": recipe.lr, "wd": recipe.wd, "pctStart": recipe.pct_start,
            "total": recipe.epochs * len(train_dl)}
    ref = {"losses": losses, "grads": grads, "grads64": grads64, "after": stepped.state_dict()}
    return spec, ref


def compare_exactness(key: str, got: dict, ref: dict) -> tuple[list[str], dict]:
    """Problems and figures (worst loss, gradient and weight differences) for one model."""
    torch, _ = _torch()
    problems, worst = [], {"loss": 0.0, "grad": 0.0, "weight": 0.0, "page64": 0.0, "torch64": 0.0}
    for i, (a, b) in enumerate(zip(got["losses"], ref["losses"], strict=True)):
        rel = abs(a - b) / abs(b)
        worst["loss"] = max(worst["loss"], rel)
        if rel > LOSS_TOL:
            problems.append(f"{key}: batch {i} loss {a:.8f} vs PyTorch {b:.8f} (relative {rel:.1e})")
    for i, (g_js, g_pt) in enumerate(zip(got["grads"], ref["grads"], strict=True)):
        for name, g in g_pt.items():
            scale = max(g.abs().max().item(), 1e-30)
            d = (torch.tensor(g_js[name]) - g.flatten()).abs().max().item() / scale
            worst["grad"] = max(worst["grad"], d)
            g64 = ref["grads64"][i][name].flatten()
            worst["page64"] = max(worst["page64"], (torch.tensor(g_js[name], dtype=torch.float64)
                                                    - g64).abs().max().item() / scale)
            worst["torch64"] = max(worst["torch64"], (g.flatten().double() - g64).abs().max().item() / scale)
            if d > GRAD_TOL:
                problems.append(f"{key}: batch {i} gradient of {name} differs by {d:.1e} "
                                "of its largest value")
    for name, w in ref["after"].items():
        if not w.is_floating_point():
            continue
        diff = (torch.tensor(got["after"][name]) - w.flatten()).abs()
        d = diff.max().item()
        worst["weight"] = max(worst["weight"], d)
        if d > WEIGHT_TOL:
            idx = (diff > WEIGHT_TOL).nonzero().flatten().tolist()[:5]
            problems.append(f"{key}: after {N_STEPS} steps {name} differs by {d:.1e} at flat indices {idx}")
    return problems, worst


def data_case() -> tuple[dict, dict]:
    """The data check's spec (a few loaders) and the package's answer."""
    from rnnbook.data import LMLoader, load_human_numbers

    data = load_human_numbers()
    loaders = [(64, 20), (64, 70), (37, 3), (64, 16)]
    spec = {"data": True, "loaders": [{"bs": bs, "bptt": bptt, "stream": "train" if i % 2 == 0 else "valid"}
                                      for i, (bs, bptt) in enumerate(loaders)]}
    ref = {"itos": data.vocab.itos, "train": data.train.tolist(), "valid": data.valid.tolist(),
           "loaders": []}
    for i, (bs, bptt) in enumerate(loaders):
        dl = LMLoader(data.train if i % 2 == 0 else data.valid, bs, bptt)
        batches = list(dl)
        pick = sorted({0, 1, len(batches) - 1})
        ref["loaders"].append({"n": len(batches), "batches": {
            k: {"x": batches[k][0].flatten().tolist(), "y": batches[k][1].flatten().tolist()} for k in pick}})
    return spec, ref


# --- the page-side halves of the checks ----------------------------------------------------------

JS_FILE = Path(__file__).with_name("train_checks.js")


def load_js(path: Path = JS_FILE) -> dict[str, str]:
    """The functions of ``train_checks.js`` by name, as source for ``page.evaluate``: a line
    ``// @name: ...`` starts one (comment lines right after it belong to the header), its
    closing ``;`` ends it."""
    pieces: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in path.read_text().splitlines():
        header = re.match(r"// @(\w+):", line)
        if header:
            lines = pieces[header.group(1)] = []
        elif lines is not None and (lines or not line.startswith("//")):
            lines.append(line)
    return {name: "\n".join(body).strip().removesuffix(";") for name, body in pieces.items()}


JS = load_js()


# --- what the checks work with -------------------------------------------------------------------

class Visit:
    """The browser, the served site (its URL ``base`` and folder ``site``) and where screenshots
    go; ``page`` is the widgets page, opened on first use and shared by the page checks in
    turn; ``close_page()`` closes it and returns its JavaScript errors as problems."""

    def __init__(self, browser, base: str, site: Path, shots: Path | None = None):
        self.browser, self.base, self.site, self.shots = browser, base, site, shots
        self._page, self._errors = None, []

    @property
    def page(self):
        if self._page is None:
            self._page = self.browser.new_page()
            self._errors = watch(self._page, self.base)
            self._page.goto(f"{self.base}/{PAGE}")
            self._page.wait_for_function(READY, timeout=30_000)
        return self._page

    def close_page(self) -> list[str]:
        if self._page is None:
            return []
        self._page.close()
        self._page = None
        return [f"page: {e}" for e in self._errors]


CHECKS: dict[str, tuple[str, Callable]] = {}
"""Every check by name, in the order they run, with its kind: ``page`` (on the shared widgets
page, ``fn(visit)``), ``browser`` (opens its own page, ``fn(visit)``) or ``panel`` (on the panel
at each width, ``fn(tour)``; the tour runs the chosen ones in this order)."""


def check(name: str, kind: str = "page") -> Callable[[Callable], Callable]:
    """Register a check under ``name`` (see :data:`CHECKS`)."""
    def register(fn: Callable) -> Callable:
        CHECKS[name] = (kind, fn)
        return fn
    return register


# --- data, the mirrored pieces, exactness, a whole run -------------------------------------------

CHECK = "async (spec) => await window.rnnbookTrain.check(spec)"


@check("tokens")
def check_tokens(visit: Visit) -> list[str]:
    """The worker's vocabulary, token ids and batches equal the package's."""
    spec, ref = data_case()
    got = visit.page.evaluate(CHECK, spec)
    problems = [f"data: the page's {k} differs from load_human_numbers()'s"
                for k in ("itos", "train", "valid") if got[k] != ref[k]]
    for i, (g, r) in enumerate(zip(got["loaders"], ref["loaders"], strict=True)):
        if g["n"] != r["n"] or any(g["batches"][str(k)] != v for k, v in r["batches"].items()):
            problems.append(f"data: loader {spec['loaders'][i]} differs from LMLoader's")
    print(f"data: {len(ref['itos'])} tokens, streams of {len(ref['train'])} and {len(ref['valid'])} "
          f"ids, {len(ref['loaders'])} loaders compared: {'same' if not problems else 'DIFFERENT'}")
    return problems


@check("smoothing")
def check_smoothing(visit: Visit) -> list[str]:
    """The page's loss smoothing is ``rnnbook.plotting.smooth``'s."""
    import math

    from rnnbook.plotting import smooth

    values = [3.9 - 0.01 * i + 0.3 * math.sin(i) for i in range(200)]
    got = visit.page.evaluate("(v) => window.rnnbookTrain.smooth(v, 0.9)", values)
    d = max(abs(a - b) for a, b in zip(got, smooth(values), strict=True))
    print(f"mirrors: loss smoothing: max difference {d:.0e}")
    return [f"the page's smoothing differs from plot_history's by {d:.1e}"] if d > 1e-12 else []


@check("one-cycle")
def check_one_cycle(visit: Visit) -> list[str]:
    """The page's one-cycle schedule (learning rate and beta1 at every step) is
    ``torch.optim.lr_scheduler.OneCycleLR``'s as ``Learner.fit_one_cycle`` sets it up."""
    from rnnbook.learner import ADAM_BETAS, ADAM_EPS, CYCLE_MOMENTUM, param_groups
    from rnnbook.recipes import get_recipe

    torch, _ = _torch()
    worst, opt_facts = 0.0, FACTS["optimizer"]
    for total, lr, pct in ((100, 1e-2, 0.25), (37, 3e-3, 0.1)):
        model = get_recipe("gru2").make(40, 8)
        opt = torch.optim.AdamW(param_groups(model, 0.01), lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=total, pct_start=pct, div_factor=opt_facts["div"],
            final_div_factor=opt_facts["final_div"], max_momentum=CYCLE_MOMENTUM[0],
            base_momentum=CYCLE_MOMENTUM[1])
        ref = []
        for _ in range(total):
            g = opt.param_groups[0]
            ref.append((g["lr"], g["betas"][0]))
            opt.step()
            sched.step()
        got = visit.page.evaluate("([t, lr, p]) => [...Array(t).keys()].map(s => "
                                  "window.rnnbookTrainCore.oneCycle(s, t, lr, p))", [total, lr, pct])
        for (a, b), (c, e) in zip(got, ref, strict=True):
            worst = max(worst, abs(a - c) / c, abs(b - e))
    print(f"mirrors: one-cycle lr and beta1: relative difference {worst:.0e}")
    if worst > 1e-12:
        return [f"the page's one-cycle schedule differs from OneCycleLR's by {worst:.1e}"]
    return []


@check("init")
def check_init(visit: Visit) -> list[str]:
    """The page's initial weights follow PyTorch's distributions: bounds, and mean and spread
    within 4 standard errors, of every parameter."""
    import math

    problems = []
    stats = visit.page.evaluate(JS["init_stats"])
    for name, st in stats.items():
        key = name.split(" ")[1]
        if key.startswith("bn."):  # weight 1, bias 0
            want = 1.0 if key == "bn.weight" else 0.0
            if st["std"] != 0 or st["mean"] != want:
                problems.append(f"init: {name} is not all {want}")
            continue
        bound = None if key == "i_h.weight" else 1 / math.sqrt(64)
        want_std = 1.0 if bound is None else bound / math.sqrt(3)  # N(0, 1) or U(-b, b)
        if bound is not None and st["max"] > bound:
            problems.append(f"init: {name} has |w| up to {st['max']:.3f}, over PyTorch's bound {bound:.3f}")
        n = st["n"]  # 4 standard errors of the mean and of the standard deviation
        if abs(st["mean"]) > 4 * want_std / math.sqrt(n) or \
                abs(st["std"] - want_std) > 4 * want_std / math.sqrt(2 * n):
            problems.append(f"init: {name} has mean {st['mean']:.4f} and std {st['std']:.4f}, "
                            f"PyTorch's distribution has mean 0 and std {want_std:.4f}")
    print(f"mirrors: initial distributions of {len(stats)} parameters: "
          f"{'same' if not problems else 'DIFFERENT'}")
    return problems


@check("exact")
def check_exact(visit: Visit) -> list[str]:
    """Losses, gradients and weights after one-cycle steps of every model equal PyTorch's."""
    print(f"exactness against PyTorch ({N_BATCHES} batches with the state carried; weights after "
          f"{N_STEPS} one-cycle steps):")
    print(f"{'model':>6} {'loss (rel)':>11} {'grad (rel)':>11} {'weights (abs)':>14}   "
          "grad vs float64: page, PyTorch")
    problems = []
    for key in MODELS:
        spec, ref = exactness_case(key)
        got = visit.page.evaluate(CHECK, spec)
        p, worst = compare_exactness(key, got, ref)
        problems += p
        print(f"{key:>6} {worst['loss']:>11.1e} {worst['grad']:>11.1e} {worst['weight']:>14.1e}   "
              f"{worst['page64']:.1e}, {worst['torch64']:.1e}")
    print(f"tolerances: loss {LOSS_TOL:g}, gradients {GRAD_TOL:g}, weights {WEIGHT_TOL:g}")
    return problems


def whole_run(page, seed: int = 0, epochs: int = 3) -> tuple[list[str], dict]:
    """gru2 for ``epochs`` epochs in the page and in PyTorch from the same initial weights."""
    from rnnbook.experiments import build
    from rnnbook.learner import SilentReporter
    from rnnbook.recipes import get_recipe

    torch, _ = _torch()
    torch.set_num_threads(1)
    recipe = get_recipe("gru2")
    learn = build("gru2", seed=seed, device="cpu")
    weights = export_weights(learn.model)
    t0 = time.perf_counter()
    hist = learn.fit_one_cycle(epochs, recipe.lr, wd=recipe.wd, pct_start=recipe.pct_start,
                               reporter=SilentReporter())
    pt_seconds = time.perf_counter() - t0
    res = page.evaluate(JS["train_weights"], [weights, "gru2", epochs])
    problems = []
    print(f"gru2, {epochs} epochs, seed {seed}'s initial weights, in PyTorch "
          f"(CPU, 1 thread, {pt_seconds:.1f} s):")
    print(_table(hist.rows))
    print("in the page (Chromium, WebAssembly):")
    print(_table(res["rows"]))
    if res["diverged"] or len(res["rows"]) != epochs:
        problems.append(f"the page's run did not finish: {res['message']}")
        return problems, {}
    a_js, a_pt = res["rows"][-1]["accuracy"], hist.rows[-1]["accuracy"]
    print(f"final accuracy: page {a_js:.4f}, PyTorch {a_pt:.4f}, "
          f"difference {abs(a_js - a_pt) * 100:.2f} points")
    if abs(a_js - a_pt) > ACC_TOL:
        problems.append(f"whole run: accuracy {a_js:.4f} in the page vs {a_pt:.4f} in PyTorch")
    return problems, {"page": a_js, "torch": a_pt}


@check("run")
def check_whole_run(visit: Visit) -> list[str]:
    """gru2's final accuracy after 3 epochs in the page is within 1 point of PyTorch's."""
    return whole_run(visit.page)[0]


def _table(rows: list[dict]) -> str:
    lines = [f"{'epoch':>6} {'train_loss':>11} {'valid_loss':>11} {'accuracy':>9} {'time':>7}"]
    for r in rows:
        lines.append(f"{r['epoch']:>6} {r['train_loss']:>11.6f} {r['valid_loss']:>11.6f} "
                     f"{r['accuracy']:>9.6f} {r['time']:>6.2f}s")
    return "\n".join(lines)


# --- the entry point and the page's weight -------------------------------------------------------

PANEL_FILES = ("_static/facts.js", "_static/train/train.js", "_static/train/train-panel.js",
               "_static/train/train.css", "_static/train/train-worker.js",
               "_static/train/train-core.js", "_static/train/trainer.wasm",
               "_static/playground/shared.js", "_static/playground/model.js",
               "_static/playground/playground.js")
BUDGET = 2_000_000  # bytes the panel may add to a page


def panel_weight(site: Path) -> tuple[list[str], int]:
    """What the panel adds to a page: the bytes of every file it loads (the worker loads the
    playground's script for the number words, the page loads it to open a run)."""
    sizes = {f: (site / f).stat().st_size for f in PANEL_FILES if (site / f).is_file()}
    missing = [f for f in PANEL_FILES if f not in sizes]
    total = sum(sizes.values())
    parts = ", ".join(f"{Path(f).name} {b / 1000:.0f} kB" for f, b in sizes.items())
    print(f"page weight: the panel adds {parts}: {total / 1000:.0f} kB in all "
          f"(budget {BUDGET / 1e6:.0f} MB)")
    problems = [f"the site lacks {f}" for f in missing]
    if total > BUDGET:
        problems.append(f"the panel adds {total} bytes, over the budget of {BUDGET}")
    return problems, total


@check("weight")
def check_weight(visit: Visit) -> list[str]:
    """The panel's files are all there and add at most 2 MB to a page."""
    return panel_weight(visit.site)[0]


@check("settings")
def check_settings_refused(visit: Visit) -> list[str]:
    """``window.rnnbookTrain.train`` rejects each out-of-range setting with an Error naming the
    setting and its range (or its choices)."""
    problems = []
    bad = {"bptt": 1, "hidden": SETTINGS["hidden"]["max"] + 1, "bs": 0, "epochs": 0.5, "lr": -1,
           "seed": -1, "model": "fc3"}
    for key, value in bad.items():
        msg = visit.page.evaluate(JS["refusal"], {key: value})
        if key not in msg or ("to" not in msg and "one of" not in msg) or msg.startswith("not an Error"):
            problems.append(f"train({{{key}: {value!r}}}) gave {msg!r}")
    return problems


@check("worker-settings")
def check_worker_refuses(visit: Visit) -> list[str]:
    """The worker refuses an out-of-range setting too, with a message (not a crash)."""
    msg = visit.page.evaluate(JS["worker_hidden_500"])
    print(f"the worker, asked for hidden 500: {msg}")
    r = SETTINGS["hidden"]
    if not msg.startswith(f"error: hidden must be an integer from {r['min']} to {r['max']}"):
        return [f"the worker's answer to hidden 500 is {msg!r}"]
    return []


@check("small-run")
def check_small_run(visit: Visit) -> list[str]:
    """A small rnn run through the entry point finishes its one epoch."""
    res = visit.page.evaluate("() => window.rnnbookTrain.train({model: 'rnn', epochs: 1, bptt: 10, "
                              "hidden: 16})")
    if res["diverged"] or len(res["rows"]) != 1:
        return [f"a small rnn run did not finish: {res}"]
    return []


@check("diverged")
def check_divergence(visit: Visit) -> list[str]:
    """A run whose loss is not finite at the first batch resolves ``diverged: true`` with a
    message naming epoch and batch, and is listed as diverged."""
    problems = []
    res = visit.page.evaluate(JS["overflowing_rnn"])
    print(f"a run whose loss is not finite: diverged {res['diverged']}: {res['message']}")
    if not res["diverged"] or "epoch 0, batch 0" not in res["message"] or "lower" not in res["message"]:
        problems.append(f"a non-finite loss was not reported as a divergence: {res}")
    table = visit.page.evaluate("() => window.rnnbookTrain.runs.at(-1).status")
    if table != "diverged":
        problems.append(f"the diverged run is listed as {table!r}")
    return problems


@check("no-worker", "browser")
def check_no_worker(visit: Visit) -> list[str]:
    """A browser without Web Workers gets a message, in the panel and from ``train()``."""
    page = visit.browser.new_page()
    page.add_init_script("delete window.Worker;")
    errors = watch(page, visit.base)
    page.goto(f"{visit.base}/{PAGE}")
    page.wait_for_function("() => !!document.querySelector('.rnntr-msg')", timeout=30_000)
    text = page.inner_text(".rnnbook-train")
    msg = page.evaluate("async () => { try { await window.rnnbookTrain.train({}); return 'resolved'; } "
                        "catch (e) { return e.message; } }")
    page.close()
    problems = [f"no Worker: {e}" for e in errors]
    if "Web Workers" not in text or "Web Workers" not in msg:
        problems.append(f"without Web Workers the panel says {text!r} and train() {msg!r}")
    return problems


# --- the panel, used as a reader uses it, desktop and 390 px wide --------------------------------

WIDTHS = (("desktop", 1200), ("mobile", 390))


class PanelTour:
    """The panel on a fresh widgets page ``width`` px wide. The checks share what they need of
    its story, done once and in this order whoever asks first: a long gru2 run started
    (``start_long_run``), that run stopped (``stop_run``, which returns what the page measured),
    then a short run to its end (``two_runs``)."""

    def __init__(self, visit: Visit, label: str, width: int):
        self.label, self.shots = label, visit.shots
        self.page = visit.browser.new_page(viewport={"width": width, "height": 1800})
        self.errors = watch(self.page, visit.base)
        self.page.goto(f"{visit.base}/{PAGE}")
        self.page.wait_for_function(READY, timeout=30_000)
        self.panel = self.page.locator(".rnntr").first
        self.panel.scroll_into_view_if_needed()
        self._started, self._stopped, self._two, self._shot_after = False, None, False, False

    def shoot(self, when: str) -> None:
        """Screenshots (with ``--shots``): the panel, and after the runs the whole page too."""
        if self.shots:
            self.panel.screenshot(path=str(self.shots / f"train-{self.label}-{when}.png"))
            if when == "after":
                self.page.screenshot(path=str(self.shots / f"train-{self.label}-page.png"), full_page=True)
                self._shot_after = True

    def start_long_run(self) -> None:
        if not self._started:
            self._started = True
            self.page.select_option(".rnntr select", "gru2")
            self.page.fill(".rnntr input[id$='-epochs']", "20")  # stopped long before its end
            self.page.click(".rnntr button[type=submit]")
            self.page.wait_for_function("() => window.rnnbookTrain.runs.length && "
                                        "window.rnnbookTrain.runs.at(-1).losses.length > 3", timeout=60_000)

    def stop_run(self) -> dict:
        if self._stopped is None:
            self.start_long_run()
            self.shoot("during")
            page = self.page
            wait = page.evaluate("() => window.rnnbookTrain.runs.at(-1).losses.length")
            t0 = time.perf_counter()
            page.click(".rnntr button[id$='-stop']")
            page.wait_for_function("() => window.rnnbookTrain.runs.at(-1).status !== 'training'",
                                   timeout=30_000)
            seen_s = time.perf_counter() - t0
            run = page.evaluate(JS["last_run"])
            self._stopped = {"run": run, "wait": wait, "seen_s": seen_s}
        return self._stopped

    def two_runs(self) -> None:
        if not self._two:
            self._two = True
            self.stop_run()
            self.page.fill(".rnntr input[id$='-epochs']", "1")
            self.page.fill(".rnntr input[id$='-bptt']", "10")
            self.page.click(".rnntr button[type=submit]")
            self.page.wait_for_function("() => window.rnnbookTrain.runs.at(-1).status === 'done'",
                                        timeout=120_000)

    def close(self) -> list[str]:
        """Close the page; its JavaScript errors, as problems."""
        if not self._shot_after:
            self.shoot("after")
        self.page.close()
        return [f"{self.label}: {e}" for e in self.errors]


def tour_panel(visit: Visit, names: list[str]) -> list[str]:
    """The panel checks ``names`` (in :data:`CHECKS` order) at every width of :data:`WIDTHS`."""
    problems = []
    for label, width in WIDTHS:
        tour = PanelTour(visit, label, width)
        for name in names:
            problems += [f"{label}: {p}" for p in CHECKS[name][1](tour)]
        problems += tour.close()
    return problems


@check("labels", "panel")
def check_labels(tour: PanelTour) -> list[str]:
    """Every control of the panel has a label."""
    unlabelled = tour.page.evaluate(JS["unlabelled"])
    return [f"controls without a label: {unlabelled}"] if unlabelled else []


@check("responsive", "panel")
def check_responsive(tour: PanelTour) -> list[str]:
    """While the panel trains, the page paints at least 20 frames a second (on the desktop page);
    on a machine so busy that even the idle page paints fewer, at least 3/4 of the idle rate (the
    run must not be what slows the page)."""
    if tour.label != "desktop":
        return []
    idle = tour.page.evaluate(JS["fps"], 1500)
    tour.start_long_run()
    fps = tour.page.evaluate(JS["fps"], 2000)
    print(f"while training: requestAnimationFrame fires {fps:.0f} times a second ({idle:.0f} before the run)")
    if fps < 20 and not (idle < 25 and fps >= 0.75 * idle):
        return [f"the page paints {fps:.0f} frames a second while training (needs >= 20; idle: {idle:.0f})"]
    return []


@check("stop", "panel")
def check_stop(tour: PanelTour) -> list[str]:
    """Stop ends the run within one batch: the batch under way finishes, no other starts, and the
    page has the stopped run at most two batch times (and a little for the messages) after the
    click."""
    stopped = tour.stop_run()
    run = stopped["run"]
    print(f"{tour.label}: Stop after {stopped['wait']}+ batches: the page had the stopped run "
          f"{run['stopSeconds'] * 1000:.0f} ms after the click "
          f"({stopped['seen_s']:.2f} s as the test saw it), "
          f"{run['steps'] - run['stepsAtStop']} batch(es) after the stop reached the worker "
          f"(a batch takes {run['perBatch'] * 1000:.0f} ms); status {run['status']}")
    if run["status"] != "stopped" or run["steps"] - run["stepsAtStop"] > 1 or \
            run["stopSeconds"] > 2 * run["perBatch"] + 0.25:
        return [f"Stop did not end the run within one batch: {run}"]
    return []


@check("epoch-table", "panel")
def check_epoch_table(tour: PanelTour) -> list[str]:
    """A run trained to its end fills the epoch table."""
    tour.two_runs()
    if not tour.page.inner_text(".rnntr tbody[id$='-rows']").strip():
        return ["the epoch table is empty after a run"]
    return []


@check("compare", "panel")
def check_compare(tour: PanelTour) -> list[str]:
    """Two runs ticked in the table of runs are compared."""
    tour.two_runs()
    tour.page.check(".rnntr input.rnntr-cmp[data-run='1']")
    tour.page.check(".rnntr input.rnntr-cmp[data-run='2']")
    return ["two runs ticked, no comparison shown"] if tour.page.is_hidden(".rnntr-compare") else []


@check("open-run", "panel")
def check_open_run(tour: PanelTour) -> list[str]:
    """A run of the table opens in the playground on the same page."""
    tour.two_runs()
    tour.page.click(".rnntr button.rnntr-open[data-run='2']")
    problems = []
    try:
        tour.page.wait_for_function("() => !!document.querySelector('.rnnbook-playground tbody tr') && "
                                    "document.querySelector('.rnnbook-playground select').value "
                                    "=== 'run2-gru2'",
                                    timeout=30_000)
    except Exception:  # noqa: BLE001 (a Playwright timeout: reported, not raised)
        problems.append("the trained run did not open in the playground")
    tour.shoot("after")
    return problems


def axe_panel(page) -> list[dict]:
    """axe-core's violations inside the panel (and the playground it opened); the whole page is
    ``sitecheck.a11y``'s."""
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing (scripts/vendor-js.sh fetches it)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(JS["axe_panel"])


@check("axe", "panel")
def check_axe(tour: PanelTour) -> list[str]:
    """axe-core finds no serious or critical violation in the panel after the runs."""
    tour.two_runs()
    serious = [v for v in axe_panel(tour.page) if v["impact"] in FAILING]
    print(f"{tour.label}: axe-core after two runs, a comparison and the playground: "
          f"{len(serious)} serious or critical violation(s)")
    return [f"axe: {v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:3]}" for v in serious]


@check("overflow", "panel")
def check_overflow(tour: PanelTour) -> list[str]:
    """Nothing of the panel sticks out of it (outside the boxes that scroll)."""
    tour.two_runs()
    overflow = tour.page.evaluate(JS["sticking_out"])
    return [f"parts of the panel stick out of it: {overflow}"] if overflow else []


@check("form-range", "panel")
def check_form_range(tour: PanelTour) -> list[str]:
    """The form refuses a value out of range, with the setting and its range, and starts no run."""
    tour.two_runs()
    tour.page.fill(".rnntr input[id$='-bptt']", str(SETTINGS["bptt"]["max"] + 1))
    tour.page.click(".rnntr button[type=submit]")
    msg = tour.page.inner_text(".rnntr-msg")
    problems = []
    r = SETTINGS["bptt"]
    if "bptt" not in msg or f"{r['min']} to {r['max']}" not in msg:
        problems.append(f"the form's message for bptt {r['max'] + 1} is {msg!r}")
    if len(tour.page.evaluate("() => window.rnnbookTrain.runs")) != 2:
        problems.append("a refused setting started a run")
    return problems


@check("playground-page", "browser")
def check_playground_page(visit: Visit) -> list[str]:
    """On the playground chapter (when the site has it): a run trained in its panel opens in the
    chapter's playground."""
    if not (visit.site / PLAYGROUND_PAGE).is_file():
        return []
    page = visit.browser.new_page(viewport={"width": 1200, "height": 1600})
    errors = watch(page, visit.base)
    page.goto(f"{visit.base}/{PLAYGROUND_PAGE}")
    page.wait_for_function(READY + " && !!document.querySelector('.rnnbook-playground tbody tr')",
                           timeout=60_000)
    res = page.evaluate("() => window.rnnbookTrain.train({model: 'lstm2', epochs: 1, hidden: 16, bptt: 10})")
    problems = [f"playground page: {e}" for e in errors]
    if res["diverged"] or len(res["rows"]) != 1:
        return problems + [f"playground page: the run did not finish: {res}"]
    page.click(".rnntr button.rnntr-open[data-run='1']")
    try:
        page.wait_for_function("() => document.querySelector('.rnnbook-playground select').value"
                               " === 'run1-lstm2' && document.querySelector('.rnnpg-about')"
                               ".textContent.includes('run 1')",
                               timeout=30_000)
        print("playground page: a run trained in its panel opens in the chapter's playground")
    except Exception:  # noqa: BLE001 (a Playwright timeout: reported, not raised)
        problems.append("playground page: the trained run did not open in the chapter's playground")
    page.close()
    return problems


# --- choosing and running ------------------------------------------------------------------------

GROUPS = {
    "data": ("tokens", "smoothing", "one-cycle", "init"),
    "mirrors": ("smoothing", "one-cycle", "init"),
    "exact": ("exact",),
    "run": ("run",),
    "ui": ("weight", "settings", "worker-settings", "small-run", "diverged", "no-worker", "labels",
           "responsive", "stop", "epoch-table", "compare", "open-run", "axe", "overflow", "form-range",
           "playground-page"),
}
"""Names for sets of checks: ``data``, ``exact``, ``run`` and ``ui`` together are every check."""


def chosen(only: str | None) -> list[str]:
    """The checks ``--only`` names (checks or groups, comma-separated; all when ``None``), in
    :data:`CHECKS` order. Raises ``ValueError`` naming an unknown name."""
    if only is None:
        return list(CHECKS)
    names = set()
    for name in filter(None, (n.strip() for n in only.split(","))):
        if name not in CHECKS and name not in GROUPS:
            raise ValueError(f"--only: no check or group named {name!r}; checks: {', '.join(CHECKS)}; "
                             f"groups: {', '.join(GROUPS)}")
        names.update(GROUPS.get(name, (name,)))
    return [n for n in CHECKS if n in names]


def run_checks(visit: Visit, names: list[str]) -> list[str]:
    """Run the checks ``names`` (in :data:`CHECKS` order): those on the shared page, then, with it
    closed, those that open their own pages, the panel checks in one tour of each width."""
    panel = [n for n in names if CHECKS[n][0] == "panel"]
    problems: list[str] = []
    for name in names:
        kind, fn = CHECKS[name]
        if kind != "page":
            problems += visit.close_page()
        if kind == "panel":
            if name == panel[0]:
                problems += tour_panel(visit, panel)
        else:
            problems += fn(visit)
    return problems + visit.close_page()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--shots", type=Path, default=None, help="save screenshots in this folder")
    parser.add_argument("--only", default=None, metavar="NAME[,NAME]",
                        help=f"run only these checks or groups (default: all). Groups: {', '.join(GROUPS)}. "
                             f"Checks: {', '.join(CHECKS)}")
    args = parser.parse_args(argv)
    try:
        names = chosen(args.only)
    except ValueError as e:
        parser.error(str(e))
    site = Path(args.site)
    if not (site / PAGE).is_file():
        print(f"no {PAGE} under {site}; build the book first")
        return 1
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, open_browser() as browser:
        problems = run_checks(Visit(browser, base, site, args.shots), names)
    return report("training check", problems)


if __name__ == "__main__":
    sys.exit(main())
