/* rnnbook translate: the translation box of the playground page (chapter "Words to digits").
 *
 * The reader types a number in words; the attention model that
 * rnnbook.playground.export_translator wrote (models/<key>.json and models/<key>.bin, beside
 * this script) writes its digits greedily, as rnnbook.seq2seq.decode(model, src) does, and the
 * box draws where each digit looked (the attention weights) as a table. Every constant (the
 * vocabulary, the digits, the lengths, the ids, the words of the numbers, the messages of
 * rnnbook.seq2seq.words_to_number) comes from the JSON; numberWords from shared.js. The files
 * are fetched when the box is first used (clicked, focused or typed in).
 *
 * Entry points: await window.rnnbookTranslate.translate(words, key) returns {words, digits,
 * text, alignment} or throws words_to_number's message. parse, prepare and decode are the core,
 * which runs in Node too (tests/test_translate_box.py), after ../facts.js and shared.js.
 */
(function (root) {
  "use strict";
  const doc = typeof document !== "undefined" ? document : null;
  const scriptUrl = doc && doc.currentScript && doc.currentScript.src ? doc.currentScript.src : null;
  const shared = () => root.rnnbookShared || require("./shared.js");

  // ------------------------------------------------------------------ what the reader types
  // Python's repr of a str: the quote it picks, its escapes, non-printable characters as \x, \u, \U.
  const UNPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
  const ESCAPES = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
  function pyRepr(s) {
    const q = s.includes("'") && !s.includes('"') ? '"' : "'";
    let out = q;
    for (const ch of s) {
      const c = ch.codePointAt(0), hex = (n) => c.toString(16).padStart(n, "0");
      if (ch === q) out += "\\" + q;
      else if (ESCAPES[ch]) out += ESCAPES[ch];
      else if (ch !== " " && UNPRINTABLE.test(ch)) out += c < 0x100 ? "\\x" + hex(2) : c < 0x10000 ? "\\u" + hex(4) : "\\U" + hex(8);
      else out += ch;
    }
    return out + q;
  }

  // rnnbook.checks.show: the repr, cut to C.show_limit characters
  function show(C, s) {
    const t = Array.from(pyRepr(s));
    return t.length <= C.show_limit ? t.join("") : t.slice(0, C.show_limit - 3).join("") + "...";
  }

  // Python's str.split(): the words between runs of C.whitespace
  function split(C, text) {
    const ws = C.wsSet || (C.wsSet = new Set(C.whitespace));
    const words = [];
    let w = "";
    for (const ch of text) {
      if (ws.has(ch)) { if (w) words.push(w); w = ""; } else w += ch;
    }
    if (w) words.push(w);
    return words;
  }

  const fill = (template, holes) => template.replace(/\{(\w+)\}/g, (m, k) => (k in holes ? holes[k] : m));

  /* The source row (S,) of word ids, padded on the left, for `text`; throws words_to_number's
   * message for anything that is not a number from 1 to 9999 as the book writes it. */
  function parse(C, text) {
    const words = split(C, text), M = C.messages, shown = show(C, text);
    if (!words.length) throw new Error(fill(M.empty, { shown }));
    const known = C.knownSet || (C.knownSet = new Set(C.known_words));
    const bad = words.find((w) => !known.has(w));
    if (bad !== undefined) throw new Error(fill(M.unknown, { word: pyRepr(bad), shown }));
    if (!C.numbers) {
      C.numbers = new Set();
      for (let n = 1; n < 10000; n++) C.numbers.add(shared().numberWords(n));
    }
    if (!C.numbers.has(words.join(" "))) throw new Error(fill(M.not_number, { shown }));
    const stoi = new Map(C.vocab.map((w, i) => [w, i]));
    const src = new Array(C.src_len - words.length).fill(C.word_pad);
    return { words, src: src.concat(words.map((w) => stoi.get(w))) };
  }

  // ------------------------------------------------------------------ the model
  /* The model of config C and its weights (an ArrayBuffer of little-endian float32). */
  function prepare(C, buffer) {
    const all = new Float32Array(buffer), W = {};
    for (const t of C.tensors) W[t.name] = all.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
    const need = (name) => { if (!W[name]) throw new Error("the model file lacks " + name); return W[name]; };
    const layer = (p, l) => ({ wih: need(p + "weight_ih" + l), whh: need(p + "weight_hh" + l), bih: need(p + "bias_ih" + l), bhh: need(p + "bias_hh" + l) });
    ["i_h.weight", "bridge.weight", "bridge.bias", "d_emb.weight", "score.weight", "h_o.weight", "h_o.bias"].forEach(need);
    return { C, W, H: C.n_hidden, enc: layer("encoder.", "_l0"), cell: layer("cell.", "") };
  }

  // out = w x + b, w (outDim, inDim) row-major; b may be null
  function linear(w, b, x, inDim, outDim) {
    const out = new Float64Array(outDim);
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += w[o * inDim + i] * x[i];
      out[o] = s;
    }
    return out;
  }

  // One GRU step, PyTorch's gates r, z, n: x (inDim,), h (H,) -> (H,)
  function gru(L, x, h, inDim, H) {
    const gi = linear(L.wih, L.bih, x, inDim, 3 * H), gh = linear(L.whh, L.bhh, h, H, 3 * H);
    const sig = (v) => 1 / (1 + Math.exp(-v)), out = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      const r = sig(gi[i] + gh[i]), z = sig(gi[H + i] + gh[H + i]);
      const n = Math.tanh(gi[2 * H + i] + r * gh[2 * H + i]);
      out[i] = (1 - z) * n + z * h[i];
    }
    return out;
  }

  const row = (w, i, n) => w.subarray(i * n, (i + 1) * n);

  /* Greedy decoding of the source row `src` (S,): the digit ids written before the end
   * (digits) and, for every step up to the one that wrote the end, the attention weights over
   * the S words (alignment, (steps, S)), as rnnbook.seq2seq.decode and Seq2Seq.alignment. */
  function decode(m, src) {
    const { C, W, H } = m, S = src.length, V = C.digits.length;
    let h = new Float64Array(H);
    const enc = []; // (S, H): the encoder's states
    for (const id of src) { h = gru(m.enc, row(W["i_h.weight"], id, H), h, H, H); enc.push(h); }
    h = linear(W["bridge.weight"], W["bridge.bias"], h, H, H).map(Math.tanh); // (H,)
    let digit = C.bos;
    const digits = [], alignment = [];
    for (let t = 0; t < C.tgt_len; t++) {
      const q = linear(W["score.weight"], null, h, H, H); // (H,)
      const a = new Float64Array(S); // (S,): softmax over the words, padding left out
      let mx = -Infinity, z = 0;
      for (let s = 0; s < S; s++) {
        a[s] = src[s] === C.word_pad ? -Infinity : enc[s].reduce((acc, v, i) => acc + v * q[i], 0);
        mx = Math.max(mx, a[s]);
      }
      for (let s = 0; s < S; s++) { a[s] = Math.exp(a[s] - mx); z += a[s]; }
      const ctx = new Float64Array(H); // (H,)
      for (let s = 0; s < S; s++) { a[s] /= z; for (let i = 0; i < H; i++) ctx[i] += a[s] * enc[s][i]; }
      const x = new Float64Array(2 * H); // [d_emb(digit), ctx]
      x.set(row(W["d_emb.weight"], digit, H)); x.set(ctx, H);
      h = gru(m.cell, x, h, 2 * H, H);
      x.set(h); // [h, ctx]
      const out = linear(W["h_o.weight"], W["h_o.bias"], x, 2 * H, V); // (V,)
      digit = out.indexOf(Math.max(...out));
      alignment.push(Array.from(a));
      if (digit === C.eos) break;
      digits.push(digit);
    }
    return { digits, alignment };
  }

  // ------------------------------------------------------------------ the site's model
  const loaded = new Map(); // key -> Promise of the model
  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const s = doc.createElement("script");
      s.src = url; s.async = false;
      s.onload = resolve; s.onerror = () => reject(new Error("could not load " + url));
      doc.head.appendChild(s);
    });
  }
  function load(key) {
    if (loaded.has(key)) return loaded.get(key);
    const base = new URL("models/", scriptUrl).href, get = (file, how) => fetch(base + file).then((r) => {
      if (!r.ok) throw new Error("could not load " + file + " (" + r.status + ")");
      return r[how]();
    });
    const needs = [["rnnbookFacts", "../facts.js"], ["rnnbookShared", "shared.js"]].filter(([name]) => !root[name]);
    const p = Promise.all(needs.map(([, file]) => loadScript(new URL(file, scriptUrl).href)))
      .then(() => get(encodeURIComponent(key) + ".json", "json"))
      .then((C) => get(C.weights, "arrayBuffer").then((buf) => prepare(C, buf)));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
    return p;
  }

  async function translate(words, key = "seq2seq_attn") {
    const m = await load(key);
    const { words: read, src } = parse(m.C, words);
    const r = decode(m, src);
    const text = r.digits.map((d) => m.C.digits[d]).join(" ");
    return { words: read, src, digits: r.digits, text, alignment: r.alignment };
  }

  // ------------------------------------------------------------------ the box
  const CSS = ".rnntl{color:#1a1a1a;background:#fff;border:1px solid #c8c8c8;border-radius:6px;padding:.8rem;margin:1rem 0;" +
    "max-width:100%;box-sizing:border-box;font:0.95rem/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".rnntl label{display:block;font-weight:600;margin-bottom:.3rem}" +
    ".rnntl input{width:100%;box-sizing:border-box;font:1rem ui-monospace,Menlo,Consolas,monospace;color:#1a1a1a;background:#fff;" +
    "border:1px solid #767676;border-radius:4px;padding:.4rem}" +
    ".rnntl input:focus-visible,.rnntl-scroll:focus-visible{outline:3px solid #1f5fbf;outline-offset:1px}" +
    ".rnntl-msg{margin:.5rem 0;color:#444}.rnntl-msg.rnntl-error{color:#a10000;font-weight:600;overflow-wrap:anywhere}" +
    ".rnntl-note{color:#444;font-size:.9rem;margin:.6rem 0 .2rem}.rnntl-digits{font:700 1.4rem ui-monospace,Menlo,Consolas,monospace}" +
    ".rnntl-scroll{overflow-x:auto;max-width:100%}" +
    ".rnntl table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0;font-variant-numeric:tabular-nums}" +
    ".rnntl caption{caption-side:top;text-align:left;font-weight:600;color:#1a1a1a;padding-bottom:.2rem}" +
    ".rnntl th,.rnntl td{padding:.15rem .3rem;border:1px solid #e2e2e2;text-align:right;white-space:nowrap}" +
    ".rnntl th{background:#f0f0f0;color:#1a1a1a}.rnntl th[scope=row]{text-align:left}";

  // a cell's shade for weight w (white to #084594) and the text colour that reads on it
  function shade(w) {
    const rgb = [8, 69, 148].map((c) => Math.round(255 + (c - 255) * w));
    const lum = rgb.map((c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    const L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return "background:rgb(" + rgb.join(",") + ");color:" + (L > 0.179 ? "#000" : "#fff");
  }

  function table(C, r, words) {
    const esc = shared().esc, S0 = C.src_len - words.length;
    const heads = r.digits.map((d) => C.digits[d]).concat(r.alignment.length > r.digits.length ? ["end"] : []);
    let html = '<p class="rnntl-note">Rows: the words; columns: the digits the model wrote, then the end; each cell: ' +
      "the attention weight on the word as the model wrote that digit, in percent (darker is more).</p>" +
      "<table><caption>Attention: where each output looked, in percent</caption><thead><tr><th scope=\"col\">word</th>" +
      heads.map((h, t) => '<th scope="col" aria-label="step ' + (t + 1) + ": " + esc(h) + '">' + esc(h) + "</th>").join("") + "</tr></thead><tbody>";
    words.forEach((w, i) => {
      html += '<tr><th scope="row">' + esc(w) + "</th>" + r.alignment.map((a, t) => {
        const v = a[S0 + i];
        return '<td style="' + shade(v) + '" data-weight="' + v + '" title="' + esc(heads[t]) + " looked at " + esc(w) + ": " +
          v.toFixed(4) + '">' + (100 * v).toFixed(0) + "</td>";
      }).join("") + "</tr>";
    });
    return html + "</tbody></table>";
  }

  let counter = 0;
  function mount(el) {
    if (el.dataset.mounted) return;
    el.dataset.mounted = "1";
    const id = "rnntl" + ++counter, key = el.dataset.model || "seq2seq_attn";
    if (!doc.getElementById("rnntl-style")) {
      const st = doc.createElement("style");
      st.id = "rnntl-style"; st.textContent = CSS;
      doc.head.appendChild(st);
    }
    el.innerHTML = '<section class="rnntl" aria-label="Translate number words to digits">' +
      '<label for="' + id + '-in">A number from 1 to 9999 in words</label>' +
      '<input type="text" id="' + id + '-in" value="eight thousand forty two" autocomplete="off" spellcheck="false" autocapitalize="off">' +
      '<p class="rnntl-msg" id="' + id + '-msg" role="status" aria-live="polite">The model loads when you click or type in the box.</p>' +
      '<p>Digits: <output class="rnntl-digits" id="' + id + '-out" for="' + id + '-in"></output></p>' +
      '<div class="rnntl-scroll" id="' + id + '-map" role="region" tabindex="0" aria-label="Attention of each digit on each word"></div></section>';
    const $ = (s) => el.querySelector("#" + id + "-" + s);
    const input = $("in"), msg = $("msg"), out = $("out"), map = $("map");
    let gen = 0;
    function render() {
      const g = ++gen, text = input.value;
      delete el.dataset.answered; // set again once this text is answered
      load(key).then((m) => {
        if (g !== gen) return;
        const { words, src } = parse(m.C, text);
        const r = decode(m, src);
        out.textContent = r.digits.map((d) => m.C.digits[d]).join(" ");
        msg.className = "rnntl-msg";
        msg.textContent = "The model " + m.C.key + " (" + m.C.title + (m.C.seed !== null ? ", seed " + m.C.seed : "") +
          ") writes the digits greedily, in this page.";
        map.innerHTML = table(m.C, r, words);
        el.dataset.answered = text;
        el.dispatchEvent(new CustomEvent("rnnbook-translated", { bubbles: true }));
      }).catch((err) => {
        if (g !== gen) return;
        out.textContent = ""; map.innerHTML = "";
        msg.className = "rnntl-msg rnntl-error";
        msg.textContent = err.message;
        el.dataset.answered = text;
        el.dispatchEvent(new CustomEvent("rnnbook-translated", { bubbles: true }));
      });
    }
    // The model's files load on first use, as the playground's do: a click, focus or typing.
    function first() {
      ["pointerdown", "focusin", "input"].forEach((e) => el.removeEventListener(e, first));
      msg.textContent = "loading the model…";
      render();
      input.addEventListener("input", render);
    }
    ["pointerdown", "focusin", "input"].forEach((e) => el.addEventListener(e, first));
  }

  root.rnnbookTranslate = { parse, prepare, decode, translate, pyRepr, show, split, mount };
  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookTranslate;
  if (doc) {
    const start = () => doc.querySelectorAll(".rnnbook-translate").forEach(mount);
    if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
    else start();
  }
})(typeof window !== "undefined" ? window : globalThis);
