/* rnnbook playground model: the book's trained models, run in double precision.
 *
 * readModel's file (shared.js: a model file written by rnnbook.playground.export_model) made
 * ready to run (parseModel), and the forward pass of the book's recurrent models (nn.RNN, GRU
 * and LSTM layers, batchnorm, the copy head of CopyGRU, minGRU and minLSTM layers) and of its
 * small causal transformer (forward); what a prediction depends on (explain, analyse); and
 * writing on from a prompt (continueIds: greedy as rnnbook.generate is, or drawn at a
 * temperature, seeded). No page here: playground.js draws the view. Runs in Node too
 * (tests/test_playground.py), after ../facts.js and shared.js.
 */
(function (root) {
  "use strict";

  const F = root.rnnbookFacts || require("../facts.js");
  const S = root.rnnbookShared || require("./shared.js");
  const MAX_TOKENS = 2000; // longer texts are refused
  const EXPLAIN_BACK = 60; // the explanation replaces each of the last 60 words
  const UNK = F.data.special[0]; // xxunk, the unknown word
  // gates per recurrent cell (the browser models' facts); the other cells have none
  const GATES = { mingru: 0, minlstm: 0, transformer: 0 };
  for (const m of Object.values(F.models)) GATES[m.cell] = m.gates;

  // ------------------------------------------------------------------ model files
  /* A model ready to run, from a model file's bytes (an ArrayBuffer). */
  function parseModel(buffer) {
    const f = S.readModel(buffer);
    return prepare(f.header, f.weights);
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
    const gates = GATES[a.cell];
    if (gates === undefined) throw new Error("unknown recurrent cell " + a.cell);
    const emb = need(W, "i_h.weight"), E = emb.length / V;
    const m = { header, arch: a, H, V, E, emb, gates, vocab: header.vocab, layers: [] };
    m.stoi = new Map(header.vocab.map((w, i) => [w, i]));
    m.ho = { w: need(W, "h_o.weight"), b: need(W, "h_o.bias") };
    if (a.cell === "transformer") return prepareTransformer(m, W);
    m.min = a.cell === "mingru" || a.cell === "minlstm";
    for (let l = 0; l < a.n_layers && m.min; l++) m.layers.push(prepareMin(m, W, l));
    for (let l = 0; l < a.n_layers && !m.min; l++) {
      m.layers.push({
        wih: need(W, "rnn.weight_ih_l" + l), whh: need(W, "rnn.weight_hh_l" + l),
        bih: need(W, "rnn.bias_ih_l" + l), bhh: need(W, "rnn.bias_hh_l" + l), inDim: l ? H : E,
      });
    }
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
    if (m.min) return minBlocks(m, id, state);
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
    if (m.blocks) return transformerForward(m, ids);
    let state = zeroState(m);
    const states = [], probs = [], hidden = [], attn = [], gate = [];
    for (let t = 0; t < ids.length; t++) {
      state = step(m, ids[t], state);
      states.push(state);
      const res = state[state.length - 1].h;
      const r = readout(m, ids, t, state.out || res); // a min model's output reads its blocks'
      probs.push(r.probs); hidden.push(res); attn.push(r.attn); gate.push(r.gate);
    }
    return { states, probs, hidden, attn, gate };
  }

  // ------------------------------------------------------------------ minGRU and minLSTM
  // rnnbook.modern.MinGRULayer and MinLSTMLayer, run step by step as in evaluation mode: the
  // gates read the input alone, h = a * h + b with a and b from x.
  const softplus = (v) => (v > 20 ? v : Math.log1p(Math.exp(v))); // PyTorch's threshold
  const gPos = (v) => (v >= 0 ? v + 0.5 : sigmoid(v)); // modern.g: keeps h positive

  // A block (rnnbook.modern.Block): x + cell(ln1(x)), then x + mlp(ln2(x)).
  function prepareMin(m, W, l) {
    const p = "blocks." + l + ".", L = blockWeights(W, p);
    L.inDim = m.H;
    for (const name of m.arch.cell === "mingru" ? ["z", "h"] : ["f", "i", "h"]) {
      L[name] = { w: need(W, p + "mixer.lin_" + name + ".weight"), b: need(W, p + "mixer.lin_" + name + ".bias") };
    }
    return L;
  }

  function minBlocks(m, id, state) {
    let x = Float64Array.from(m.emb.subarray(id * m.E, (id + 1) * m.E));
    const next = [];
    for (let l = 0; l < m.layers.length; l++) {
      const L = m.layers[l];
      const st = minStep(m, L, layerNorm(x, L.ln1w, L.ln1b, LN_EPS), state[l]);
      next.push(st);
      for (let i = 0; i < m.H; i++) x[i] += st.h[i];
      x = feedForward(m, L, x);
    }
    next.out = x; // what the output layer reads
    return next;
  }

  function minStep(m, L, x, st) {
    const H = m.H, lin = (q) => linear(q.w, q.b, x, L.inDim, H, new Float64Array(H));
    const cand = lin(L.h), h = new Float64Array(H);
    if (m.arch.cell === "mingru") {
      const z = lin(L.z);
      for (let i = 0; i < H; i++) {
        const zi = sigmoid(z[i]);
        h[i] = (1 - zi) * st.h[i] + zi * gPos(cand[i]);
      }
    } else {
      const f = lin(L.f), ig = lin(L.i);
      for (let i = 0; i < H; i++) {
        const diff = softplus(-f[i]) - softplus(-ig[i]); // log f - log i
        h[i] = sigmoid(-diff) * st.h[i] + sigmoid(diff) * gPos(cand[i]);
      }
    }
    return { h, c: null };
  }

  // ------------------------------------------------------------------ the causal transformer
  // rnnbook.modern.CausalTransformer: pre-norm blocks (causal multi-head attention, a ReLU
  // MLP), a final LayerNorm; each window of `context` words is read from scratch.
  const LN_EPS = F.layer_norm_eps; // the models' nn.LayerNorm eps

  function blockWeights(W, p) {
    const get = (n) => need(W, p + n);
    return {
      ln1w: get("ln1.weight"), ln1b: get("ln1.bias"), ln2w: get("ln2.weight"), ln2b: get("ln2.bias"),
      fc1w: get("mlp.0.weight"), fc1b: get("mlp.0.bias"), fc2w: get("mlp.2.weight"), fc2b: get("mlp.2.bias"),
    };
  }

  // x + mlp(ln2(x)), the MLP (its width read from its weights) with a ReLU
  function feedForward(m, B, x) {
    const H = m.H, Wd = B.fc1b.length;
    const u = linear(B.fc1w, B.fc1b, layerNorm(x, B.ln2w, B.ln2b, LN_EPS), H, Wd, new Float64Array(Wd));
    for (let i = 0; i < u.length; i++) u[i] = Math.max(0, u[i]);
    const v = linear(B.fc2w, B.fc2b, u, Wd, H, new Float64Array(H));
    for (let i = 0; i < H; i++) v[i] += x[i];
    return v;
  }

  function prepareTransformer(m, W) {
    m.pos = need(W, "pos.weight");
    m.blocks = [];
    for (let l = 0; l < m.arch.n_layers; l++) {
      const p = "blocks." + l + ".", B = blockWeights(W, p);
      B.qkvw = need(W, p + "mixer.qkv.weight"); B.qkvb = need(W, p + "mixer.qkv.bias");
      B.projw = need(W, p + "mixer.proj.weight"); B.projb = need(W, p + "mixer.proj.bias");
      m.blocks.push(B);
    }
    m.lnw = need(W, "norm.weight"); m.lnb = need(W, "norm.bias");
    return m;
  }

  function layerNorm(x, w, b, eps) {
    let mean = 0, v = 0;
    for (const u of x) mean += u;
    mean /= x.length;
    for (const u of x) v += (u - mean) * (u - mean);
    const inv = 1 / Math.sqrt(v / x.length + eps), y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = (x[i] - mean) * inv * w[i] + b[i];
    return y;
  }

  // One window (ids, at most `context` words, position 0 first): each position attends to
  // the positions up to itself. Returns the next-word probabilities and the final states.
  function transformerWindow(m, ids) {
    const H = m.H, nh = m.arch.n_heads, d = H / nh, eps = LN_EPS;
    let xs = ids.map((id, t) => {
      const x = new Float64Array(H);
      for (let i = 0; i < H; i++) x[i] = m.emb[id * m.E + i] + m.pos[t * H + i];
      return x;
    });
    for (const B of m.blocks) {
      const qkv = xs.map((x) => linear(B.qkvw, B.qkvb, layerNorm(x, B.ln1w, B.ln1b, eps), H, 3 * H, new Float64Array(3 * H)));
      xs = xs.map((x, t) => {
        const att = new Float64Array(H), w = new Float64Array(t + 1);
        for (let hd = 0; hd < nh; hd++) {
          const o = hd * d;
          let mx = -Infinity, z = 0;
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < d; i++) dot += qkv[t][o + i] * qkv[s][H + o + i];
            w[s] = dot / Math.sqrt(d);
            mx = Math.max(mx, w[s]);
          }
          for (let s = 0; s <= t; s++) { w[s] = Math.exp(w[s] - mx); z += w[s]; }
          for (let s = 0; s <= t; s++) for (let i = 0; i < d; i++) att[o + i] += (w[s] / z) * qkv[s][2 * H + o + i];
        }
        const y = linear(B.projw, B.projb, att, H, H, new Float64Array(H));
        for (let i = 0; i < H; i++) y[i] += x[i];
        return feedForward(m, B, y);
      });
    }
    const hidden = xs.map((x) => layerNorm(x, m.lnw, m.lnb, eps));
    const probs = hidden.map((h) => softmaxInPlace(linear(m.ho.w, m.ho.b, h, H, m.V, new Float64Array(m.V))));
    return { probs, hidden };
  }

  function transformerForward(m, ids) {
    const probs = [], hidden = [], C = m.arch.context;
    for (let s = 0; s < ids.length; s += C) {
      const r = transformerWindow(m, ids.slice(s, s + C));
      probs.push(...r.probs); hidden.push(...r.hidden);
    }
    return { states: null, probs, hidden, attn: ids.map(() => null), gate: ids.map(() => null) };
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
    const start = m.blocks ? t - (t % m.arch.context) : 0; // a transformer sees its window only
    for (let s = Math.max(0, t - EXPLAIN_BACK + 1); s <= t; s++) {
      if (ids[s] === unk || s < start) { rows.push({ pos: s, delta: 0 }); continue; }
      if (m.blocks) {
        const changed = ids.slice(start, t + 1);
        changed[s - start] = unk;
        rows.push({ pos: s, delta: p0 - transformerWindow(m, changed).probs[t - start][target] });
        continue;
      }
      const changed = ids.slice(0, t + 1);
      changed[s] = unk;
      let state = s > 0 ? base.states[s - 1] : zeroState(m);
      for (let u = s; u <= t; u++) state = step(m, changed[u], state);
      const p = readout(m, changed, t, state.out || state[state.length - 1].h).probs[target];
      rows.push({ pos: s, delta: p0 - p });
    }
    return { target, p0, rows };
  }

  function analyse(m, text) {
    const tokens = S.tokenize(text);
    if (tokens.length > MAX_TOKENS) {
      return { tokens, tooLong: true };
    }
    const unk = m.stoi.get(UNK) || 0;
    const ids = tokens.map((w) => (m.stoi.has(w) ? m.stoi.get(w) : unk));
    const unknown = tokens.filter((w) => !m.stoi.has(w));
    const base = forward(m, ids);
    return { tokens, ids, unknown, base };
  }


  // ------------------------------------------------------------------ writing on
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
    // rnnbook.generate: a stateful model reads each new word into its state; a transformer
    // reads the last window of words (its context) again each time.
    const all = ids.slice(), out = [], rand = seededRandom(seed);
    let state = null;
    if (!m.blocks) {
      state = zeroState(m);
      for (const id of ids) state = step(m, id, state);
    }
    const nextProbs = () => {
      if (m.blocks) {
        const window = all.slice(-m.arch.context);
        return transformerWindow(m, window).probs[window.length - 1];
      }
      return readout(m, all, all.length - 1, state.out || state[state.length - 1].h).probs;
    };
    for (let k = 0; k < nWords; k++) {
      const p = nextProbs();
      const w = temperature === 0 ? argmax(p) : drawWord(p, temperature, rand);
      out.push(w); all.push(w);
      if (!m.blocks) state = step(m, w, state);
    }
    return out;
  }

  // The checks rnnbook.generate makes, with the same messages.
  function promptIds(m, prompt) {
    const tokens = S.tokenize(prompt);
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


  root.rnnbookPlaygroundModel = { parseModel, forward, analyse, explain, topk, continueIds, promptIds, checkWriting,
    MAX_TOKENS, MAX_WRITE, EXPLAIN_BACK, UNK };
  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookPlaygroundModel;
})(typeof self !== "undefined" ? self : globalThis);
