/* rnnbook train core: the book's data, batches, initialisation and one-cycle recipe, around
 * the WebAssembly trainer (trainer.wasm, built from wasm/trainer.c). Runs in the training Web
 * Worker (train-worker.js) and in Node; train.js is the page's side. Every constant of the
 * models, the data and the optimiser comes from ../facts.js (rnnbookFacts, written by
 * `python -m rnnbook.facts` from the Python sources), loaded before this script.
 *
 * It mirrors, line for line where it matters:
 * - rnnbook.data.load_human_numbers: the train stream (1..7999) and valid stream
 *   (8001..9999), "xxbos" then the numbers' words with "," between them, and the vocabulary
 *   (fastai's special tokens, then the words by frequency, ties in order of first sight,
 *   padded with "xxfake" to a multiple of 8);
 * - rnnbook.data.LMLoader: bs contiguous rows, batch k is columns k*bptt..(k+1)*bptt, the last
 *   batch may be shorter; validation on rnnbook.yardstick.VALID_ROWS rows;
 * - rnnbook.learner.Learner.fit_one_cycle: AdamW (its betas and eps, weight decay where the
 *   facts' layout says), OneCycleLR (warm-up fraction pct_start, cosine annealing from lr/div
 *   to lr and down to lr/div/final_div, beta1 cycled down and back), the state reset at each
 *   epoch's start and before validation, the epoch table's row;
 * - PyTorch's default initialisation: embedding N(0, 1); linear layers U(-1/sqrt(in), 1/sqrt(in))
 *   for weights and biases; recurrent layers U(-1/sqrt(H), 1/sqrt(H)); batchnorm weight 1,
 *   bias 0, running mean 0, running variance 1. The same distributions, not the same numbers:
 *   the generator is a seeded xorshift (sfc32), not PyTorch's.
 * The recipes' numbers (bptt, epochs, lr, ...) come from the page (rnnbook.train_here writes
 * them from rnnbook.recipes.RECIPES); none is written here.
 */
