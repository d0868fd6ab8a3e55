"""Check "Train in your browser" on the built site, in headless Chromium, against PyTorch.

Usage: ``python -m sitecheck.train [_build/html] [--shots DIR] [--only exact,data,run,ui]``

On ``book/widgets.html`` (the page with the panel and ``window.rnnbookTrain``):

- **data**: the worker's vocabulary and train/valid token ids equal ``load_human_numbers()``'s,
  and its batches equal ``LMLoader``'s (several ``bs``/``bptt``, the short last batch included).
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
- **ui**: while the panel trains, ``requestAnimationFrame`` fires at least 20 times a second (on a
  machine so busy that the idle page paints fewer, at least 3/4 of the idle rate);
  Stop ends the run within one batch and keeps it in the table of runs; a run opens in the
  playground on the same page; two runs are compared; out-of-range settings are refused with
  the setting and its range named (by the entry point and by the form); a run whose loss turns
  non-finite resolves ``diverged: true`` with a message naming epoch and batch; a browser
  without Web Workers gets a message; every control has a label; axe-core finds no serious or
  critical violation after the runs (desktop and 390 px wide); no JavaScript error. It prints
  what the panel adds to the page's weight (at most 2 MB).

``--shots DIR`` saves screenshots (desktop and 390 px wide, during and after a run). Exits 1
listing the problems.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sitecheck.a11y import AXE, FAILING
from sitecheck.browser import open_browser, serve, watch

ROOT = Path(__file__).resolve().parent.parent

PAGE = "book/widgets.html"
PLAYGROUND_PAGE = "book/playground.html"  # the panel is there too (not on the one-page site)
MODELS = ("rnn", "gru2", "lstm2")
LOSS_TOL, GRAD_TOL, WEIGHT_TOL, ACC_TOL = 1e-5, 1e-4, 1e-3, 0.01
N_BATCHES, N_STEPS = 5, 5
READY = "() => !!(window.rnnbookTrain && document.querySelector('.rnntr'))"
CONTROLS = """() => [...document.querySelectorAll('.rnntr :is(button, select, input)')]
  .filter(e => !((e.labels && e.labels.length && e.labels[0].textContent.trim())
                 || (e.getAttribute('aria-label') || '').trim() || e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80))"""


def tiny_site(folder: Path) -> Path:
    """A one-page site in ``folder``: ``book/widgets.html`` with the panel, and the book's
    ``_static/train`` and ``_static/playground`` (without models). For the tests and the
    benchmark, which need no built book."""
    import shutil

    from rnnbook.train_here import train_panel

    for name in ("train", "playground"):
        shutil.copytree(ROOT / "book" / "_static" / name, folder / "_static" / name,
                        ignore=shutil.ignore_patterns("models"))
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
    from rnnbook.experiments import get_recipe
    from rnnbook.learner import Learner, SilentReporter, loss_and_correct, set_seed
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
    spec = {"kind": {"rnn": "rnn", "gru2": "gru", "lstm2": "lstm"}[key], "H": recipe.hidden,
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


def check_mirrors(page) -> list[str]:
    """The page's copies of small pieces of the package: the loss smoothing of
    ``rnnbook.plotting.smooth``, the one-cycle schedule (learning rate and beta1 at every step,
    against ``torch.optim.lr_scheduler.OneCycleLR`` as ``Learner.fit_one_cycle`` sets it up),
    and PyTorch's initial distributions (bounds, mean and spread of every parameter)."""
    import math

    from rnnbook.experiments import get_recipe
    from rnnbook.learner import _param_groups
    from rnnbook.plotting import smooth

    torch, _ = _torch()
    problems = []
    values = [3.9 - 0.01 * i + 0.3 * math.sin(i) for i in range(200)]
    got = page.evaluate("(v) => window.rnnbookTrain.smooth(v, 0.9)", values)
    d = max(abs(a - b) for a, b in zip(got, smooth(values), strict=True))
    if d > 1e-12:
        problems.append(f"the page's smoothing differs from plot_history's by {d:.1e}")
    worst = 0.0
    for total, lr, pct in ((100, 1e-2, 0.25), (37, 3e-3, 0.1)):
        model = get_recipe("gru2").make(40, 8)
        opt = torch.optim.AdamW(_param_groups(model, 0.01), lr=lr, betas=(0.9, 0.99), eps=1e-5)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=total, pct_start=pct, div_factor=25.0,
            final_div_factor=1e5, base_momentum=0.85, max_momentum=0.95)
        ref = []
        for _ in range(total):
            g = opt.param_groups[0]
            ref.append((g["lr"], g["betas"][0]))
            opt.step()
            sched.step()
        got = page.evaluate("([t, lr, p]) => [...Array(t).keys()].map(s => "
                            "window.rnnbookTrainCore.oneCycle(s, t, lr, p, 25, 1e5))", [total, lr, pct])
        for (a, b), (c, e) in zip(got, ref, strict=True):
            worst = max(worst, abs(a - c) / c, abs(b - e))
    if worst > 1e-12:
        problems.append(f"the page's one-cycle schedule differs from OneCycleLR's by {worst:.1e}")
    stats = page.evaluate("""() => { const c = window.rnnbookTrainCore, out = {};
      for (const kind of ['rnn', 'gru', 'lstm']) {
        const lay = c.layout(kind, 64, 40), n = lay.reduce((a, p) => a + p.size, 0);
        const w = new Float32Array(n); c.initParams(kind, 64, 40, 0, w);
        for (const p of lay) { const v = w.subarray(p.offset, p.offset + p.size);
          let s = 0, s2 = 0, mx = 0;
          for (const x of v) { s += x; s2 += x * x; mx = Math.max(mx, Math.abs(x)); }
          const mean = s / v.length, std = Math.sqrt(s2 / v.length - mean ** 2);
          out[kind + ' ' + p.name] = {n: v.length, mean, std, max: mx}; } }
      return out; }""")
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
    print(f"mirrors: loss smoothing (max difference {d:.0e}), one-cycle lr and beta1 (relative "
          f"{worst:.0e}), initial distributions of {len(stats)} parameters: "
          f"{'same' if not problems else 'DIFFERENT'}")
    return problems


