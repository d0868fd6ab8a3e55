/* rnnbook "Train in your browser": the panel in every <div class="rnnbook-train">.
 *
 * Controls (the settings and their ranges), Train/Stop, progress, the epoch table, live loss
 * curves, the table of runs, a comparison of two runs, and "open in the playground"; it
 * trains through window.rnnbookTrain (train.js, loaded before this script) and follows its
 * runs with rnnbookTrain.on. Adds rnnbookTrain.smooth (the curves' smoothing) and mount.
 */
(function (root) {
  "use strict";

  const doc = typeof document !== "undefined" ? document : null;
  const T = root.rnnbookTrain, S = root.rnnbookShared;
  const RANGES = T.RANGES, runs = T.runs, esc = S ? S.esc : String, fmt = S ? S.fmt : String;
  const { train, stop, resolve, supported, openInPlayground } = T;

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
    T.on((type, d) => {
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
    const css = T.BASE ? T.BASE + "train.css" : null;
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


  Object.assign(T, { smooth, mount });
  if (doc) {
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", mountAll);
    else mountAll();
  }
})(typeof window !== "undefined" ? window : globalThis);