(function (root) {
  "use strict";

  const F = root.rnnbookFacts || require("../facts.js");
  const DATA = F.data, OPT = F.optimizer;
  /* The browser's models by cell kind ("rnn", "gru", "lstm"): {model, cell, layers, bn,
   * gates, params} from the facts of rnn, gru2 and lstm2. */
  const CELLS = {};
  for (const [key, m] of Object.entries(F.models)) {
    CELLS[m.cell] = { model: key, cell: m.cell_id, layers: m.n_layers, bn: m.norm === "bn" ? 1 : 0, gates: m.gates, params: m.params, name: m.cell };
  }

  /* The settings a reader may choose, and their ranges (the page and the worker both check;
   * rnnbook.facts.SETTINGS, which the live explorer uses too). */
  const RANGES = F.settings;

  /* null if `value` is allowed for setting `key`, else the message that says what is allowed. */
  function rangeError(key, value) {
    const r = RANGES[key];
    const ok = typeof value === "number" && Number.isFinite(value) && (!r.int || Number.isInteger(value)) && value >= r.min && value <= r.max;
    return ok ? null : key + " must be " + (r.int ? "an integer" : "a number") + " from " + r.min + " to " + r.max + ", got " + JSON.stringify(value);
  }

  // ------------------------------------------------------------------ data
  let dataCache = null;

  function humanNumbers(numberWords) {
    if (dataCache) return dataCache;
    const lines = (a, b) => { const out = []; for (let n = a; n <= b; n++) out.push(numberWords(n)); return out; };
    const tokenize = (ls) => {
      const t = ["xxbos"];
      ls.forEach((l, i) => { if (i) t.push(","); for (const w of l.split(" ")) t.push(w); });
      return t;
    };
    const train = tokenize(lines(...DATA.train)), valid = tokenize(lines(...DATA.valid));
    const counts = new Map();
    for (const t of train) if (!DATA.special.includes(t)) counts.set(t, (counts.get(t) || 0) + 1);
    const byCount = [...counts.entries()].map((e, i) => [e[0], e[1], i]);
    byCount.sort((a, b) => b[1] - a[1] || a[2] - b[2]); // stable: ties keep first sight
    const itos = DATA.special.concat(byCount.map((e) => e[0]));
    while (itos.length % DATA.pad_to) itos.push("xxfake");
    const stoi = new Map(itos.map((w, i) => [w, i]));
    const ids = (ts) => Int32Array.from(ts, (t) => (stoi.has(t) ? stoi.get(t) : 0));
    dataCache = { itos, train: ids(train), valid: ids(valid) };
    return dataCache;
  }

  /* rnnbook.data.LMLoader: {rows, rowLen, bptt, n, batch(k) -> [x, y, T]} */
  function loader(stream, bs, bptt) {
    const rowLen = Math.floor((stream.length - 1) / bs);
    if (rowLen < 1) throw new RangeError("bs=" + bs + " is too large for the stream");
    if (bptt > rowLen) throw new RangeError("bptt=" + bptt + " is longer than a row of " + rowLen + " tokens");
    const n = Math.ceil(rowLen / bptt);
    return {
      bs, bptt, rowLen, n, tokens: bs * rowLen,
      fill(k, x, y) { // writes batch k's inputs and targets, (bs, T) row-major; returns T
        const start = k * bptt, T = Math.min(bptt, rowLen - start);
        for (let i = 0; i < bs; i++) {
          const base = i * rowLen + start;
          for (let t = 0; t < T; t++) { x[i * T + t] = stream[base + t]; y[i * T + t] = stream[base + t + 1]; }
        }
        return T;
      },
    };
  }

  // ------------------------------------------------------------------ parameters
  /* The parameters in PyTorch's named_parameters() order, from the facts' layout (the
   * per-layer ones once per layer): [{name, shape, size, decay, offset}] */
  function layout(kind, H, V) {
    const c = CELLS[kind], dims = { V, H, "G*H": c.gates * H }, out = [];
    const add = (p, l) => {
      const shape = p.shape.map((d) => dims[d]);
      out.push({ name: p.name.replace("{l}", l), shape, size: shape.reduce((a, b) => a * b, 1), decay: p.decay });
    };
    const first = c.params.findIndex((p) => p.per_layer), layer = c.params.filter((p) => p.per_layer);
    c.params.forEach((p, i) => {
      if (i === first) for (let l = 0; l < c.layers; l++) layer.forEach((q) => add(q, l));
      if (!p.per_layer) add(p, null);
    });
    let off = 0;
    for (const p of out) { p.offset = off; off += p.size; }
    return out;
  }

  function sfc32(seed) {
    let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = (seed >>> 0) ^ 0xdeadbeef;
    const next = () => {
      a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9); b = (c + (c << 3)) | 0; c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0; t = (t + d) | 0; c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    };
    for (let i = 0; i < 15; i++) next();
    return next;
  }

  /* PyTorch's default initialisation distributions, from a seeded generator. */
  function initParams(kind, H, V, seed, params) {
    const rand = sfc32(seed);
    const uniform = (arr, bound) => { for (let i = 0; i < arr.length; i++) arr[i] = (2 * rand() - 1) * bound; };
    const normal = (arr) => {
      for (let i = 0; i < arr.length; i += 2) {
        const u = 1 - rand(), v = rand(), r = Math.sqrt(-2 * Math.log(u));
        arr[i] = r * Math.cos(2 * Math.PI * v);
        if (i + 1 < arr.length) arr[i + 1] = r * Math.sin(2 * Math.PI * v);
      }
    };
    for (const p of layout(kind, H, V)) {
      const view = params.subarray(p.offset, p.offset + p.size);
      if (p.name === "i_h.weight") normal(view);
      else if (p.name.startsWith("rnn.")) uniform(view, 1 / Math.sqrt(H));
      else if (p.name.startsWith("h_o.")) uniform(view, 1 / Math.sqrt(H));
      else if (p.name === "bn.weight") view.fill(1);
      else view.fill(0);
    }
  }

  // ------------------------------------------------------------------ the one-cycle schedule
  /* torch.optim.lr_scheduler.OneCycleLR (cosine, two phases) at step `step` of `total`:
   * [lr, beta1], computed in double as PyTorch does in Python. */
  function oneCycle(step, total, lrMax, pctStart, div = OPT.div, finalDiv = OPT.final_div) {
    const initial = lrMax / div, min = initial / finalDiv, [high, low] = OPT.momentum;
    const phases = [[pctStart * total - 1, initial, lrMax, high, low], [total - 1, lrMax, min, low, high]];
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, l0, l1, m0, m1] = phases[i];
      if (step <= end || i === phases.length - 1) {
        const pct = (step - start) / (end - start), c = Math.cos(Math.PI * pct) + 1;
        return [l1 + (l0 - l1) / 2 * c, m1 + (m0 - m1) / 2 * c];
      }
      start = end;
    }
    return null;
  }

  // ------------------------------------------------------------------ the engine
  /* A model of `kind` ("rnn", "gru", "lstm") in a fresh instance of the WebAssembly module. */
  async function makeNet(module, kind, H, V, Bmax, Tmax) {
    const c = CELLS[kind];
    const inst = await WebAssembly.instantiate(module, {});
    const e = inst.exports;
    const status = e.init(c.cell, c.layers, H, V, c.bn, Bmax, Tmax);
    if (status === 2) throw new Error("not enough memory for this model and batch size");
    if (status !== 0) throw new Error("the trainer refused the model's sizes");
    const np = e.n_params();
    const f32 = (ptr, n) => new Float32Array(e.memory.buffer, ptr, n);
    const i32 = (ptr, n) => new Int32Array(e.memory.buffer, ptr, n);
    const net = {
      kind, H, V, np, layers: c.layers, bn: !!c.bn, layout: layout(kind, H, V), step: 0, exports: e,
      params: () => f32(e.params_ptr(), np),
      grads: () => f32(e.grads_ptr(), np),
      bnStats: () => f32(e.bn_stats_ptr(), 2 * H),
      x: () => i32(e.x_ptr(), Bmax * Tmax),
      y: () => i32(e.y_ptr(), Bmax * Tmax),
      reset: () => e.reset_state(),
      trainBatch: (B, T) => e.train_batch(B, T),
      evalBatch: (B, T) => [e.eval_batch(B, T), e.last_correct()],
      /* One AdamW step of torch.optim.AdamW with (beta1, the facts' beta2), the facts' eps,
       * weight decay wd. */
      adamw(lr, beta1, wd) {
        net.step += 1;
        const s = net.step, beta2 = OPT.betas[1];
        e.adamw(1 - lr * wd, 1 - beta1, beta2, 1 - beta2, Math.sqrt(1 - beta2 ** s), OPT.eps, -lr / (1 - beta1 ** s));
      },
      /* Step `step` (from 0) of `total` of the one-cycle recipe: the schedule's lr and beta1,
       * then AdamW. */
      cycleStep(step, total, lrMax, pctStart, wd) {
        const [lr, beta1] = oneCycle(step, total, lrMax, pctStart);
        net.adamw(lr, beta1, wd);
      },
    };
    if (net.layout.reduce((a, p) => a + p.size, 0) !== np) throw new Error("parameter layout mismatch");
    return net;
  }

  /* Named copies of the parameters (and batchnorm's running statistics): {name: Float32Array} */
  function weights(net) {
    const p = net.params(), out = {};
    for (const t of net.layout) out[t.name] = p.slice(t.offset, t.offset + t.size);
    if (net.bn) {
      const s = net.bnStats();
      out["bn.running_mean"] = s.slice(0, net.H);
      out["bn.running_var"] = s.slice(net.H, 2 * net.H);
    }
    return out;
  }

  function setWeights(net, w) {
    const p = net.params();
    for (const t of net.layout) {
      const src = w[t.name];
      if (!src || src.length !== t.size) throw new Error("weights for " + t.name + " must hold " + t.size + " numbers");
      p.set(src, t.offset);
    }
    if (net.bn && w["bn.running_mean"]) {
      const s = net.bnStats();
      s.set(w["bn.running_mean"], 0); s.set(w["bn.running_var"], net.H);
    }
  }

  /* Train with the one-cycle recipe; cfg = {kind, H, bs, bptt, epochs, lr, wd, pctStart, seed,
   * validRows, weights?}. hooks: {progress(info), epoch(row), yield() -> Promise<bool stop>}.
   * Resolves {rows, diverged, stopped, message, batchLosses, net}. */
  async function train(module, numberWords, cfg, hooks) {
    if (!CELLS[cfg.kind]) throw new Error("the trainer knows the cells " + Object.keys(CELLS).join(", ") + ", not " + cfg.kind);
    for (const [key, value] of [["bptt", cfg.bptt], ["hidden", cfg.H], ["bs", cfg.bs], ["epochs", cfg.epochs], ["lr", cfg.lr], ["seed", cfg.seed]]) {
      const bad = rangeError(key, value);
      if (bad) throw new RangeError(bad);
    }
    const data = humanNumbers(numberWords);
    const V = data.itos.length, validRows = cfg.validRows || DATA.valid_rows;
    const tl = loader(data.train, cfg.bs, cfg.bptt), vl = loader(data.valid, validRows, cfg.bptt);
    const net = await makeNet(module, cfg.kind, cfg.H, V, Math.max(cfg.bs, validRows), cfg.bptt);
    if (cfg.weights) setWeights(net, cfg.weights);
    else initParams(cfg.kind, cfg.H, V, cfg.seed, net.params());
    const total = cfg.epochs * tl.n, rows = [], batchLosses = [];
    let step = 0, diverged = false, stopped = false, message = "";
    const t0 = now();
    outer:
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const start = now();
      net.reset();
      const losses = [];
      for (let k = 0; k < tl.n; k++) {
        const T = tl.fill(k, net.x(), net.y());
        const loss = net.trainBatch(tl.bs, T);
        if (!Number.isFinite(loss)) {
          diverged = true;
          message = "The loss became " + loss + " at epoch " + epoch + ", batch " + k + " (learning rate " +
            oneCycle(step, total, cfg.lr, cfg.pctStart)[0].toPrecision(3) + " at that step, peak " + cfg.lr +
            "): the run diverged. Try a lower peak learning rate, such as " + (cfg.lr / 10).toPrecision(2) + ".";
          break outer;
        }
        net.cycleStep(step, total, cfg.lr, cfg.pctStart, cfg.wd);
        step++;
        losses.push(loss); batchLosses.push(loss);
        if (hooks.progress) hooks.progress({ epoch, batch: k + 1, batches: tl.n, step, total, loss, elapsed: now() - t0, tokens: tl.bs * T });
        if (hooks.yield && (await hooks.yield())) { stopped = true; break outer; }
      }
      const trainLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
      net.reset();
      let vloss = 0, correct = 0, count = 0;
      for (let k = 0; k < vl.n; k++) {
        const T = vl.fill(k, net.x(), net.y());
        const [l, c] = net.evalBatch(vl.bs, T);
        vloss += l * vl.bs * T; correct += c; count += vl.bs * T;
      }
      const row = { epoch, train_loss: trainLoss, valid_loss: vloss / count, accuracy: correct / count, time: (now() - start) / 1000 };
      if (!Number.isFinite(row.valid_loss)) {
        diverged = true;
        message = "The validation loss became " + row.valid_loss + " after epoch " + epoch + ": the run diverged. Try a lower peak learning rate, such as " + (cfg.lr / 10).toPrecision(2) + ".";
        break;
      }
      rows.push(row);
      if (hooks.epoch) hooks.epoch(row);
    }
    if (stopped) message = "Stopped after " + step + " of " + total + " batches.";
    return { rows, diverged, stopped, message, batchLosses, batchesPerEpoch: tl.n, net, itos: data.itos };
  }

  const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

  root.rnnbookTrainCore = { RANGES, rangeError, humanNumbers, loader, layout, initParams, oneCycle, makeNet, weights, setWeights, train, CELLS };
  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookTrainCore;
})(typeof self !== "undefined" ? self : globalThis);
