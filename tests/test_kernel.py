"""The training kernel of "Train in your browser" (wasm/trainer.c, committed as
book/_static/train/trainer.wasm) against PyTorch, without a browser.

Node runs the committed module, the file readers download, through the page's own scripts:
train-worker.js's exactness check (its few browser functions, importScripts, fetch and
postMessage, are given by the harness below) and train-core.js. For rnn, gru2 and lstm2 at the
recipes' sizes, from PyTorch's seed-0 initial weights, on five training batches with the state
carried (``sitecheck.train.exactness_case``, the case the Chromium check uses): the losses, every
gradient, and the weights after five AdamW steps of the one-cycle schedule; then two validation
batches (batchnorm with its running statistics) from PyTorch's weights after those steps.
``python -m sitecheck.train`` checks the same in Chromium, and a whole run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from rnnbook.train_here import BROWSER_MODELS
from sitecheck.train import GRAD_TOL, WEIGHT_TOL, compare_exactness, exactness_case

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static" / "train"
LOSS_TOL = 1e-6  # relative, on every training and validation batch
FLOAT64_TOL = 1e-5  # the kernel's gradients against float64 ones (max |difference| / max |value|)

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

# node harness.js STATIC WASM SPEC OUT: the worker's answer to {type: "check", spec}, then
# spec.eval (weights and batches) through train-core.js's evalBatch.
HARNESS = r"""
const fs = require("fs"), path = require("path"), vm = require("vm");
const [dir, wasm, specFile, outFile] = process.argv.slice(2);
const run = (f) => vm.runInThisContext(fs.readFileSync(path.join(dir, f), "utf8"), { filename: f });
globalThis.self = globalThis;
globalThis.importScripts = (...files) => files.forEach(run);
globalThis.fetch = async () => ({ ok: true, arrayBuffer: async () => fs.readFileSync(wasm) });
const answered = new Promise((resolve) => { globalThis.postMessage = resolve; });
run("train-worker.js");
const spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
self.onmessage({ data: { type: "check", spec } });
(async () => {
  const answer = await answered, core = globalThis.rnnbookTrainCore, ev = spec.eval;
  const module = await WebAssembly.compile(fs.readFileSync(wasm));
  const V = ev.weights["i_h.weight"].length / spec.H, B = ev.batches[0].B, T = ev.batches[0].T;
  const net = await core.makeNet(module, spec.kind, spec.H, V, B, T), w = {};
  for (const [k, v] of Object.entries(ev.weights)) w[k] = Float32Array.from(v);
  core.setWeights(net, w);
  net.reset();
  answer.eval = ev.batches.map((b) => {
    net.x().set(b.x); net.y().set(b.y);
    return net.evalBatch(b.B, b.T);
  });
  fs.writeFileSync(outFile, JSON.stringify(answer));
  process.exit(0); // the worker's MessageChannel would keep Node running
})().catch((err) => { console.error(err); process.exit(1); });
"""


def validation_case(key: str, after: dict) -> tuple[dict, list[tuple[float, int]]]:
    """Two validation batches (state carried) from PyTorch's weights ``after`` its steps: the
    page's spec and PyTorch's (loss, right predictions) of each."""
    from rnnbook.data import load_human_numbers
    from rnnbook.learner import loss_and_correct
    from rnnbook.recipes import get_recipe
    from rnnbook.yardstick import VALID_ROWS

    recipe, data = get_recipe(key), load_human_numbers()
    model = recipe.make(len(data.vocab), recipe.hidden)
    model.load_state_dict(after)
    _, valid_dl = data.loaders(recipe.bs, recipe.bptt, valid_bs=VALID_ROWS)
    batches = [b for _, b in zip(range(2), valid_dl, strict=False)]
    model.eval()
    model.reset()
    ref = []
    with torch.no_grad():
        for x, y in batches:
            loss, correct, _ = loss_and_correct(model, model(x), y)
            ref.append((loss.item(), int(correct)))
    weights = {name: t.flatten().tolist() for name, t in after.items() if t.is_floating_point()}
    spec = {"weights": weights, "batches": [{"x": x.flatten().tolist(), "y": y.flatten().tolist(),
                                             "B": x.shape[0], "T": x.shape[1]} for x, y in batches]}
    return spec, ref


def run_kernel(spec: dict, folder: Path) -> dict:
    """The committed trainer.wasm's answers to ``spec``, computed by Node."""
    (folder / "harness.js").write_text(HARNESS)
    (folder / "spec.json").write_text(json.dumps(spec))
    subprocess.run(["node", str(folder / "harness.js"), str(STATIC), str(STATIC / "trainer.wasm"),
                    str(folder / "spec.json"), str(folder / "out.json")],
                   check=True, capture_output=True, text=True, timeout=120)
    return json.loads((folder / "out.json").read_text())


@needs_node
@pytest.mark.parametrize("key", BROWSER_MODELS)
def test_the_kernel_computes_what_pytorch_computes(key, tmp_path):
    spec, ref = exactness_case(key)
    spec["eval"], ref_eval = validation_case(key, ref["after"])
    answer = run_kernel(spec, tmp_path)
    assert answer["type"] == "checked", answer
    got = answer["result"]
    # sitecheck.train's comparison: losses, every gradient (within GRAD_TOL of PyTorch's),
    # every weight after the steps (within WEIGHT_TOL)
    problems, worst = compare_exactness(key, got, ref)
    assert not problems, problems
    assert worst["grad"] <= GRAD_TOL and worst["weight"] <= WEIGHT_TOL
    assert worst["loss"] <= LOSS_TOL, worst
    # the kernel's float32 gradients are close to the exact (float64) ones
    assert worst["page64"] <= FLOAT64_TOL, worst
    for (loss, correct), (ref_loss, ref_correct) in zip(answer["eval"], ref_eval, strict=True):
        assert abs(loss - ref_loss) <= LOSS_TOL * ref_loss, (loss, ref_loss)
        assert abs(correct - ref_correct) <= 1, (correct, ref_correct)
