/* rnnbook "Train in your browser": the book's rnn, gru2 and lstm2 trained on this page.
 *
 * The page's side: the settings and their ranges, the Web Worker that trains (train-worker.js,
 * around train-core.js and trainer.wasm), and the panel in every <div class="rnnbook-train">
 * (controls, Train/Stop, progress, the epoch table, live loss curves, the table of runs, a
 * comparison of two runs, and "open in the playground"). The recipes' settings come from the
 * div's data-recipes (written by rnnbook.train_here.train_panel from rnnbook.experiments.RECIPES);
 * the settings' ranges from train-core.js, which the page loads before this script.
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
  const RANGES = core ? core.RANGES : {};
  const KINDS = { rnn: "rnn", gru2: "gru", lstm2: "lstm" };

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
    if (!core) return "The training scripts did not load (train-core.js is missing).";
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
  /* A trained run as a playground model file (rnnbook.playground's format, RNNBPG01). */
  function playgroundFile(run, key) {
    const s = run.settings, kind = KINDS[s.model], layers = kind === "rnn" ? 1 : 2;
    const tensors = [], chunks = [];
    let offset = 0;
    for (const [name, arr] of Object.entries(run.weights)) {
      const shape = name === "i_h.weight" || name === "h_o.weight" ? [arr.length / s.hidden, s.hidden]
        : name.startsWith("rnn.weight") ? [arr.length / s.hidden, s.hidden] : [arr.length];
      tensors.push({ name, shape, offset });
      chunks.push(arr);
      offset += arr.length;
    }
    const acc = run.rows.length ? run.rows[run.rows.length - 1].accuracy : null;
    const header = {
      format: 1, key, class: { rnn: "StatefulRNN", gru: "GRU2", lstm: "LSTM2" }[kind],
      title: s.model + " trained on this page (run " + run.id + ")",
      arch: { cell: kind, n_layers: layers, n_hidden: s.hidden, vocab_size: run.itos.length,
        norm: kind === "lstm" ? null : "bn", copy: null, bn_eps: 1e-5 },
      vocab: run.itos,
      recipe: { key: s.model, title: "trained here", epochs: s.epochs, lr: s.lr, bs: s.bs, bptt: s.bptt, hidden: s.hidden },
      seed: s.seed, accuracy: acc, tensors, aliases: {},
    };
    let text = new TextEncoder().encode(JSON.stringify(header));
    const pad = (4 - ((12 + text.length) % 4)) % 4;
    if (pad) { const t = new Uint8Array(text.length + pad); t.set(text); t.fill(32, text.length); text = t; }
    const buf = new ArrayBuffer(12 + text.length + 4 * offset);
    const bytes = new Uint8Array(buf);
    bytes.set(new TextEncoder().encode("RNNBPG01"), 0);
    new DataView(buf).setUint32(8, text.length, true);
    bytes.set(text, 12);
    const f = new Float32Array(buf, 12 + text.length, offset);
    let o = 0;
    for (const c of chunks) { f.set(c, o); o += c.length; }
    return buf;
  }

  function loadPlayground() {
    if (root.rnnbookPlayground) return Promise.resolve(root.rnnbookPlayground);
    return new Promise((res, rej) => {
      const s = doc.createElement("script");
      s.src = new URL("../playground/playground.js", BASE).href;
      s.onload = () => res(root.rnnbookPlayground);
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

  // ------------------------------------------------------------------ drawing
  function smooth(values, beta) { // rnnbook.plotting._smooth: EMA with bias correction
    const out = [];
    let avg = 0;
    for (let i = 0; i < values.length; i++) {
      avg = beta * avg + (1 - beta) * values[i];
      out.push(avg / (1 - Math.pow(beta, i + 1)));
    }
    return out;
  }

  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

  /* Lines on a canvas: series = [{points: [[x, y]], color, dash, dots}], axes from the data. */
  function plot(canvas, series, opts) {
    const width = Math.max(240, Math.floor(canvas.parentElement.clientWidth || 600));
    const height = opts.height || 220, ratio = root.devicePixelRatio || 1;
    canvas.width = width * ratio; canvas.height = height * ratio;
    canvas.style.width = "100%"; canvas.style.height = height + "px"; // never wider than its box
    const ctx = canvas.getContext && canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const fg = getComputedStyle(canvas).color || "#222";
    ctx.clearRect(0, 0, width, height);
    const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
    const left = 46, right = 10, top = 18, bottom = 32;
    let x0 = 0, x1 = opts.xmax || Math.max(1, ...pts.map((p) => p[0]));
    let y0 = opts.ymin !== undefined ? opts.ymin : Math.min(...pts.map((p) => p[1]));
    let y1 = opts.ymax !== undefined ? opts.ymax : Math.max(...pts.map((p) => p[1]));
    if (!pts.length) { y0 = 0; y1 = 1; }
    if (y1 - y0 < 1e-9) { y1 += 0.5; y0 -= 0.5; }
    const X = (x) => left + (x - x0) / (x1 - x0) * (width - left - right);
    const Y = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
    ctx.font = "11px sans-serif"; ctx.fillStyle = fg; ctx.strokeStyle = fg; ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, height - bottom); ctx.lineTo(width - right, height - bottom); ctx.stroke();
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const v = y0 + (y1 - y0) * i / 4;
      ctx.fillText(v.toFixed(2), left - 4, Y(v));
      ctx.globalAlpha = 0.15; ctx.beginPath(); ctx.moveTo(left, Y(v)); ctx.lineTo(width - right, Y(v)); ctx.stroke(); ctx.globalAlpha = 1;
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const xt = Math.max(1, Math.ceil(x1 / 8));
    for (let x = 0; x <= x1 + 1e-9; x += xt) ctx.fillText(String(x), X(x), height - bottom + 4);
    ctx.fillText(opts.xlabel || "epoch", left + (width - left - right) / 2, height - 14);
    ctx.textAlign = "left"; ctx.fillText(opts.title || "", left + 4, 2);
    for (const s of series) {
      ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = s.width || 1.5;
      ctx.setLineDash(s.dash ? [5, 3] : []);
      ctx.beginPath();
      let started = false;
      for (const [x, y] of s.points) {
        if (!Number.isFinite(y)) continue;
        const yy = Math.max(y0, Math.min(y1, y));
        if (!started) { ctx.moveTo(X(x), Y(yy)); started = true; } else ctx.lineTo(X(x), Y(yy));
      }
      ctx.stroke();
      if (s.dots) for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(X(x), Y(y), 2.5, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.setLineDash([]);
  }

  /* The epochs a run's axes span: all it was set to train while it trains, what it covered once
   * it has stopped. */
  function span(run) {
    if (run.status === "training") return run.settings.epochs;
    const n = run.batchesPerEpoch || run.nb || 1;
    return Math.max(1, run.rows.length, Math.ceil(run.losses.length / n));
  }

  function curves(run) {
    const n = run.batchesPerEpoch || run.nb || 1;
    const sm = smooth(run.losses, 0.9);
    return {
      train: sm.map((v, i) => [(i + 1) / n, v]),
      valid: run.rows.map((r) => [r.epoch + 1, r.valid_loss]),
      acc: run.rows.map((r) => [r.epoch + 1, r.accuracy]),
    };
  }

  // ------------------------------------------------------------------ the panel
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const fmt = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
  let counter = 0;

  function mount(el) {
    if (el.dataset.mounted) return;
    el.dataset.mounted = "1";
    const id = "rnntr" + ++counter;
    const all = JSON.parse(el.getAttribute("data-rnnbook-recipes"));
    const bad = supported();
    if (bad) {
      el.innerHTML = '<div class="rnntr-msg rnntr-error" role="status">' + esc(bad) + " The precomputed runs below still work.</div>";
      return;
    }
    const field = (k, step) => {
      const r = RANGES[k];
      return '<div class="rnntr-field"><label for="' + id + "-" + k + '">' + esc(r.label) + ' <span class="rnntr-range">(' +
        r.min + "–" + r.max + ')</span></label><input type="number" id="' + id + "-" + k + '" min="' + r.min + '" max="' + r.max +
        '" step="' + step + '" required></div>';
    };
    el.innerHTML =
      '<section class="rnntr" aria-labelledby="' + id + '-title">' +
      '<p class="rnntr-title" id="' + id + '-title"><strong>Train in your browser</strong>: the model trains on this page, in a background thread of your browser, with the book\'s recipe and your settings.</p>' +
      '<form class="rnntr-controls" id="' + id + '-form" novalidate>' +
      '<div class="rnntr-field"><label for="' + id + '-model">model</label><select id="' + id + '-model">' +
      Object.entries(all).map(([k, r]) => '<option value="' + esc(k) + '">' + esc(k + ": " + r.title) + "</option>").join("") + "</select></div>" +
      field("bptt", 1) + field("hidden", 1) + field("bs", 1) + field("epochs", 1) + field("lr", "any") + field("seed", 1) +
      '<div class="rnntr-buttons"><button type="submit" id="' + id + '-train">Train</button>' +
      '<button type="button" id="' + id + '-stop" disabled>Stop</button>' +
      '<button type="button" id="' + id + '-recipe">Recipe settings</button></div>' +
      "</form>" +
      '<div class="rnntr-msg" id="' + id + '-msg" role="status" aria-live="polite"></div>' +
      '<div class="rnntr-progress"><progress id="' + id + '-bar" value="0" max="1" aria-label="Training progress"></progress> ' +
      '<span id="' + id + '-ptext">Not started.</span></div>' +
      '<div class="rnntr-plots"><div class="rnntr-plot"><canvas id="' + id + '-loss" role="img" aria-label="Loss curves: none yet"></canvas></div>' +
      '<div class="rnntr-plot"><canvas id="' + id + '-acc" role="img" aria-label="Accuracy curve: none yet"></canvas></div></div>' +
      '<div class="rnntr-scroll" tabindex="0" role="region" aria-label="Epoch table of the current run">' +
      '<table class="rnntr-table"><caption>Epoch table of the current run (the curves\' numbers)</caption><thead><tr><th scope="col">epoch</th><th scope="col">train_loss</th><th scope="col">valid_loss</th><th scope="col">accuracy</th><th scope="col">time</th></tr></thead>' +
      '<tbody id="' + id + '-rows"></tbody></table></div>' +
      '<div class="rnntr-scroll" tabindex="0" role="region" aria-label="Runs on this page">' +
      '<table class="rnntr-table"><caption>Runs on this page: tick two to compare them below</caption><thead><tr><th scope="col">run</th><th scope="col">model</th><th scope="col">bptt</th><th scope="col">hidden</th><th scope="col">bs</th><th scope="col">epochs</th><th scope="col">lr</th><th scope="col">seed</th><th scope="col">accuracy</th><th scope="col">s/epoch</th><th scope="col">status</th><th scope="col">compare</th><th scope="col">playground</th></tr></thead>' +
      '<tbody id="' + id + '-runs"><tr><td colspan="13">No run yet.</td></tr></tbody></table></div>' +
      '<div class="rnntr-compare" id="' + id + '-cmpbox" hidden><div class="rnntr-plots"><div class="rnntr-plot"><canvas id="' + id + '-cmploss" role="img" aria-label="Comparison of loss curves"></canvas></div>' +
      '<div class="rnntr-plot"><canvas id="' + id + '-cmpacc" role="img" aria-label="Comparison of accuracy curves"></canvas></div></div>' +
      '<p class="rnntr-note" id="' + id + '-cmpnote"></p></div>' +
      '<div class="rnntr-pg" id="' + id + '-pg"></div>' +
      "</section>";
    const $ = (s) => el.querySelector("#" + id + "-" + s);
    const model = $("model"), msg = $("msg"), bar = $("bar"), ptext = $("ptext"), rowsEl = $("rows"), runsEl = $("runs");
    const trainBtn = $("train"), stopBtn = $("stop");
    const inputs = Object.fromEntries(Object.keys(RANGES).map((k) => [k, $(k)]));
    const compared = new Set();
    let shown = null;

    function setRecipe() {
      const r = all[model.value];
      inputs.bptt.value = r.bptt; inputs.epochs.value = r.epochs; inputs.lr.value = r.lr;
      inputs.hidden.value = r.hidden; inputs.bs.value = r.bs;
      if (inputs.seed.value === "") inputs.seed.value = 0;
    }
    const start = el.dataset.model && all[el.dataset.model] ? el.dataset.model : Object.keys(all)[0];
    model.value = start; setRecipe();
    model.addEventListener("change", setRecipe);
    $("recipe").addEventListener("click", setRecipe);

    function setMessage(text, kind) { msg.textContent = text; msg.className = "rnntr-msg" + (kind ? " rnntr-" + kind : ""); }

    function readSettings() {
      const s = { model: model.value };
      for (const [k, input] of Object.entries(inputs)) {
        input.removeAttribute("aria-invalid");
        const v = input.value.trim() === "" ? NaN : Number(input.value);
        s[k] = v;
      }
      return s;
    }

    function drawRun(run) {
      const c = curves(run);
      const xmax = span(run);
      plot($("loss"), [{ points: c.train, color: COLORS[0], width: 1 }, { points: c.valid, color: COLORS[1], dots: true }],
        { title: "loss: train (smoothed, blue), valid (red)", xmax, ymin: 0 });
      plot($("acc"), [{ points: c.acc, color: COLORS[2], dots: true }], { title: "validation accuracy", xmax, ymin: 0, ymax: 1 });
      const last = run.rows[run.rows.length - 1];
      $("loss").setAttribute("aria-label", "Loss curves of run " + run.id + ": " + run.losses.length + " batches" +
        (last ? ", last valid loss " + fmt(last.valid_loss, 3) : "") + ". The epoch table holds the numbers.");
      $("acc").setAttribute("aria-label", "Validation accuracy of run " + run.id + (last ? ": " + fmt(last.accuracy, 3) + " after epoch " + last.epoch : ": no epoch yet") + ".");
    }

    function renderRows(run) {
      rowsEl.innerHTML = run.rows.map((r) => "<tr><td>" + r.epoch + "</td><td>" + fmt(r.train_loss, 6) + "</td><td>" +
        fmt(r.valid_loss, 6) + "</td><td>" + fmt(r.accuracy, 6) + "</td><td>" + r.time.toFixed(1) + "s</td></tr>").join("");
    }

    function renderRuns() {
      if (!runs.length) return;
      runsEl.innerHTML = runs.map((r) => {
        const s = r.settings, last = r.rows[r.rows.length - 1];
        const spe = r.rows.length ? r.rows.reduce((a, x) => a + x.time, 0) / r.rows.length : null;
        return "<tr><td>" + r.id + "</td><td>" + esc(s.model) + "</td><td>" + s.bptt + "</td><td>" + s.hidden + "</td><td>" + s.bs +
          "</td><td>" + s.epochs + "</td><td>" + s.lr + "</td><td>" + s.seed + "</td><td>" + (last ? fmt(last.accuracy, 4) : "–") +
          "</td><td>" + (spe === null ? "–" : spe.toFixed(2)) + "</td><td>" + esc(r.status) + "</td>" +
          '<td><input type="checkbox" class="rnntr-cmp" data-run="' + r.id + '" aria-label="compare run ' + r.id + '"' +
          (compared.has(r.id) ? " checked" : "") + (r.status === "training" ? " disabled" : "") + "></td>" +
          '<td><button type="button" class="rnntr-open" data-run="' + r.id + '"' + (r.weights ? "" : " disabled") +
          ' aria-label="open run ' + r.id + ' in the playground">open</button></td></tr>';
      }).join("");
    }

    function drawCompare() {
      const chosen = runs.filter((r) => compared.has(r.id));
      $("cmpbox").hidden = chosen.length < 1;
      if (!chosen.length) return;
      const xmax = Math.max(...chosen.map(span));
      const ls = [], as = [];
      chosen.forEach((r, i) => {
        const c = curves(r), color = COLORS[i % COLORS.length];
        ls.push({ points: c.train, color, width: 1 }, { points: c.valid, color, dots: true, dash: true });
        as.push({ points: c.acc, color, dots: true });
      });
      plot($("cmploss"), ls, { title: "loss: train (solid), valid (dashed)", xmax, ymin: 0 });
      plot($("cmpacc"), as, { title: "validation accuracy", xmax, ymin: 0, ymax: 1 });
      const words = chosen.map((r, i) => "run " + r.id + " (" + ["blue", "red", "green", "purple"][i % 4] + ": " + r.settings.model +
        ", bptt " + r.settings.bptt + ", hidden " + r.settings.hidden + ", accuracy " + (r.rows.length ? fmt(r.rows[r.rows.length - 1].accuracy, 3) : "–") + ")");
      $("cmpnote").textContent = "Compared: " + words.join(" and ") + ".";
      $("cmploss").setAttribute("aria-label", "Loss curves of " + words.join(" and "));
      $("cmpacc").setAttribute("aria-label", "Validation accuracy of " + words.join(" and "));
    }

    runsEl.addEventListener("change", (ev) => {
      const b = ev.target.closest("input.rnntr-cmp");
      if (!b) return;
      const rid = Number(b.dataset.run);
      if (b.checked) {
        compared.add(rid);
        while (compared.size > 2) compared.delete(compared.values().next().value);
      } else compared.delete(rid);
      renderRuns(); drawCompare();
    });
    runsEl.addEventListener("click", (ev) => {
      const b = ev.target.closest("button.rnntr-open");
      if (!b) return;
      const run = runs.find((r) => r.id === Number(b.dataset.run));
      openInPlayground(run, $("pg")).then((key) => setMessage("Run " + run.id + " is open in the playground as " + key + ".", ""))
        .catch((err) => setMessage("Could not open the run in the playground: " + err.message, "error"));
    });

    $("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const s = readSettings();
      try { resolve(s); } catch (err) {
        const k = Object.keys(RANGES).find((key) => err.message.startsWith(key + " "));
        if (k) { inputs[k].setAttribute("aria-invalid", "true"); inputs[k].focus(); }
        setMessage(err.message, "error");
        return;
      }
      train(s).catch((err) => setMessage(err.message, "error"));
    });
    stopBtn.addEventListener("click", () => { if (stop()) setMessage("Stopping after the current batch…", ""); });

    let lastDraw = 0;
    listeners.add((type, d) => {
      if (!el.isConnected) return;
      const run = d.run;
      if (type === "start") {
        shown = run; rowsEl.innerHTML = ""; trainBtn.disabled = true; stopBtn.disabled = false;
        bar.value = 0; ptext.textContent = "Starting…";
        setMessage("Training run " + run.id + ": " + run.settings.model + ", bptt " + run.settings.bptt + ", hidden " +
          run.settings.hidden + ", batch size " + run.settings.bs + ", " + run.settings.epochs + " epochs, peak lr " + run.settings.lr + ", seed " + run.settings.seed + ".", "");
        renderRuns(); drawRun(run);
      } else if (type === "progress" && run === shown) {
        const i = d.info, secs = i.elapsed / 1000;
        run.nb = i.batches;
        bar.max = i.total; bar.value = i.step;
        const rate = i.step * i.tokens / Math.max(secs, 1e-3);
        const left = secs / i.step * (i.total - i.step);
        ptext.textContent = "epoch " + (i.epoch + 1) + "/" + run.settings.epochs + ", batch " + i.batch + "/" + i.batches + " · " +
          Math.round(rate).toLocaleString("en") + " tokens/s · about " + Math.ceil(left) + " s left";
        const t = performance.now();
        if (t - lastDraw > 250) { lastDraw = t; drawRun(run); }
      } else if (type === "epoch" && run === shown) {
        renderRows(run); renderRuns(); drawRun(run);
      } else if (type === "done" || type === "failed") {
        trainBtn.disabled = false; stopBtn.disabled = true;
        if (type === "failed") { run.status = "failed"; setMessage("The run failed: " + d.error.message, "error"); }
        else if (run.diverged) setMessage(run.message, "error");
        else {
          const last = run.rows[run.rows.length - 1];
          setMessage((run.stopped ? run.message + " " : "Done. ") + (last ? "Validation accuracy " + fmt(last.accuracy, 4) + " after " + run.rows.length + " epochs." : "No epoch finished."), "");
        }
        if (type === "done") { bar.value = run.steps || bar.value; ptext.textContent = run.status + " after " + run.seconds.toFixed(1) + " s"; }
        renderRows(run); renderRuns(); drawRun(run); drawCompare();
      }
    });
    el.addEventListener("rnnbook-train-resize", () => { if (shown) drawRun(shown); drawCompare(); });
  }

  function mountAll() {
    if (!doc) return;
    const css = BASE ? BASE + "train.css" : null;
    if (css && ![...doc.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === css)) {
      const link = doc.createElement("link");
      link.rel = "stylesheet"; link.href = css;
      doc.head.appendChild(link);
    }
    doc.querySelectorAll(".rnnbook-train").forEach(mount);
    let t = null;
    root.addEventListener("resize", () => {
      clearTimeout(t);
      t = setTimeout(() => doc.querySelectorAll(".rnnbook-train").forEach((e) => e.dispatchEvent(new Event("rnnbook-train-resize"))), 150);
    });
  }

  root.rnnbookTrain = { train, stop, check, resolve, runs, RANGES, openInPlayground, playgroundFile, smooth, supported,
    on: (f) => { listeners.add(f); return () => listeners.delete(f); } };
  if (doc) {
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", mountAll);
    else mountAll();
  }
})(typeof window !== "undefined" ? window : globalThis);
