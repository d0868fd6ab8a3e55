/* rnnbook playground: the book's trained models, run in the page.
 *
 * A plain script, no library: it reads a model file written by rnnbook.playground.export_model
 * (a JSON header and float32 weights; see that module's docstring for the format and for why
 * no inference library is used), runs the forward pass of the book's recurrent models (nn.RNN,
 * GRU and LSTM layers, batchnorm, the copy head of CopyGRU) in double precision, and draws the
 * view into every <div class="rnnbook-playground"> on the page.
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

  const MAX_TOKENS = 2000; // longer texts are refused
  const TOP_K = 3;
  const EXPLAIN_BACK = 60; // the explanation replaces each of the last 60 words
  const UNK = "xxunk";
  const MAGIC = "RNNBPG01";
  const doc = typeof document !== "undefined" ? document : null;
  const scriptUrl = doc && doc.currentScript && doc.currentScript.src ? doc.currentScript.src : null;
  const MODEL_BASE = scriptUrl ? new URL("models/", scriptUrl).href : null;

  // ------------------------------------------------------------------ words and examples
  const ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"];
  const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

  function numberWords(n) {
    const words = [];
    const th = Math.floor(n / 1000), hu = Math.floor((n % 1000) / 100);
    let below = n % 100;
    if (th) words.push(ONES[th], "thousand");
    if (hu) words.push(ONES[hu], "hundred");
    if (below >= 20) { words.push(TENS[Math.floor(below / 10)]); below %= 10; }
    if (below) words.push(ONES[below]);
    return words.join(" ");
  }

  function counting(numbers) { return numbers.map(numberWords).join(" , ") + " ,"; }
  function range(a, b) { const out = []; for (let i = a; i <= b; i++) out.push(i); return out; }

  const EXAMPLES = {
    count: { label: "Counting on", text: counting(range(8112, 8119)) },
    nine: { label: "Into nine thousand", text: counting(range(8996, 9003)) },
    mid: { label: "Starting mid-number", text: "hundred twelve , " + counting(range(8113, 8117)) },
    skip: { label: "A count that skips", text: counting([8101, 8102, 8103, 8105, 8106, 8107, 8108]) },
    long: { label: "8101 to 8160", text: counting(range(8101, 8160)) },
  };

  function tokenize(text) {
    return String(text).toLowerCase().replace(/,/g, " , ").split(/\s+/).filter(Boolean);
  }

  // ------------------------------------------------------------------ model files
  function fromBase64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function parseModel(buffer) {
    const bytes = new Uint8Array(buffer);
    let magic = "";
    for (let i = 0; i < 8 && i < bytes.length; i++) magic += String.fromCharCode(bytes[i]);
    if (magic !== MAGIC) throw new Error("not a playground model file");
    const n = new DataView(buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n)));
    const start = 12 + n;
    const all = new Float32Array(buffer, start, (buffer.byteLength - start) >> 2);
    const W = {};
    for (const t of header.tensors) {
      const size = t.shape.reduce((a, b) => a * b, 1);
      W[t.name] = all.subarray(t.offset, t.offset + size);
    }
    for (const [alias, name] of Object.entries(header.aliases || {})) W[alias] = W[name];
    return prepare(header, W);
  }

  function need(W, name) {
    if (!W[name]) throw new Error("the model file lacks " + name);
    return W[name];
  }

  function linear(w, b, x, inDim, outDim, out) {
    // out = w x + b, w is (outDim, inDim) row-major
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      const row = o * inDim;
      for (let i = 0; i < inDim; i++) s += w[row + i] * x[i];
      out[o] = s;
    }
    return out;
  }

  function prepare(header, W) {
    const a = header.arch, H = a.n_hidden, V = a.vocab_size;
    const gates = { rnn: 1, gru: 3, lstm: 4 }[a.cell];
    if (!gates) throw new Error("unknown recurrent cell " + a.cell);
    const emb = need(W, "i_h.weight"), E = emb.length / V;
    const m = { header, arch: a, H, V, E, emb, gates, vocab: header.vocab, layers: [] };
    m.stoi = new Map(header.vocab.map((w, i) => [w, i]));
    for (let l = 0; l < a.n_layers; l++) {
      m.layers.push({
        wih: need(W, "rnn.weight_ih_l" + l), whh: need(W, "rnn.weight_hh_l" + l),
        bih: need(W, "rnn.bias_ih_l" + l), bhh: need(W, "rnn.bias_hh_l" + l), inDim: l ? H : E,
      });
    }
    m.ho = { w: need(W, "h_o.weight"), b: need(W, "h_o.bias") };
    if (a.norm === "bn") {
      const mean = need(W, "bn.running_mean"), v = need(W, "bn.running_var");
      const w = need(W, "bn.weight"), b = need(W, "bn.bias");
      m.bnScale = new Float64Array(H); m.bnShift = new Float64Array(H);
      for (let i = 0; i < H; i++) {
        m.bnScale[i] = w[i] / Math.sqrt(v[i] + a.bn_eps);
        m.bnShift[i] = b[i] - mean[i] * m.bnScale[i];
      }
    }
    if (a.copy) {
      const dk = a.copy.d_key;
      m.copy = {
        mem: a.copy.mem_len, dk, dist: need(W, "dist_bias"), sink: need(W, "sink")[0],
        gw: need(W, "gate.weight"), gb: need(W, "gate.bias")[0],
        chw: need(W, "c_h.weight"), chb: need(W, "c_h.bias"), proj: {},
      };
      // the query and key blocks of every vocabulary word (a block only sees one token)
      for (const name of ["q.0", "q.1", "k.0", "k.1"]) {
        const w = need(W, name + ".weight"), b = need(W, name + ".bias");
        const table = [];
        for (let v = 0; v < V; v++) table.push(linear(w, b, emb.subarray(v * E, (v + 1) * E), E, dk, new Float64Array(dk)));
        table.none = Float64Array.from(b); // the block of "no token before" (zeros in)
        m.copy.proj[name] = table;
      }
    }
    return m;
  }

  const cache = new Map();
  let indexPromise = null;

  function inlineModels() { return root.rnnbookPlaygroundModels || null; }

  function listModels() {
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
    if (!parsedInline.has(key)) parsedInline.set(key, parseModel(fromBase64(inlineModels()[key])));
    return parsedInline.get(key);
  }

  function loadModel(key) {
    if (typeof key !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(key)) {
      return Promise.reject(new Error("not a model key: " + String(key)));
    }
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
      }).then(parseModel);
    }
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    return p;
  }

  // ------------------------------------------------------------------ the forward pass
  const sigmoid = (x) => 1 / (1 + Math.exp(-x));

  function zeroState(m) {
    return m.layers.map(() => ({ h: new Float64Array(m.H), c: m.arch.cell === "lstm" ? new Float64Array(m.H) : null }));
  }

  function cellStep(m, L, x, st) {
    const H = m.H, G = m.gates * H;
    const gi = linear(L.wih, L.bih, x, L.inDim, G, new Float64Array(G));
    const gh = linear(L.whh, L.bhh, st.h, H, G, new Float64Array(G));
    const h = new Float64Array(H);
    if (m.arch.cell === "rnn") {
      for (let i = 0; i < H; i++) h[i] = Math.tanh(gi[i] + gh[i]);
      return { h, c: null };
    }
    if (m.arch.cell === "gru") { // gates r, z, n (PyTorch's order)
      for (let i = 0; i < H; i++) {
        const r = sigmoid(gi[i] + gh[i]), z = sigmoid(gi[H + i] + gh[H + i]);
        const n = Math.tanh(gi[2 * H + i] + r * gh[2 * H + i]);
        h[i] = (1 - z) * n + z * st.h[i];
      }
      return { h, c: null };
    }
    const c = new Float64Array(H); // LSTM gates i, f, g, o
    for (let i = 0; i < H; i++) {
      const ig = sigmoid(gi[i] + gh[i]), fg = sigmoid(gi[H + i] + gh[H + i]);
      const g = Math.tanh(gi[2 * H + i] + gh[2 * H + i]), og = sigmoid(gi[3 * H + i] + gh[3 * H + i]);
      c[i] = fg * st.c[i] + ig * g;
      h[i] = og * Math.tanh(c[i]);
    }
    return { h, c };
  }

  function step(m, id, state) {
    let x = m.emb.subarray(id * m.E, (id + 1) * m.E);
    const next = [];
    for (let l = 0; l < m.layers.length; l++) {
      const st = cellStep(m, m.layers[l], x, state[l]);
      next.push(st);
      x = st.h;
    }
    return next;
  }

  function softmaxInPlace(v) {
    let mx = -Infinity;
    for (const x of v) mx = Math.max(mx, x);
    let s = 0;
    for (let i = 0; i < v.length; i++) { v[i] = Math.exp(v[i] - mx); s += v[i]; }
    for (let i = 0; i < v.length; i++) v[i] /= s;
    return v;
  }

  // The next-word probabilities at position t, from the top layer's output res there.
  function readout(m, ids, t, res) {
    const H = m.H, V = m.V;
    if (!m.copy) {
      let y = res;
      if (m.bnScale) { y = new Float64Array(H); for (let i = 0; i < H; i++) y[i] = res[i] * m.bnScale[i] + m.bnShift[i]; }
      return { probs: softmaxInPlace(linear(m.ho.w, m.ho.b, y, H, V, new Float64Array(V))), attn: null, gate: null };
    }
    const c = m.copy, dk = c.dk, P = c.proj, scale = 1 / Math.sqrt(2 * dk);
    const q0 = P["q.0"][ids[t]], q1 = t > 0 ? P["q.1"][ids[t - 1]] : P["q.1"].none;
    const lo = Math.max(0, t - c.mem), n = t - lo;
    const scores = new Float64Array(n);
    let mx = c.sink;
    for (let s = lo; s < t; s++) {
      const k0 = P["k.0"][ids[s]], k1 = s > 0 ? P["k.1"][ids[s - 1]] : P["k.1"].none;
      let d = 0;
      for (let i = 0; i < dk; i++) d += q0[i] * k0[i] + q1[i] * k1[i];
      const sc = d * scale + c.dist[t - s];
      scores[s - lo] = sc;
      mx = Math.max(mx, sc);
    }
    let z = Math.exp(c.sink - mx);
    for (let j = 0; j < n; j++) { scores[j] = Math.exp(scores[j] - mx); z += scores[j]; }
    const attn = new Float64Array(t); // attn[s]: weight on the token that followed s
    let mass = 0;
    const copy = new Float64Array(V);
    for (let s = lo; s < t; s++) {
      const w = scores[s - lo] / z;
      attn[s] = w; mass += w;
      copy[ids[s + 1]] += w;
    }
    const denom = Math.max(mass, 1e-8);
    const copied = new Float64Array(m.E);
    for (let v = 0; v < V; v++) {
      copy[v] /= denom;
      if (copy[v] !== 0) for (let i = 0; i < m.E; i++) copied[i] += copy[v] * m.emb[v * m.E + i];
    }
    const e = m.emb.subarray(ids[t] * m.E, (ids[t] + 1) * m.E);
    let g = c.gb;
    for (let i = 0; i < H; i++) g += c.gw[i] * res[i];
    for (let i = 0; i < m.E; i++) g += c.gw[H + i] * e[i] + c.gw[H + m.E + i] * copied[i];
    g = sigmoid(g) * mass;
    const ch = linear(c.chw, c.chb, copied, m.E, H, new Float64Array(H));
    for (let i = 0; i < H; i++) ch[i] += res[i];
    const gen = softmaxInPlace(linear(m.ho.w, m.ho.b, ch, H, V, new Float64Array(V)));
    const probs = new Float64Array(V);
    let sum = 0;
    for (let v = 0; v < V; v++) { probs[v] = Math.max(g * copy[v] + (1 - g) * gen[v], 1e-8); sum += probs[v]; }
    for (let v = 0; v < V; v++) probs[v] /= sum;
    return { probs, attn, gate: g };
  }

  function forward(m, ids) {
    let state = zeroState(m);
    const states = [], probs = [], hidden = [], attn = [], gate = [];
    for (let t = 0; t < ids.length; t++) {
      state = step(m, ids[t], state);
      states.push(state);
      const res = state[state.length - 1].h;
      const r = readout(m, ids, t, res);
      probs.push(r.probs); hidden.push(res); attn.push(r.attn); gate.push(r.gate);
    }
    return { states, probs, hidden, attn, gate };
  }

  function argmax(v) { let b = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i; return b; }

  function topk(v, k) {
    return Array.from(v.keys()).sort((a, b) => v[b] - v[a] || a - b).slice(0, k);
  }

  // How much each earlier word moves the prediction at t: replace it by xxunk, read the text
  // again from there, and measure how the probability of the word predicted at t changes.
  function explain(m, ids, base, t) {
    const target = argmax(base.probs[t]), p0 = base.probs[t][target], unk = m.stoi.get(UNK) || 0;
    const rows = [];
    for (let s = Math.max(0, t - EXPLAIN_BACK + 1); s <= t; s++) {
      if (ids[s] === unk) { rows.push({ pos: s, delta: 0 }); continue; }
      const changed = ids.slice(0, t + 1);
      changed[s] = unk;
      let state = s > 0 ? base.states[s - 1] : zeroState(m);
      for (let u = s; u <= t; u++) state = step(m, changed[u], state);
      const p = readout(m, changed, t, state[state.length - 1].h).probs[target];
      rows.push({ pos: s, delta: p0 - p });
    }
    return { target, p0, rows };
  }

  function analyse(m, text) {
    const tokens = tokenize(text);
    if (tokens.length > MAX_TOKENS) {
      return { tokens, tooLong: true };
    }
    const unk = m.stoi.get(UNK) || 0;
    const ids = tokens.map((w) => (m.stoi.has(w) ? m.stoi.get(w) : unk));
    const unknown = tokens.filter((w) => !m.stoi.has(w));
    const base = forward(m, ids);
    return { tokens, ids, unknown, base };
  }

  async function run(modelKey, text) {
    const m = await loadModel(modelKey);
    const a = analyse(m, text);
    if (a.tooLong) throw new Error("the text has " + a.tokens.length + " words; the playground reads at most " + MAX_TOKENS);
    const top = a.base.probs.map((p) => topk(p, TOP_K).map((i) => [m.vocab[i], p[i]]));
    return {
      tokens: a.tokens,
      predictions: top.map((t) => t[0][0]),
      top,
      hidden: a.base.hidden.map((h) => Array.from(h)),
    };
  }

  // ------------------------------------------------------------------ writing on: Continue
  const MAX_WRITE = 200; // words one Continue may write

  // A small seeded generator (mulberry32): the same seed draws the same words.
  function seededRandom(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // One word from probabilities p at a temperature: softmax(log p / temperature).
  function drawWord(p, temperature, rand) {
    let mx = -Infinity;
    const logits = Array.from(p, (x) => Math.log(Math.max(x, 1e-300)) / temperature);
    for (const x of logits) mx = Math.max(mx, x);
    let s = 0;
    const q = logits.map((x) => { const e = Math.exp(x - mx); s += e; return e; });
    let u = rand() * s;
    for (let i = 0; i < q.length; i++) { u -= q[i]; if (u < 0) return i; }
    return q.length - 1;
  }

  // The model reads the prompt ids from an empty state, then writes nWords, feeding each back.
  function continueIds(m, ids, nWords, temperature, seed) {
    let state = zeroState(m);
    for (const id of ids) state = step(m, id, state);
    const all = ids.slice(), out = [], rand = seededRandom(seed);
    for (let k = 0; k < nWords; k++) {
      const p = readout(m, all, all.length - 1, state[state.length - 1].h).probs;
      const w = temperature === 0 ? argmax(p) : drawWord(p, temperature, rand);
      out.push(w); all.push(w);
      state = step(m, w, state);
    }
    return out;
  }

  // The checks rnnbook.generate makes, with the same messages.
  function promptIds(m, prompt) {
    const tokens = tokenize(prompt);
    if (!tokens.length) throw new Error("the prompt is empty: give at least one word of the vocabulary, e.g. 'eight thousand one ,'");
    const unknown = [...new Set(tokens.filter((w) => !m.stoi.has(w)))];
    if (unknown.length) throw new Error("the prompt has word(s) not in the vocabulary: " + unknown.map((w) => "'" + w + "'").join(", ") + "; the words are number words and ','");
    if (tokens.length > MAX_TOKENS) throw new Error("the prompt has " + tokens.length + " words; the playground reads at most " + MAX_TOKENS);
    return tokens.map((w) => m.stoi.get(w));
  }

  function checkWriting(nWords, temperature, seed) {
    if (!Number.isInteger(nWords) || nWords < 1 || nWords > MAX_WRITE) throw new Error("the number of words must be a whole number from 1 to " + MAX_WRITE + ", got " + nWords);
    if (typeof temperature !== "number" || !(temperature >= 0) || !isFinite(temperature)) throw new Error("temperature must be a number >= 0 (0: greedy), got " + temperature);
    if (!Number.isInteger(seed) || seed < 0) throw new Error("seed must be a non-negative whole number, got " + seed);
  }

  async function generate(modelKey, prompt, nWords, temperature = 0, seed = 0) {
    checkWriting(nWords, temperature, seed);
    const m = await loadModel(modelKey);
    const ids = promptIds(m, prompt);
    const words = continueIds(m, ids, nWords, temperature, seed).map((i) => m.vocab[i]);
    return { prompt: tokenize(prompt), words, text: words.join(" ") };
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
      '<input type="number" id="' + id + '-nwords" min="1" max="' + MAX_WRITE + '" step="1" value="30"></div>' +
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
        out.innerHTML = "<strong>" + esc(key) + "</strong> writes" + (temperature === 0 ? " (greedy)" : " (temperature " + temperature + ", seed " + seed + ")") +
          ': <span class="rnnpg-text">' + esc(r.text) + "</span>";
        el.dispatchEvent(new CustomEvent("rnnbook-playground-continued", { bubbles: true }));
      }).catch((err) => {
        out.classList.add("rnnpg-error");
        out.textContent = "Cannot continue: " + err.message + ".";
      });
    });
  }

  // ------------------------------------------------------------------ the view
  let counter = 0;
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const pct = (p) => (100 * p).toFixed(1) + "%";

  function describe(h) {
    const a = h.arch, r = h.recipe;
    const parts = [];
    parts.push("<strong>" + esc(h.key) + "</strong>: " + esc(h.title) + " (" + esc(h.class) + ", " +
      a.n_layers + " layer" + (a.n_layers > 1 ? "s" : "") + " of " + a.n_hidden + " units" +
      (a.copy ? ", copy head over the last " + a.copy.mem_len + " words" : "") + ")");
    if (r) parts.push("recipe " + esc(r.key) + ": " + r.epochs + " epochs, lr " + r.lr + ", batch size " + r.bs + ", bptt " + r.bptt);
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
    const exampleKey = EXAMPLES[el.dataset.example] ? el.dataset.example : "count";
    const startText = el.dataset.text !== undefined ? el.dataset.text : EXAMPLES[exampleKey].text;
    const examples = Object.entries(EXAMPLES).map(([k, e]) =>
      '<button type="button" class="rnnpg-example" data-example="' + k + '">' + esc(e.label) + "</button>").join("");
    el.innerHTML =
      '<section class="rnnpg" aria-label="Playground: the model reads your text">' +
      '<div class="rnnpg-controls">' +
      '<div class="rnnpg-field"><label for="' + id + '-model">Model</label>' +
      '<select id="' + id + '-model"><option value="">loading…</option></select></div>' +
      '<div class="rnnpg-field rnnpg-examples" role="group" aria-label="Examples">' +
      '<span class="rnnpg-label" aria-hidden="true">Examples</span>' + examples + "</div>" +
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
      '<canvas id="' + id + '-heat" role="img" height="10" width="10"></canvas></div>' +
      '<p class="rnnpg-note" id="' + id + '-heatnote"></p>' +
      '<p class="rnnpg-h">What a prediction depends on</p>' +
      '<div class="rnnpg-field"><label for="' + id + '-pos">Explain the prediction after word #</label>' +
      '<input type="range" id="' + id + '-pos" min="0" max="0" value="0"> <output id="' + id + '-posout" for="' + id + '-pos"></output></div>' +
      '<div id="' + id + '-explain"></div>' +
      "</div></section>";
    const $ = (s) => el.querySelector("#" + id + "-" + s);
    const select = $("model"), textarea = $("text"), about = $("about"), msg = $("msg");
    const rowsEl = $("rows"), heat = $("heat"), heatNote = $("heatnote"), pos = $("pos"), posOut = $("posout");
    const explainEl = $("explain"), results = $("results");
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
      const m = current, e = explain(m, a.ids, a.base, t);
      const scale = Math.max(1e-3, ...e.rows.map((r) => Math.abs(r.delta)));
      const points = (d) => (Math.abs(d) < 5e-4 ? "0.0" : (d > 0 ? "−" : "+") + (100 * Math.abs(d)).toFixed(1));
      const words = e.rows.map((r) =>
        '<li class="rnnpg-w" style="background:' + shade(r.delta, scale) + '"><span class="rnnpg-word">' + esc(a.tokens[r.pos]) +
        '</span><span class="rnnpg-num">' + points(r.delta) + "</span></li>").join("");
      let html = '<p class="rnnpg-note">After <strong>#' + t + " '" + esc(a.tokens[t]) + "'</strong> the model says <strong>" +
        esc(m.vocab[e.target]) + "</strong> (" + pct(e.p0) + "). Below each earlier word: how many points that probability " +
        "loses (−, red: the word supports the prediction) or gains (+, blue) when the word is replaced by " + UNK +
        ", the unknown word, and the text read again" + (t >= EXPLAIN_BACK ? " (the last " + EXPLAIN_BACK + " words)" : "") + ".</p>" +
        '<ol class="rnnpg-words" aria-label="Earlier words and how much each moves the prediction">' + words + "</ol>";
      if (m.copy && a.base.attn[t]) {
        const attn = a.base.attn[t], g = a.base.gate[t];
        const cells = [];
        let mass = 0;
        for (let s = Math.max(0, t - m.copy.mem); s < t; s++) {
          mass += attn[s];
          cells.push('<li class="rnnpg-w" style="background:' + shade(attn[s], 1) + '"><span class="rnnpg-word">' + esc(a.tokens[s + 1]) +
            '</span><span class="rnnpg-num">' + (100 * attn[s]).toFixed(0) + "%</span></li>");
        }
        html += '<p class="rnnpg-note">Where the copy head looks: its attention on each earlier word it could copy (the word that followed a ' +
          "place that reads like this one); " + pct(mass) + " in all, the rest on nothing. The gate gives the copy a weight of " +
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
        const tokens = tokenize(text);
        if (!tokens.length) {
          analysis = null; results.hidden = true;
          setMessage("Type some words for the model to read, for example <em>eight thousand one hundred twelve ,</em>, or choose an example.", "hint");
          return;
        }
        const a = analyse(m, text);
        if (a.tooLong) {
          analysis = null; results.hidden = true;
          setMessage("The text has " + a.tokens.length + " words; the playground reads at most " + MAX_TOKENS + ". Please shorten it.", "error");
          return;
        }
        analysis = a; results.hidden = false;
        const n = a.tokens.length;
        let right = 0, scored = 0, firstWrong = -1;
        const firstComma = a.tokens.indexOf(",");
        const rows = [];
        for (let t = 0; t < n; t++) {
          const p = a.base.probs[t], top = topk(p, TOP_K), next = t + 1 < n ? a.tokens[t + 1] : null;
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
            '" aria-label="Explain the prediction after word ' + t + ", " + esc(a.tokens[t]) + '">' + esc(a.tokens[t]) + "</button>" +
            (known ? "" : ' <span class="rnnpg-oov">not in the vocabulary, read as ' + UNK + "</span>") + "</td><td>" + (next === null ? "–" : esc(next)) + "</td><td>" +
            (verdict === "no" ? '<span class="rnnpg-bad">✗ no</span>' : verdict === "yes" ? "✓ yes" : "–") + "</td><td>" +
            top.map((i, j) => (j ? "" : "<strong>") + esc(m.vocab[i]) + " " + pct(p[i]) + (j ? "" : "</strong>")).join(", ") + "</td></tr>");
        }
        rowsEl.innerHTML = rows.join("");
        const notes = [];
        const seen = new Set();
        for (const w of a.unknown) {
          if (seen.has(w)) continue;
          seen.add(w);
          notes.push("<li>'" + esc(w) + "' is not a word of the book's vocabulary; it is read as " + UNK + ".</li>");
        }
        const score = scored ? "On this text the model's first guess is right for " + right + " of " + scored + " next words (" + pct(right / scored) + ")." : "Type a second word to see whether the first prediction is right.";
        setMessage("<p>" + score + "</p>" + (notes.length ? '<ul class="rnnpg-oovlist">' + notes.join("") + "</ul>" : ""), notes.length ? "warn" : "");
        pos.max = String(n - 1);
        const chosen = firstWrong >= 0 ? firstWrong : Math.max(0, n - 2);
        pos.value = String(chosen);
        renderExplain(a, chosen);
        el.dispatchEvent(new CustomEvent("rnnbook-playground-rendered", { bubbles: true }));
      }).catch((err) => {
        if (gen !== generation) return;
        results.hidden = true;
        setMessage("The model could not be loaded: " + esc(err.message), "error");
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
      textarea.value = EXAMPLES[b.dataset.example].text;
      render();
    }));

    listModels().then((models) => {
      let offered = models;
      if (wanted.length) offered = wanted.map((k) => models.find((e) => e.key === k)).filter(Boolean);
      if (!offered.length) throw new Error("none of the models " + wanted.join(", ") + " is on this site");
      select.innerHTML = offered.map((e) => '<option value="' + esc(e.key) + '">' + esc(e.key) + ": " + esc(e.title) + "</option>").join("");
      const first = el.dataset.model && offered.some((e) => e.key === el.dataset.model) ? el.dataset.model : offered[0].key;
      select.value = first;
      render();
    }).catch((err) => {
      select.innerHTML = '<option value="">no models</option>';
      results.hidden = true;
      setMessage("The playground's models are not available here (" + esc(err.message) + "). They are written when the book is built.", "error");
    });
  }

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

  root.rnnbookPlayground = { run, generate, MAX_WRITE, tokenize, numberWords, listModels, loadModel, mount, MAX_TOKENS, EXAMPLES, _forward: forward, _parse: parseModel };
  if (doc) {
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", mountAll);
    else mountAll();
  }
})(typeof window !== "undefined" ? window : globalThis);
