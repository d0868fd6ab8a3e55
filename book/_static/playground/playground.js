/* rnnbook playground: the book's trained models, run in the page.
 *
 * A plain script, no library. The page's side: it finds the model files written by
 * rnnbook.playground.export_model (models/index.json, or inlined by rnnbook.playground's live
 * view, or handed over by the trainer with addModel), runs them with model.js (the forward
 * pass, in double precision; see rnnbook.playground's docstring for the format and for why no
 * inference library is used), and draws the view into every <div class="rnnbook-playground">
 * on the page, with the "Look inside" view of inside.js. A chapter loads this script only: it
 * loads ../facts.js, shared.js, model.js and inside.js, beside it, unless the page has them.
 *
 * Stable entry points: await window.rnnbookPlayground.run(modelKey, text) returns
 * {tokens, predictions, top, hidden}; await window.rnnbookPlayground.generate(modelKey, prompt,
 * nWords, temperature, seed) returns {prompt, words, text}, the words the model writes after the
 * prompt, feeding its own guesses back (temperature 0: the likeliest word each time, as
 * rnnbook.generate does; above 0: drawn from softmax(logits / temperature), seeded).
 *
 * Options on the div: data-models="gru2 copy_gru" (which models to offer, in order; default:
 * all in models/index.json), data-model (the one chosen first), data-example (an example key,
 * see EXAMPLES) or data-text (the text to start with).
 */