def whole_run(page, seed: int = 0, epochs: int = 3) -> tuple[list[str], dict]:
    """gru2 for ``epochs`` epochs in the page and in PyTorch from the same initial weights."""
    from rnnbook.experiments import build, get_recipe
    from rnnbook.learner import SilentReporter

    torch, _ = _torch()
    torch.set_num_threads(1)
    recipe = get_recipe("gru2")
    learn = build("gru2", seed=seed, device="cpu")
    weights = export_weights(learn.model)
    t0 = time.perf_counter()
    hist = learn.fit_one_cycle(epochs, recipe.lr, wd=recipe.wd, pct_start=recipe.pct_start,
                               reporter=SilentReporter())
    pt_seconds = time.perf_counter() - t0
    res = page.evaluate("async ([w, e]) => { const W = {}; for (const [k, v] of Object.entries(w)) "
                        "W[k] = Float32Array.from(v); return await window.rnnbookTrain.train("
                        "{model: 'gru2', epochs: e, weights: W}); }", [weights, epochs])
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


def _table(rows: list[dict]) -> str:
    lines = [f"{'epoch':>6} {'train_loss':>11} {'valid_loss':>11} {'accuracy':>9} {'time':>7}"]
    for r in rows:
        lines.append(f"{r['epoch']:>6} {r['train_loss']:>11.6f} {r['valid_loss']:>11.6f} "
                     f"{r['accuracy']:>9.6f} {r['time']:>6.2f}s")
    return "\n".join(lines)


# requestAnimationFrame callbacks a second, counted for `ms` milliseconds
FPS = """(ms) => new Promise(res => { let n = 0; const t0 = performance.now();
  const f = () => { n++; if (performance.now() - t0 < ms) requestAnimationFrame(f);
    else res(n / ((performance.now() - t0) / 1000)); }; requestAnimationFrame(f); })"""


