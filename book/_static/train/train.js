/* rnnbook "Train in your browser": the book's rnn, gru2 and lstm2 trained on this page.
 *
 * The page's side: the settings and their ranges, the Web Worker that trains (train-worker.js,
 * around train-core.js and trainer.wasm), and the hand-off of a trained run to the playground;
 * train-panel.js draws the panel in every <div class="rnnbook-train">. The recipes' settings
 * come from the div's data-recipes (written by rnnbook.train_here.train_panel from
 * rnnbook.recipes.RECIPES); the settings' ranges and the models' facts from ../facts.js, and
 * the words and the model-file format from ../playground/shared.js, which the page loads, with
 * train-core.js, before this script.
 *
 * Stable entry point: await window.rnnbookTrain.train(settings, onEpoch) resolves
 * {rows, diverged, message} (and stopped, seconds); settings = {model, bptt, hidden, bs, epochs,
 * lr, seed}, each left out taking the recipe's value; a setting out of range rejects with an
 * Error naming it and its range. window.rnnbookTrain.stop() ends a run after its current batch.
 *
 * Why hand-written WebAssembly, not TensorFlow.js or onnxruntime-web: the models are a few
 * 64-unit layers and a 40-word vocabulary, so a batch is a few hundred small matrix products
 * (64 x 64 by 64 x 192) and gate functions. trainer.wasm does them with 128-bit SIMD in about
 * 40 kB, and its forward and backward passes are PyTorch's formulas written out, checked
 * against PyTorch in Chromium (python -m sitecheck.train). TensorFlow.js with its wasm backend
 * would add over 1 MB (of the page's 2 MB budget) before any model, trains through a general
 * graph with a dispatch per small op, and its RNN layers are Keras's (other gate order and
 * initialisation), so matching PyTorch would mean rewriting the cells in its ops anyway;
 * onnxruntime-web's training build is several MB. Plain JavaScript computes the same in a
 * fraction of the speed (about 1 GFLOP/s against 13 for wasm SIMD on the matrix products).
 */