(function (root) {
  "use strict";
  const TOP_K = 3;
  const doc = typeof document !== "undefined" ? document : null;
  const scriptUrl = doc && doc.currentScript && doc.currentScript.src ? doc.currentScript.src : null;
  const MODEL_BASE = scriptUrl ? new URL("models/", scriptUrl).href : null;

  // ------------------------------------------------------------------ the scripts it needs
  let M = null, S = null; // model.js and shared.js, once loaded
  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const s = doc.createElement("script");
      s.src = url; s.async = false; // run in the order added
      s.onload = resolve;
      s.onerror = () => reject(new Error("could not load " + url));
      doc.head.appendChild(s);
    });
  }
  const NEEDS = [["rnnbookFacts", "../facts.js"], ["rnnbookShared", "shared.js"], ["rnnbookPlaygroundModel", "model.js"],
    ["rnnbookInside", "inside.js"]];
  const missing = NEEDS.filter(([name]) => !root[name]);
  /* Resolves once model.js and shared.js (and the facts they read) are there. */
  const ready = (missing.length && !(doc && scriptUrl) ? Promise.reject(new Error("the playground's scripts are missing"))
    : Promise.all(missing.map(([, file]) => loadScript(new URL(file, scriptUrl).href)))
  ).then(() => { M = root.rnnbookPlaygroundModel; S = root.rnnbookShared; });

  // ------------------------------------------------------------------ examples
  const counting = (numbers) => numbers.map(S.numberWords).join(" , ") + " ,";
  function range(a, b) { const out = []; for (let i = a; i <= b; i++) out.push(i); return out; }

  /* The example texts, by key (made once the words are loaded). */
  let EXAMPLES = null;
  const examples = () => EXAMPLES || (EXAMPLES = {
    count: { label: "Counting on", text: counting(range(8112, 8119)) },
    nine: { label: "Into nine thousand", text: counting(range(8996, 9003)) },
    mid: { label: "Starting mid-number", text: "hundred twelve , " + counting(range(8113, 8117)) },
    skip: { label: "A count that skips", text: counting([8101, 8102, 8103, 8105, 8106, 8107, 8108]) },
    long: { label: "8101 to 8160", text: counting(range(8101, 8160)) },
  });

  // ------------------------------------------------------------------ model files
  function fromBase64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  const cache = new Map();
  let indexPromise = null;

  function inlineModels() { return root.rnnbookPlaygroundModels || null; }

  // Models handed over in memory (a model trained on the page, see ../train/train.js's
  // openInPlayground): key -> {entry, model}. They are offered first, before the site's.
  const added = new Map();
  const mounted = [];

  /* Offer a model file given as an ArrayBuffer (the format above) in every playground on the
   * page; returns its key. */
  function addModel(buffer) {
    const m = M.parseModel(buffer), h = m.header;
    added.set(h.key, { entry: { key: h.key, title: h.title, file: null, accuracy: h.accuracy, seed: h.seed }, model: m });
    cache.delete(h.key);
    mounted.forEach((f) => f());
    return h.key;
  }

  function withAdded(models) { return [...added.values()].map((a) => a.entry).concat(models.filter((e) => !added.has(e.key))); }

  function listModels() {
    if (added.size) return listSiteModels().catch(() => []).then(withAdded);
    return listSiteModels();
  }

  function listSiteModels() {
    const inline = inlineModels();
    if (inline) {
      return Promise.resolve(Object.keys(inline).map((key) => {
        const h = loadModelSync(key).header;
        return { key, title: h.title, file: null, accuracy: h.accuracy, seed: h.seed };
      }));
    }
    if (!indexPromise) {
      if (!MODEL_BASE) return Promise.reject(new Error("the playground does not know where its models are"));
      indexPromise = fetch(MODEL_BASE + "index.json").then((r) => {
        if (!r.ok) throw new Error("no model index (" + r.status + ")");
        return r.json();
      }).then((j) => j.models);
      indexPromise.catch(() => { indexPromise = null; });
    }
    return indexPromise;
  }

  const parsedInline = new Map();
  function loadModelSync(key) {
    if (!parsedInline.has(key)) parsedInline.set(key, M.parseModel(fromBase64(inlineModels()[key])));
    return parsedInline.get(key);
  }

  function loadModel(key) {
    if (typeof key !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(key)) {
      return Promise.reject(new Error("not a model key: " + String(key)));
    }
    if (added.has(key)) return Promise.resolve(added.get(key).model);
    if (cache.has(key)) return cache.get(key);
    const inline = inlineModels();
    let p;
    if (inline) {
      p = key in inline ? Promise.resolve().then(() => loadModelSync(key))
        : Promise.reject(new Error("unknown model " + key + "; the models are: " + Object.keys(inline).join(", ")));
    } else {
      p = listModels().then((models) => {
        const entry = models.find((e) => e.key === key);
        if (!entry) throw new Error("unknown model " + key + "; the models are: " + models.map((e) => e.key).join(", "));
        return fetch(MODEL_BASE + entry.file);
      }).then((r) => {
        if (!r.ok) throw new Error("could not load model " + key + " (" + r.status + ")");
        return r.arrayBuffer();
      }).then(M.parseModel);
    }
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    return p;
  }

  // ------------------------------------------------------------------ reading and writing on
  async function run(modelKey, text) {
    await ready;
    const m = await loadModel(modelKey);
    const a = M.analyse(m, text);
    if (a.tooLong) throw new Error("the text has " + a.tokens.length + " words; the playground reads at most " + M.MAX_TOKENS);
    const top = a.base.probs.map((p) => M.topk(p, TOP_K).map((i) => [m.vocab[i], p[i]]));
    return {
      tokens: a.tokens,
      predictions: top.map((t) => t[0][0]),
      top,
      hidden: a.base.hidden.map((h) => Array.from(h)),
    };
  }

  async function generate(modelKey, prompt, nWords, temperature = 0, seed = 0) {
    await ready;
    M.checkWriting(nWords, temperature, seed);
    const m = await loadModel(modelKey);
    const ids = M.promptIds(m, prompt);
    const words = M.continueIds(m, ids, nWords, temperature, seed).map((i) => m.vocab[i]);
    return { prompt: S.tokenize(prompt), words, text: words.join(" ") };
  }

  // The Continue controls under the text box: the model writes on from the text, in the page.
  function mountContinue(el, id, modelKey, textOf) {
    const box = document.createElement("div");
    box.className = "rnnpg-continue";
    box.innerHTML =
      '<p class="rnnpg-h">Let the model write on</p>' +
      '<div class="rnnpg-controls">' +
      '<div class="rnnpg-field"><label for="' + id + '-temp">Temperature (0 = greedy: always the likeliest word)</label>' +
      '<input type="number" id="' + id + '-temp" min="0" max="5" step="0.1" value="0" inputmode="decimal"></div>' +
      '<div class="rnnpg-field"><label for="' + id + '-nwords">Words to write</label>' +
      '<input type="number" id="' + id + '-nwords" min="1" max="' + M.MAX_WRITE + '" step="1" value="30"></div>' +
      '<div class="rnnpg-field"><label for="' + id + '-seed">Seed (for temperature above 0)</label>' +
      '<input type="number" id="' + id + '-seed" min="0" step="1" value="0"></div>' +
      '<div class="rnnpg-field"><button type="button" class="rnnpg-continue-btn" id="' + id + '-continue">Continue</button></div>' +
      "</div>" +
      '<p class="rnnpg-note rnnpg-written" id="' + id + '-written" role="status" aria-live="polite"></p>';
    const after = el.querySelector(".rnnpg-controls");
    after.parentNode.insertBefore(box, after.nextSibling);
    const $ = (s) => box.querySelector("#" + id + "-" + s);
    const out = $("written");
    $("continue").addEventListener("click", () => {
      const temperature = Number($("temp").value), nWords = Number($("nwords").value), seed = Number($("seed").value);
      const key = modelKey();
      out.classList.remove("rnnpg-error");
      out.textContent = "writing…";
      generate(key, textOf(), nWords, temperature, seed).then((r) => {
        out.innerHTML = "<strong>" + S.esc(key) + "</strong> writes" + (temperature === 0 ? " (greedy)" : " (temperature " + temperature + ", seed " + seed + ")") +
          ': <span class="rnnpg-text">' + S.esc(r.text) + "</span>";
        el.dispatchEvent(new CustomEvent("rnnbook-playground-continued", { bubbles: true }));
      }).catch((err) => {
        out.classList.add("rnnpg-error");
        out.textContent = "Cannot continue: " + err.message + ".";
      });
    });
  }

  // ------------------------------------------------------------------ the view
  let counter = 0;

  function describe(h) {
    const a = h.arch, r = h.recipe;
    const parts = [];
    parts.push("<strong>" + S.esc(h.key) + "</strong>: " + S.esc(h.title) + " (" + S.esc(h.class) + ", " +
      a.n_layers + " layer" + (a.n_layers > 1 ? "s" : "") + " of " + a.n_hidden + " units" +
      (a.copy ? ", copy head over the last " + a.copy.mem_len + " words" : "") +
      (a.cell === "transformer" ? ", " + a.n_heads + " heads, context " + a.context + " words" : "") + ")");
    if (r) parts.push("recipe " + S.esc(r.key) + ": " + r.epochs + " epochs, lr " + r.lr + ", batch size " + r.bs + ", bptt " + r.bptt);
    if (h.seed !== null && h.seed !== undefined) parts.push("seed " + h.seed);
    if (h.accuracy !== null && h.accuracy !== undefined) parts.push("validation accuracy " + h.accuracy.toFixed(3));
    return parts.join("; ") + ".";
  }

  function shade(delta, scale) {
    const a = Math.min(1, Math.abs(delta) / scale) * 0.55;
    return delta >= 0 ? "rgba(214,39,40," + a.toFixed(3) + ")" : "rgba(31,119,180," + a.toFixed(3) + ")";
  }

  function heatColor(v) {
    const x = Math.max(-1, Math.min(1, v));
    const t = Math.abs(x);
    const [r, g, b] = x >= 0 ? [178, 24, 43] : [33, 102, 172];
    return "rgb(" + Math.round(255 + (r - 255) * t) + "," + Math.round(255 + (g - 255) * t) + "," + Math.round(255 + (b - 255) * t) + ")";
  }

  function mount(el) {
    if (el.dataset.mounted) return;
    el.dataset.mounted = "1";
    const id = "rnnpg" + ++counter;
    const exampleKey = examples()[el.dataset.example] ? el.dataset.example : "count";
    const startText = el.dataset.text !== undefined ? el.dataset.text : examples()[exampleKey].text;
    const buttons = Object.entries(examples()).map(([k, e]) =>
      '<button type="button" class="rnnpg-example" data-example="' + k + '">' + S.esc(e.label) + "</button>").join("");
    el.innerHTML =
      '<section class="rnnpg" aria-label="Playground: the model reads your text">' +
      '<div class="rnnpg-controls">' +
      '<div class="rnnpg-field"><label for="' + id + '-model">Model</label>' +
      '<select id="' + id + '-model"><option value="">loading…</option></select></div>' +
      '<div class="rnnpg-field rnnpg-examples" role="group" aria-label="Examples">' +
      '<span class="rnnpg-label" aria-hidden="true">Examples</span>' + buttons + "</div>" +
      '<div class="rnnpg-field rnnpg-textfield"><label for="' + id + '-text">Text for the model to read (words of the counting, with "," between numbers)</label>' +
      '<textarea id="' + id + '-text" rows="3" spellcheck="false" autocomplete="off"></textarea></div>' +
      "</div>" +
      '<p class="rnnpg-about" id="' + id + '-about" aria-live="polite"></p>' +
      '<div class="rnnpg-msg" id="' + id + '-msg" role="status" aria-live="polite"></div>' +
      '<div class="rnnpg-results" id="' + id + '-results">' +
      '<p class="rnnpg-h">What the model predicts after each word</p>' +
      '<div class="rnnpg-scroll rnnpg-tablewrap" tabindex="0" role="region" aria-label="Predictions after each word">' +
      '<table class="rnnpg-table"><caption class="rnnpg-sr">After each word read: the word that follows in the text, the model\'s three likeliest next words with their probabilities, and whether the first was right. Choose a word to explain its prediction below.</caption>' +
      '<thead><tr><th scope="col">#</th><th scope="col">word read</th><th scope="col">next in text</th><th scope="col">right?</th><th scope="col">model\'s top 3</th></tr></thead>' +
      '<tbody id="' + id + '-rows"></tbody></table></div>' +
      '<p class="rnnpg-h">The hidden state</p>' +
      '<div class="rnnpg-scroll" tabindex="0" role="region" aria-label="Hidden state heatmap">' +
      '<canvas id="' + id + '-heat" role="img" aria-label="Hidden state heatmap: drawn once the model has loaded" height="10" width="10"></canvas></div>' +
      '<p class="rnnpg-note" id="' + id + '-heatnote"></p>' +
      '<p class="rnnpg-h">What a prediction depends on</p>' +
      '<div class="rnnpg-field"><label for="' + id + '-pos">Explain the prediction after word #</label>' +
      '<input type="range" id="' + id + '-pos" min="0" max="0" value="0"> <output id="' + id + '-posout" for="' + id + '-pos"></output></div>' +
      '<div id="' + id + '-explain"></div>' +
      '<div class="rnnpg-inside" id="' + id + '-inside"></div>' +
      "</div></section>";
    const $ = (s) => el.querySelector("#" + id + "-" + s);
    const select = $("model"), textarea = $("text"), about = $("about"), msg = $("msg");
    const rowsEl = $("rows"), heat = $("heat"), heatNote = $("heatnote"), pos = $("pos"), posOut = $("posout");
    const explainEl = $("explain"), results = $("results"), insideEl = $("inside");
    textarea.value = startText;
    mountContinue(el, id, () => select.value, () => textarea.value);
    const wanted = (el.dataset.models || "").split(/\s+/).filter(Boolean);
    let current = null, generation = 0, timer = null;

    function setMessage(html, kind) { msg.innerHTML = html; msg.className = "rnnpg-msg" + (kind ? " rnnpg-" + kind : ""); }

    function drawHeat(a, chosen) {
      const n = a.tokens.length, H = current.H, cw = n > 400 ? 2 : 6, ch = 3;
      heat.width = n * cw; heat.height = H * ch;
      heat.style.width = n * cw + "px"; heat.style.height = H * ch + "px";
      const ctx = heat.getContext && heat.getContext("2d");
      if (ctx) {
        for (let t = 0; t < n; t++) {
          const h = a.base.hidden[t];
          for (let u = 0; u < H; u++) { ctx.fillStyle = heatColor(h[u]); ctx.fillRect(t * cw, u * ch, cw, ch); }
        }
        ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
        ctx.strokeRect(chosen * cw + 0.5, 0.5, Math.max(cw - 1, 1), H * ch - 1);
      }
      let maxU = 0, maxV = 0;
      for (let u = 0; u < H; u++) { const v = Math.abs(a.base.hidden[chosen][u]); if (v > maxV) { maxV = v; maxU = u; } }
      const label = "Heatmap of the last layer's hidden state: " + H + " units (rows) after each of the " + n +
        " words (columns); red is +1, white 0, blue -1. After word #" + chosen + " ('" + a.tokens[chosen] +
        "'), the strongest unit is #" + maxU + " at " + a.base.hidden[chosen][maxU].toFixed(2) + ".";
      heat.setAttribute("aria-label", label);
      heatNote.textContent = H + " units (rows) × " + n + " words read (columns); red +1, white 0, blue −1. The framed column is the word explained below.";
    }

    function renderExplain(a, t) {
      const m = current, e = M.explain(m, a.ids, a.base, t);
      const scale = Math.max(1e-3, ...e.rows.map((r) => Math.abs(r.delta)));
      const points = (d) => (Math.abs(d) < 5e-4 ? "0.0" : (d > 0 ? "−" : "+") + (100 * Math.abs(d)).toFixed(1));
      const words = e.rows.map((r) =>
        '<li class="rnnpg-w" style="background:' + shade(r.delta, scale) + '"><span class="rnnpg-word">' + S.esc(a.tokens[r.pos]) +
        '</span><span class="rnnpg-num">' + points(r.delta) + "</span></li>").join("");
      let html = '<p class="rnnpg-note">After <strong>#' + t + " '" + S.esc(a.tokens[t]) + "'</strong> the model says <strong>" +
        S.esc(m.vocab[e.target]) + "</strong> (" + S.pct(e.p0) + "). Below each earlier word: how many points that probability " +
        "loses (−, red: the word supports the prediction) or gains (+, blue) when the word is replaced by " + M.UNK +
        ", the unknown word, and the text read again" + (t >= M.EXPLAIN_BACK ? " (the last " + M.EXPLAIN_BACK + " words)" : "") + ".</p>" +
        '<ol class="rnnpg-words" aria-label="Earlier words and how much each moves the prediction">' + words + "</ol>";
      if (m.copy && a.base.attn[t]) {
        const attn = a.base.attn[t], g = a.base.gate[t];
        const cells = [];
        let mass = 0;
        for (let s = Math.max(0, t - m.copy.mem); s < t; s++) {
          mass += attn[s];
          cells.push('<li class="rnnpg-w" style="background:' + shade(attn[s], 1) + '"><span class="rnnpg-word">' + S.esc(a.tokens[s + 1]) +
            '</span><span class="rnnpg-num">' + (100 * attn[s]).toFixed(0) + "%</span></li>");
        }
        html += '<p class="rnnpg-note">Where the copy head looks: its attention on each earlier word it could copy (the word that followed a ' +
          "place that reads like this one); " + S.pct(mass) + " in all, the rest on nothing. The gate gives the copy a weight of " +
          g.toFixed(2) + " in the prediction.</p>" +
          (cells.length ? '<ol class="rnnpg-words" aria-label="Copy head attention on earlier words">' + cells.join("") + "</ol>" : "");
      }
      explainEl.innerHTML = html;
      posOut.textContent = t + " '" + a.tokens[t] + "'";
      for (const b of rowsEl.querySelectorAll("tr.rnnpg-chosen")) b.classList.remove("rnnpg-chosen");
      const row = rowsEl.querySelector('tr[data-pos="' + t + '"]');
      if (row) row.classList.add("rnnpg-chosen");
      drawHeat(a, t);
    }

    let analysis = null;

    function render() {
      const gen = ++generation;
      const key = select.value;
      if (!key) return;
      loadModel(key).then((m) => {
        if (gen !== generation) return;
        current = m;
        about.innerHTML = describe(m.header);
        const text = textarea.value;
        const tokens = S.tokenize(text);
        if (!tokens.length) {
          analysis = null; results.hidden = true;
          setMessage("Type some words for the model to read, for example <em>eight thousand one hundred twelve ,</em>, or choose an example.", "hint");
          return;
        }
        const a = M.analyse(m, text);
        if (a.tooLong) {
          analysis = null; results.hidden = true;
          setMessage("The text has " + a.tokens.length + " words; the playground reads at most " + M.MAX_TOKENS + ". Please shorten it.", "error");
          return;
        }
        analysis = a; results.hidden = false;
        const n = a.tokens.length;
        let right = 0, scored = 0, firstWrong = -1;
        const firstComma = a.tokens.indexOf(",");
        const rows = [];
        for (let t = 0; t < n; t++) {
          const p = a.base.probs[t], top = M.topk(p, TOP_K), next = t + 1 < n ? a.tokens[t + 1] : null;
          const known = m.stoi.has(a.tokens[t]);
          let verdict = "", cls = "";
          if (next !== null) {
            scored++;
            if (m.vocab[top[0]] === next) { right++; verdict = "yes"; } else {
              verdict = "no"; cls = "rnnpg-wrong";
              if (firstWrong < 0 && t > firstComma) firstWrong = t; // past the first number: something to look back at
            }
          }
          rows.push('<tr data-pos="' + t + '" class="' + cls + '"><td>' + t + '</td><td><button type="button" class="rnnpg-pick" data-pos="' + t +
            '" aria-label="Explain the prediction after word ' + t + ", " + S.esc(a.tokens[t]) + '">' + S.esc(a.tokens[t]) + "</button>" +
            (known ? "" : ' <span class="rnnpg-oov">not in the vocabulary, read as ' + M.UNK + "</span>") + "</td><td>" + (next === null ? "–" : S.esc(next)) + "</td><td>" +
            (verdict === "no" ? '<span class="rnnpg-bad">✗ no</span>' : verdict === "yes" ? "✓ yes" : "–") + "</td><td>" +
            top.map((i, j) => (j ? "" : "<strong>") + S.esc(m.vocab[i]) + " " + S.pct(p[i]) + (j ? "" : "</strong>")).join(", ") + "</td></tr>");
        }
        rowsEl.innerHTML = rows.join("");
        const notes = [];
        const seen = new Set();
        for (const w of a.unknown) {
          if (seen.has(w)) continue;
          seen.add(w);
          notes.push("<li>'" + S.esc(w) + "' is not a word of the book's vocabulary; it is read as " + M.UNK + ".</li>");
        }
        const score = scored ? "On this text the model's first guess is right for " + right + " of " + scored + " next words (" + S.pct(right / scored) + ")." : "Type a second word to see whether the first prediction is right.";
        setMessage("<p>" + score + "</p>" + (notes.length ? '<ul class="rnnpg-oovlist">' + notes.join("") + "</ul>" : ""), notes.length ? "warn" : "");
        pos.max = String(n - 1);
        const chosen = firstWrong >= 0 ? firstWrong : Math.max(0, n - 2);
        pos.value = String(chosen);
        renderExplain(a, chosen);
        root.rnnbookInside.show(insideEl, m, a, chosen); // "Look inside" (inside.js)
        el.dispatchEvent(new CustomEvent("rnnbook-playground-rendered", { bubbles: true }));
      }).catch((err) => {
        if (gen !== generation) return;
        results.hidden = true;
        setMessage("The model could not be loaded: " + S.esc(err.message), "error");
      });
    }

    select.addEventListener("change", render);
    textarea.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(render, 200); });
    pos.addEventListener("input", () => { if (analysis) renderExplain(analysis, Number(pos.value)); });
    rowsEl.addEventListener("click", (ev) => {
      const b = ev.target.closest("button.rnnpg-pick");
      if (b && analysis) { pos.value = b.dataset.pos; renderExplain(analysis, Number(b.dataset.pos)); }
    });
    el.querySelectorAll("button.rnnpg-example").forEach((b) => b.addEventListener("click", () => {
      textarea.value = examples()[b.dataset.example].text;
      render();
    }));

    function offer() {
      return listModels().then((models) => {
        let offered = models;
        if (wanted.length) offered = [...added.keys()].concat(wanted).map((k) => models.find((e) => e.key === k)).filter(Boolean);
        if (!offered.length) throw new Error("none of the models " + wanted.join(", ") + " is on this site");
        const keep = select.value;
        select.innerHTML = offered.map((e) => '<option value="' + S.esc(e.key) + '">' + S.esc(e.key) + ": " + S.esc(e.title) + "</option>").join("");
        const wish = el.dataset.model;
        const first = wish && offered.some((e) => e.key === wish) ? wish : keep && offered.some((e) => e.key === keep) ? keep : offered[0].key;
        select.value = first;
        render();
      }).catch((err) => {
        select.innerHTML = '<option value="">no models</option>';
        results.hidden = true;
        setMessage("The playground's models are not available here (" + S.esc(err.message) + "). They are written when the book is built.", "error");
      });
    }
    // The models' weights (hundreds of kB each) load when the box is first wanted: when it
    // comes near the viewport, or the reader clicks or tabs into it, or a run is handed over.
    const want = whenWanted(el, offer);
    mounted.push(() => { if (want.done) offer(); });
    el.rnnbookSelect = (key) => { el.dataset.model = key; if (!want()) offer(); };
  }

  /* Calls `go` once: when `el` comes within NEAR of the viewport (watched from the window's
   * load event on: a box in the first screen fetches its weights after what the page itself
   * needs), or is clicked or focused, or the returned function is called (which says whether
   * it called `go` just now). */
  const NEAR = "300px";
  function whenWanted(el, go) {
    const io = "IntersectionObserver" in root
      ? new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) want(); }, { rootMargin: NEAR }) : null;
    function want() {
      if (want.done) return false;
      want.done = true;
      if (io) io.disconnect();
      el.removeEventListener("pointerdown", want);
      el.removeEventListener("focusin", want);
      go();
      return true;
    }
    want.done = false;
    el.addEventListener("pointerdown", want);
    el.addEventListener("focusin", want);
    const watch = () => { if (io) io.observe(el); else want(); };
    if (!doc || doc.readyState === "complete") watch(); else root.addEventListener("load", watch, { once: true });
    return want;
  }

  /* Show model `key` in the playground `el` (after addModel). */
  function select(el, key) { if (el.rnnbookSelect) el.rnnbookSelect(key); }

  function mountAll() {
    if (!doc) return;
    const css = scriptUrl ? new URL("playground.css", scriptUrl).href : null;
    if (css && ![...doc.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === css)) {
      const link = doc.createElement("link");
      link.rel = "stylesheet";
      link.href = css;
      doc.head.appendChild(link);
    }
    doc.querySelectorAll(".rnnbook-playground").forEach(mount);
  }

  root.rnnbookPlayground = { run, generate, listModels, loadModel, mount, addModel, select, ready };
  Object.defineProperty(root.rnnbookPlayground, "EXAMPLES", { get: examples, enumerable: true });
  if (doc) {
    const start = () => ready.then(mountAll, (err) => console.error(err));
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
    else start();
  }
})(typeof window !== "undefined" ? window : globalThis);