def axe_panel(page) -> list[dict]:
    """axe-core's violations inside the panel (and the playground it opened); the whole page is
    ``sitecheck.a11y``'s."""
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing (scripts/vendor-js.sh fetches it)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
      const result = await axe.run({include: [['.rnnbook-train']]}, {resultTypes: ['violations']});
      return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' '))})); }""")


def check_ui(browser, base: str, shots: Path | None) -> list[str]:
    """The panel while it trains and after: responsiveness, Stop, runs, playground, errors."""
    problems: list[str] = []
    widths = [("desktop", 1200), ("mobile", 390)]
    for label, width in widths:
        page = browser.new_page(viewport={"width": width, "height": 1800})
        errors = watch(page, base)
        page.goto(f"{base}/{PAGE}")
        page.wait_for_function(READY, timeout=30_000)
        unlabelled = page.evaluate(CONTROLS)
        if unlabelled:
            problems.append(f"{label}: controls without a label: {unlabelled}")
        panel = page.locator(".rnntr").first
        panel.scroll_into_view_if_needed()
        if label == "desktop":
            idle = page.evaluate(FPS, 1500)
        page.select_option(".rnntr select", "gru2")
        page.fill(".rnntr input[id$='-epochs']", "20")  # stopped long before its end
        page.click(".rnntr button[type=submit]")
        page.wait_for_function("() => window.rnnbookTrain.runs.length && "
                               "window.rnnbookTrain.runs.at(-1).losses.length > 3", timeout=60_000)
        if label == "desktop":
            fps = page.evaluate(FPS, 2000)
            print(f"while training: requestAnimationFrame fires {fps:.0f} times a second "
                  f"({idle:.0f} before the run)")
            # >= 20 frames a second; on a machine so busy that even the idle page paints fewer,
            # at least 3/4 of the idle rate (the run must not be what slows the page)
            if fps < 20 and not (idle < 25 and fps >= 0.75 * idle):
                problems.append(f"the page paints {fps:.0f} frames a second while training (needs >= 20; "
                                f"idle: {idle:.0f})")
        if shots:
            panel.screenshot(path=str(shots / f"train-{label}-during.png"))
        wait = page.evaluate("() => window.rnnbookTrain.runs.at(-1).losses.length")
        t0 = time.perf_counter()
        page.click(".rnntr button[id$='-stop']")
        page.wait_for_function("() => window.rnnbookTrain.runs.at(-1).status !== 'training'", timeout=30_000)
        stop_s = time.perf_counter() - t0
        run = page.evaluate("() => { const r = window.rnnbookTrain.runs.at(-1); return {status: r.status, "
                            "steps: r.steps, stepsAtStop: r.stepsAtStop, message: r.message, "
                            "perBatch: r.seconds / r.steps, stopSeconds: r.stopSeconds}; }")
        print(f"{label}: Stop after {wait}+ batches: the page had the stopped run "
              f"{run['stopSeconds'] * 1000:.0f} ms after the click ({stop_s:.2f} s as the test saw it), "
              f"{run['steps'] - run['stepsAtStop']} batch(es) after the stop reached the worker "
              f"(a batch takes {run['perBatch'] * 1000:.0f} ms); status {run['status']}")
        # the batch under way finishes, no other starts: at most two batch times (and a little
        # for the messages) from the click to the stopped run
        if run["status"] != "stopped" or run["steps"] - run["stepsAtStop"] > 1 or \
                run["stopSeconds"] > 2 * run["perBatch"] + 0.25:
            problems.append(f"{label}: Stop did not end the run within one batch: {run}")
        # a short run to the end, then the playground and the comparison
        page.fill(".rnntr input[id$='-epochs']", "1")
        page.fill(".rnntr input[id$='-bptt']", "10")
        page.click(".rnntr button[type=submit]")
        page.wait_for_function("() => window.rnnbookTrain.runs.at(-1).status === 'done'", timeout=120_000)
        table = page.inner_text(".rnntr tbody[id$='-rows']")
        if not table.strip():
            problems.append(f"{label}: the epoch table is empty after a run")
        page.check(".rnntr input.rnntr-cmp[data-run='1']")
        page.check(".rnntr input.rnntr-cmp[data-run='2']")
        if page.is_hidden(".rnntr-compare"):
            problems.append(f"{label}: two runs ticked, no comparison shown")
        page.click(".rnntr button.rnntr-open[data-run='2']")
        try:
            page.wait_for_function("() => !!document.querySelector('.rnnbook-playground tbody tr') && "
                                   "document.querySelector('.rnnbook-playground select').value "
                                   "=== 'run2-gru2'",
                                   timeout=30_000)
        except Exception:  # noqa: BLE001 (a Playwright timeout: reported, not raised)
            problems.append(f"{label}: the trained run did not open in the playground")
        if shots:
            panel.screenshot(path=str(shots / f"train-{label}-after.png"))
            page.screenshot(path=str(shots / f"train-{label}-page.png"), full_page=True)
        serious = [v for v in axe_panel(page) if v["impact"] in FAILING]
        print(f"{label}: axe-core after two runs, a comparison and the playground: "
              f"{len(serious)} serious or critical violation(s)")
        problems += [f"{label}: axe: {v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:3]}"
                     for v in serious]
        overflow = page.evaluate("""() => { const root = document.querySelector('.rnntr');
          const right = root.getBoundingClientRect().right, wide = [];
          for (const e of root.querySelectorAll('*')) {
            const box = e.closest('.rnntr-scroll, .rnnpg-scroll');
            if (box && box !== e) continue;  // inside a box that scrolls
            const r = e.getBoundingClientRect();
            if (r.width && r.right > right + 1) wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + ' ' + Math.round(r.right - right) + ' px'); }
          return wide.slice(0, 5); }""")
        if overflow:
            problems.append(f"{label}: parts of the panel stick out of it: {overflow}")
        # the form refuses a value out of range, with the setting and its range
        page.fill(".rnntr input[id$='-bptt']", "71")
        page.click(".rnntr button[type=submit]")
        msg = page.inner_text(".rnntr-msg")
        if "bptt" not in msg or "2 to 70" not in msg:
            problems.append(f"{label}: the form's message for bptt 71 is {msg!r}")
        if len(page.evaluate("() => window.rnnbookTrain.runs")) != 2:
            problems.append(f"{label}: a refused setting started a run")
        problems += [f"{label}: {e}" for e in errors]
        page.close()
    return problems


PANEL_FILES = ("_static/train/train.js", "_static/train/train.css", "_static/train/train-worker.js",
               "_static/train/train-core.js", "_static/train/trainer.wasm",
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


def check_entry_point(page) -> list[str]:
    """Ranges and divergence through ``window.rnnbookTrain.train``."""
    problems = []
    bad = {"bptt": 1, "hidden": 129, "bs": 0, "epochs": 0.5, "lr": -1, "seed": -1, "model": "fc3"}
    for key, value in bad.items():
        msg = page.evaluate("async (s) => { try { await window.rnnbookTrain.train(s); return 'resolved'; }"
                            " catch (e) { return (e instanceof Error ? '' : 'not an Error: ')"
                            " + e.message; } }",
                            {key: value})
        if key not in msg or ("to" not in msg and "one of" not in msg) or msg.startswith("not an Error"):
            problems.append(f"train({{{key}: {value!r}}}) gave {msg!r}")
    # the worker refuses out-of-range settings too, with a message (not a crash)
    msg = page.evaluate("""() => new Promise(res => {
      const src = [...document.scripts].find(s => s.src.endsWith('/train.js')).src;
      const w = new Worker(new URL('train-worker.js', src));
      w.onmessage = ev => { w.terminate(); res(ev.data.type + ': ' + (ev.data.message || '')); };
      w.postMessage({type: 'train', cfg: {kind: 'gru', H: 500, bs: 64, bptt: 20, epochs: 1, lr: 0.01,
                                          wd: 0.01, pctStart: 0.25, seed: 0}}); })""")
    print(f"the worker, asked for hidden 500: {msg}")
    if not msg.startswith("error: hidden must be an integer from 8 to 128"):
        problems.append(f"the worker's answer to hidden 500 is {msg!r}")
    res = page.evaluate("""async () => {
      const run = await window.rnnbookTrain.train({model: 'rnn', epochs: 1, bptt: 10, hidden: 16});
      return run; }""")
    if res["diverged"] or len(res["rows"]) != 1:
        problems.append(f"a small rnn run did not finish: {res}")
    # weights so large that the logits overflow: the loss is not finite at the first batch
    res = page.evaluate("""async () => {
      const H = 16, V = 40, W = {};
      const sizes = {'i_h.weight': V * H, 'rnn.weight_ih_l0': H * H, 'rnn.weight_hh_l0': H * H,
        'rnn.bias_ih_l0': H, 'rnn.bias_hh_l0': H, 'h_o.weight': V * H, 'h_o.bias': V,
        'bn.weight': H, 'bn.bias': H};
      for (const [k, n] of Object.entries(sizes)) W[k] = new Float32Array(n).fill(3e38);
      return await window.rnnbookTrain.train({model: 'rnn', epochs: 1, hidden: H, weights: W}); }""")
    print(f"a run whose loss is not finite: diverged {res['diverged']}: {res['message']}")
    if not res["diverged"] or "epoch 0, batch 0" not in res["message"] or "lower" not in res["message"]:
        problems.append(f"a non-finite loss was not reported as a divergence: {res}")
    table = page.evaluate("() => window.rnnbookTrain.runs.at(-1).status")
    if table != "diverged":
        problems.append(f"the diverged run is listed as {table!r}")
    return problems


def check_playground_page(browser, base: str) -> list[str]:
    """On the playground chapter: a run trained in its panel opens in the chapter's playground."""
    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    errors = watch(page, base)
    page.goto(f"{base}/{PLAYGROUND_PAGE}")
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