(function (root) {
  "use strict";

  const doc = typeof document !== "undefined" ? document : null;
  const scriptUrl = doc && doc.currentScript && doc.currentScript.src ? doc.currentScript.src : null;
  const BASE = scriptUrl ? new URL("./", scriptUrl).href : null;

  const core = root.rnnbookTrainCore; // train-core.js, loaded before this script
  const F = root.rnnbookFacts, S = root.rnnbookShared;
  const RANGES = core ? core.RANGES : {};
  const KINDS = {}; // model key -> cell kind
  if (F) for (const [key, m] of Object.entries(F.models)) KINDS[key] = m.cell;

  // ------------------------------------------------------------------ recipes and settings
  function recipes() {
    const el = doc && doc.querySelector("[data-rnnbook-recipes]");
    if (!el) throw new Error("this page has no training panel (its recipes are written with it)");
    return JSON.parse(el.getAttribute("data-rnnbook-recipes"));
  }

  /* The full settings of a run, or an Error naming the first bad setting and its range. */
  function resolve(settings) {
    const all = recipes();
    const s = settings == null ? {} : settings;
    if (typeof s !== "object") throw new Error("settings must be an object like {model: 'gru2', bptt: 20}");
    const known = ["model", "bptt", "hidden", "bs", "epochs", "lr", "seed", "weights"];
    for (const k of Object.keys(s)) {
      if (!known.includes(k)) throw new Error("unknown setting " + k + "; the settings are " + known.slice(0, 7).join(", "));
    }
    const model = s.model === undefined ? "gru2" : s.model;
    if (!Object.prototype.hasOwnProperty.call(all, model)) {
      throw new Error("model must be one of " + Object.keys(all).join(", ") + ", got " + JSON.stringify(model));
    }
    const r = all[model];
    const out = { model, bptt: r.bptt, hidden: r.hidden, bs: r.bs, epochs: r.epochs, lr: r.lr, seed: 0 };
    for (const k of Object.keys(RANGES)) {
      if (s[k] === undefined) continue;
      const bad = core.rangeError(k, s[k]);
      if (bad) throw new Error(bad);
      out[k] = s[k];
    }
    out.wd = r.wd; out.pctStart = r.pct_start; out.validRows = r.valid_rows;
    if (s.weights) out.weights = s.weights;
    return out;
  }

  // ------------------------------------------------------------------ the worker
  let worker = null, current = null;
  const listeners = new Set();
  const emit = (type, data) => listeners.forEach((f) => { try { f(type, data); } catch (e) { console.error(e); } });

  function supported() {
    if (!core || !S) return "The training scripts did not load (train-core.js or shared.js is missing).";
    if (typeof Worker === "undefined") return "This browser cannot run Web Workers, so it cannot train here.";
    if (typeof WebAssembly === "undefined") return "This browser has no WebAssembly, so it cannot train here.";
    if (!BASE) return "The training script does not know where its files are.";
    return null;
  }

  function getWorker() {
    if (!worker) {
      worker = new Worker(BASE + "train-worker.js");
      worker.onmessage = (ev) => onMessage(ev.data);
      worker.onerror = (ev) => {
        ev.preventDefault();
        finish(null, new Error("the training worker failed: " + (ev.message || "unknown error")));
        worker = null;
      };
    }
    return worker;
  }

  function onMessage(msg) {
    if (!current) return;
    if (msg.type === "progress") {
      current.losses.push(...msg.losses);
      emit("progress", { run: current, info: msg.info });
    } else if (msg.type === "epoch") {
      current.losses.push(...msg.losses);
      current.rows.push(msg.row);
      emit("epoch", { run: current, row: msg.row });
      if (current.onEpoch) { try { current.onEpoch(msg.row); } catch (e) { console.error(e); } }
    } else if (msg.type === "done") {
      finish(msg.result, null);
    } else if (msg.type === "checked") {
      finish(msg.result, null);
    } else if (msg.type === "error") {
      finish(null, new Error(msg.message));
    }
  }

  function finish(result, error) {
    const run = current;
    if (!run) return;
    current = null;
    if (error) { run.reject(error); emit("failed", { run, error }); return; }
    if (run.check) { run.resolve(result); return; }
    Object.assign(run, {
      rows: result.rows, diverged: result.diverged, stopped: result.stopped, message: result.message,
      losses: result.batchLosses, batchesPerEpoch: result.batchesPerEpoch, weights: result.weights,
      itos: result.itos, steps: result.steps, stepsAtStop: result.stepsAtStop,
      seconds: (performance.now() - run.started) / 1000,
      stopSeconds: run.stopAt === undefined ? null : (performance.now() - run.stopAt) / 1000,
    });
    run.status = result.diverged ? "diverged" : result.stopped ? "stopped" : "done";
    emit("done", { run });
    run.resolve({ rows: result.rows, diverged: result.diverged, message: result.message, stopped: result.stopped,
      seconds: run.seconds, steps: result.steps, stepsAtStop: result.stepsAtStop });
  }

  const runs = [];

  /* Train a model; see the header. */
  function train(settings, onEpoch) {
    let cfg;
    try {
      const bad = supported();
      if (bad) throw new Error(bad);
      cfg = resolve(settings);
      if (current) throw new Error("a run is already training; stop it first (rnnbookTrain.stop())");
      if (onEpoch !== undefined && typeof onEpoch !== "function") throw new Error("onEpoch must be a function");
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolvePromise, reject) => {
      const run = { id: runs.length + 1, settings: cfg, rows: [], losses: [], status: "training", onEpoch,
        started: performance.now(), resolve: resolvePromise, reject, batchesPerEpoch: 0 };
      current = run;
      runs.push(run);
      emit("start", { run });
      getWorker().postMessage({ type: "train", cfg: {
        kind: KINDS[cfg.model], H: cfg.hidden, bs: cfg.bs, bptt: cfg.bptt, epochs: cfg.epochs, lr: cfg.lr,
        wd: cfg.wd, pctStart: cfg.pctStart, seed: cfg.seed, validRows: cfg.validRows, weights: cfg.weights } });
    });
  }

  /* End the running training after its current batch (what was trained is kept). */
  function stop() {
    if (current && !current.check && worker) {
      if (current.stopAt === undefined) current.stopAt = performance.now();
      worker.postMessage({ type: "stop" });
      return true;
    }
    return false;
  }

  /* The exactness check of python -m sitecheck.train (see train-worker.js's check()). */
  function check(spec) {
    const bad = supported();
    if (bad) return Promise.reject(new Error(bad));
    if (current) return Promise.reject(new Error("a run is training"));
    return new Promise((resolvePromise, reject) => {
      current = { check: true, resolve: resolvePromise, reject, losses: [], rows: [] };
      getWorker().postMessage({ type: "check", spec });
    });
  }

  // ------------------------------------------------------------------ the playground hand-off
  /* A trained run as a playground model file (rnnbook.playground's format). */
  function playgroundFile(run, key) {
    const s = run.settings, m = F.models[s.model], kind = m.cell;
    const shapes = Object.fromEntries(core.layout(kind, s.hidden, run.itos.length).map((p) => [p.name, p.shape]));
    const arrays = Object.entries(run.weights).map(([name, data]) => ({ name, shape: shapes[name] || [data.length], data }));
    const acc = run.rows.length ? run.rows[run.rows.length - 1].accuracy : null;
    const arch = { cell: kind, n_layers: m.n_layers, n_hidden: s.hidden, vocab_size: run.itos.length, norm: m.norm, copy: null };
    if (m.norm === "bn") arch.bn_eps = m.bn_eps;
    return S.writeModel({
      key, class: m.class, title: s.model + " trained on this page (run " + run.id + ")", arch, vocab: run.itos,
      recipe: { key: s.model, title: "trained here", epochs: s.epochs, lr: s.lr, bs: s.bs, bptt: s.bptt, hidden: s.hidden },
      seed: s.seed, accuracy: acc,
    }, arrays);
  }

  function loadPlayground() {
    if (root.rnnbookPlayground) return Promise.resolve(root.rnnbookPlayground);
    return new Promise((res, rej) => {
      const s = doc.createElement("script");
      s.src = new URL("../playground/playground.js", BASE).href;
      s.onload = () => res(root.rnnbookPlayground.ready.then(() => root.rnnbookPlayground));
      s.onerror = () => rej(new Error("could not load the playground"));
      doc.head.appendChild(s);
    });
  }

  /* Open a finished run in the playground on this page (made in `host` if the page has none). */
  async function openInPlayground(run, host) {
    if (!run.weights) throw new Error("run " + run.id + " has no trained weights");
    const key = "run" + run.id + "-" + run.settings.model;
    const pg = await loadPlayground();
    pg.addModel(playgroundFile(run, key));
    let el = doc.querySelector(".rnnbook-playground");
    if (!el && host) {
      el = doc.createElement("div");
      el.className = "rnnbook-playground";
      el.dataset.model = key;
      el.dataset.example = "count";
      host.appendChild(el);
      pg.mount(el);
    } else if (el) {
      pg.select(el, key);
    }
    if (el) el.scrollIntoView({ block: "start" });
    return key;
  }

  root.rnnbookTrain = { train, stop, check, resolve, runs, RANGES, openInPlayground, playgroundFile, supported, BASE,
    on: (f) => { listeners.add(f); return () => listeners.delete(f); } };
})(typeof window !== "undefined" ? window : globalThis);
