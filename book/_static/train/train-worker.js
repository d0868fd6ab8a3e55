/* rnnbook training worker: trains one model at a time off the page's main thread.
 *
 * Messages in:  {type: "train", cfg}   cfg as train-core.js's train() takes it
 *               {type: "stop"}          ends the run after the batch that is running
 *               {type: "check", spec}   the exactness check (see check() below)
 * Messages out: {type: "progress", ...}, {type: "epoch", row}, {type: "done", result},
 *               {type: "checked", result}, {type: "error", message}
 * The loop yields to the worker's event loop after every batch (through a MessageChannel, which
 * is not throttled as timers are), so a "stop" is seen before the next batch starts.
 */
/* global importScripts, rnnbookTrainCore, rnnbookShared */
"use strict";
importScripts("../facts.js", "../playground/shared.js", "train-core.js");

let modulePromise = null;
let stopRequested = false;
let busy = false;

function wasmModule() {
  if (typeof WebAssembly === "undefined") return Promise.reject(new Error("this browser has no WebAssembly"));
  if (!modulePromise) {
    modulePromise = fetch("trainer.wasm").then((r) => {
      if (!r.ok) throw new Error("could not load trainer.wasm (" + r.status + ")");
      return r.arrayBuffer();
    }).then((b) => WebAssembly.compile(b));
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
}

const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => { const r = waiting.shift(); if (r) r(); };
function yieldToEvents() {
  return new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); }).then(() => stopRequested);
}

async function run(cfg) {
  const module = await wasmModule();
  stopRequested = false;
  let lastPost = 0;
  const result = await rnnbookTrainCore.train(module, rnnbookShared.numberWords, cfg, {
    progress(info) {
      stepsDone = info.step;
      pending.push(info.loss);
      const t = performance.now();
      if (t - lastPost > 100 || info.step === info.total) {
        lastPost = t;
        postMessage({ type: "progress", info, losses: pending.splice(0) });
      }
    },
    epoch(row) { postMessage({ type: "epoch", row, losses: pending.splice(0) }); },
    yield: yieldToEvents,
  });
  const w = rnnbookTrainCore.weights(result.net);
  const transfer = Object.values(w).map((a) => a.buffer);
  return {
    rows: result.rows, diverged: result.diverged, stopped: result.stopped, message: result.message,
    batchLosses: result.batchLosses, batchesPerEpoch: result.batchesPerEpoch, weights: w, itos: result.itos,
    steps: stepsDone, stepsAtStop, transfer,
  };
}

let pending = [];
let stepsDone = 0, stepsAtStop = null;

/* The exactness check: spec = {kind, H, weights: {name: [..]}, batches: [{x, y, B, T}], steps,
 * lr, wd, pctStart, total}. Runs the batches through one forward/backward each (the state
 * carried from one to the next) and returns their losses and gradients; then, from the same
 * weights, `steps` training steps of the one-cycle schedule (of `total` steps) over the
 * batches, and the weights after them. */
async function check(spec) {
  if (spec.data) return checkData(spec);
  const module = await wasmModule();
  const V = spec.weights["i_h.weight"].length / spec.H;
  const Bmax = Math.max(...spec.batches.map((b) => b.B)), Tmax = Math.max(...spec.batches.map((b) => b.T));
  const core = rnnbookTrainCore;
  const net = await core.makeNet(module, spec.kind, spec.H, V, Bmax, Tmax);
  const named = (arr) => { const o = {}; for (const t of net.layout) o[t.name] = Array.from(arr.subarray(t.offset, t.offset + t.size)); return o; };
  const weights = {};
  for (const [k, v] of Object.entries(spec.weights)) weights[k] = Float32Array.from(v);
  core.setWeights(net, weights);
  const feed = (b) => { net.x().set(b.x); net.y().set(b.y); return net.trainBatch(b.B, b.T); };
  const losses = [], grads = [];
  net.reset();
  for (const b of spec.batches) { losses.push(feed(b)); grads.push(named(net.grads())); }
  const net2 = await core.makeNet(module, spec.kind, spec.H, V, Bmax, Tmax);
  core.setWeights(net2, weights);
  net2.reset();
  const stepLosses = [];
  for (let s = 0; s < spec.steps; s++) {
    const b = spec.batches[s % spec.batches.length];
    net2.x().set(b.x); net2.y().set(b.y);
    stepLosses.push(net2.trainBatch(b.B, b.T));
    net2.cycleStep(s, spec.total, spec.lr, spec.pctStart, spec.wd);
  }
  const after = core.weights(net2), out = {};
  for (const [k, v] of Object.entries(after)) out[k] = Array.from(v);
  return { losses, grads, stepLosses, after: out };
}

/* The data check: the vocabulary, both streams, and batches 0, 1 and the last of each loader
 * in spec.loaders ({bs, bptt, stream}). */
function checkData(spec) {
  const d = rnnbookTrainCore.humanNumbers(rnnbookShared.numberWords);
  const loaders = spec.loaders.map((l) => {
    const dl = rnnbookTrainCore.loader(d[l.stream], l.bs, l.bptt), batches = {};
    for (const k of new Set([0, 1, dl.n - 1])) {
      const x = new Int32Array(l.bs * l.bptt), y = new Int32Array(l.bs * l.bptt);
      const T = dl.fill(k, x, y);
      batches[k] = { x: Array.from(x.subarray(0, l.bs * T)), y: Array.from(y.subarray(0, l.bs * T)) };
    }
    return { n: dl.n, batches };
  });
  return { itos: d.itos, train: Array.from(d.train), valid: Array.from(d.valid), loaders };
}

self.onmessage = async (ev) => {
  const msg = ev.data || {};
  if (msg.type === "stop") {
    if (busy && !stopRequested) { stopRequested = true; stepsAtStop = stepsDone; }
    return;
  }
  if (busy) { postMessage({ type: "error", message: "the worker is busy with a run" }); return; }
  busy = true;
  try {
    if (msg.type === "train") {
      pending = []; stepsDone = 0; stepsAtStop = null;
      const res = await run(msg.cfg);
      const transfer = res.transfer; delete res.transfer;
      postMessage({ type: "done", result: res }, transfer);
    } else if (msg.type === "check") {
      postMessage({ type: "checked", result: await check(msg.spec) });
    } else {
      postMessage({ type: "error", message: "unknown message " + msg.type });
    }
  } catch (err) {
    postMessage({ type: "error", message: String((err && err.message) || err) });
  } finally {
    busy = false;
  }
};