def check_no_worker(browser, base: str) -> list[str]:
    page = browser.new_page()
    page.add_init_script("delete window.Worker;")
    errors = watch(page, base)
    page.goto(f"{base}/{PAGE}")
    page.wait_for_function("() => !!document.querySelector('.rnntr-msg')", timeout=30_000)
    text = page.inner_text(".rnnbook-train")
    msg = page.evaluate("async () => { try { await window.rnnbookTrain.train({}); return 'resolved'; } "
                        "catch (e) { return e.message; } }")
    page.close()
    problems = [f"no Worker: {e}" for e in errors]
    if "Web Workers" not in text or "Web Workers" not in msg:
        problems.append(f"without Web Workers the panel says {text!r} and train() {msg!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--shots", type=Path, default=None)
    parser.add_argument("--only", default="data,exact,run,ui")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    site = Path(args.site)
    if not (site / PAGE).is_file():
        print(f"no {PAGE} under {site}; build the book first")
        return 1
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with serve(site) as base, open_browser() as browser:
        page = browser.new_page()
        errors = watch(page, base)
        page.goto(f"{base}/{PAGE}")
        page.wait_for_function(READY, timeout=30_000)
        check = "async (spec) => await window.rnnbookTrain.check(spec)"
        if "data" in only:
            spec, ref = data_case()
            got = page.evaluate(check, spec)
            for k in ("itos", "train", "valid"):
                if got[k] != ref[k]:
                    problems.append(f"data: the page's {k} differs from load_human_numbers()'s")
            for i, (g, r) in enumerate(zip(got["loaders"], ref["loaders"], strict=True)):
                if g["n"] != r["n"] or any(g["batches"][str(k)] != v for k, v in r["batches"].items()):
                    problems.append(f"data: loader {spec['loaders'][i]} differs from LMLoader's")
            print(f"data: {len(ref['itos'])} tokens, streams of {len(ref['train'])} and {len(ref['valid'])} "
                  f"ids, {len(ref['loaders'])} loaders compared: {'same' if not problems else 'DIFFERENT'}")
            problems += check_mirrors(page)
        if "exact" in only:
            print(f"exactness against PyTorch ({N_BATCHES} batches with the state carried; weights after "
                  f"{N_STEPS} one-cycle steps):")
            print(f"{'model':>6} {'loss (rel)':>11} {'grad (rel)':>11} {'weights (abs)':>14}   "
                  "grad vs float64: page, PyTorch")
            for key in MODELS:
                spec, ref = exactness_case(key)
                got = page.evaluate(check, spec)
                p, worst = compare_exactness(key, got, ref)
                problems += p
                print(f"{key:>6} {worst['loss']:>11.1e} {worst['grad']:>11.1e} {worst['weight']:>14.1e}   "
                      f"{worst['page64']:.1e}, {worst['torch64']:.1e}")
            print(f"tolerances: loss {LOSS_TOL:g}, gradients {GRAD_TOL:g}, weights {WEIGHT_TOL:g}")
        if "run" in only:
            p, _ = whole_run(page)
            problems += p
        if "ui" in only:
            problems += panel_weight(site)[0]
            problems += check_entry_point(page)
        problems += [f"page: {e}" for e in errors]
        page.close()
        if "ui" in only:
            problems += check_no_worker(browser, base)
            problems += check_ui(browser, base, args.shots)
            if (site / PLAYGROUND_PAGE).is_file():
                problems += check_playground_page(browser, base)
    for p in problems:
        print("PROBLEM:", p)
    print("sitecheck.train:", "OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
