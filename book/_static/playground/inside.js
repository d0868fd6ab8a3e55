/* rnnbook playground, "Look inside": what a prediction leaned on, and the neurons.
 *
 * The text the playground reads, shown word by word (buttons), coloured one of two ways:
 * - leaned on: choose a word (hover, focus or tap it) and every earlier word is coloured by how
 *   much the probability of the word the model predicts after the chosen one drops when that
 *   earlier word is replaced by xxunk and the text is read again: occlusion (model.js's explain),
 *   forward passes only. The chapter "Inside the models" measures gradient connectivity in
 *   PyTorch instead, which a page without autograd cannot;
 * - a unit: the top layer's activation of one unit after each word (model.js's forward returns
 *   `hidden`: what PyTorch's top recurrent layer outputs, the `rnn` layer's output or, for
 *   minGRU and the transformer, model.hidden).
 * playground.js loads this script and calls show(box, model, analysis, position) after each
 * reading. lookInside(key, text, position) returns the same numbers (for the tests and the site
 * check). Runs in Node too (tests/test_playground.py), after model.js.
 */
(function (root) {
  "use strict";

  const M = () => root.rnnbookPlaygroundModel;
  const S = () => root.rnnbookShared;
  const MAX_SHOWN = 400; // words shown; a longer text shows its first 400
  const ORANGE = [230, 115, 0], BLUE = [31, 119, 180], ALPHA = 0.6; // see-through: reads on any background
  const INSIDE_URL = "inside.html"; // the chapter, beside the pages that embed the playground
  const HOVER_MS = 80; // how long the mouse rests on a word before it is chosen

  // ------------------------------------------------------------------ the numbers
  /* Occlusion at `t`: {target, p0, delta[s]} with delta[s] the drop of p(target) when word s is
   * replaced by xxunk (null for the words explain does not reach, and after t). */
  function occlusion(m, a, t) {
    const e = M().explain(m, a.ids, a.base, t);
    const delta = a.ids.map(() => null);
    for (const r of e.rows) delta[r.pos] = r.delta;
    return { target: e.target, p0: e.p0, delta };
  }

  /* What the view shows, from the page's scripts: tokens, the word predicted after word
   * `position` and its probability, the occlusion drops (null where not measured) and the top
   * layer's states after each word. */
  async function lookInside(key, text, position) {
    const pg = root.rnnbookPlayground;
    await pg.ready;
    const m = await pg.loadModel(key), a = M().analyse(m, text);
    if (a.tooLong) throw new Error("the text has " + a.tokens.length + " words; the playground reads at most " + M().MAX_TOKENS);
    if (!Number.isInteger(position) || position < 0 || position >= a.tokens.length) {
      throw new Error("position must be a whole number from 0 to " + (a.tokens.length - 1) + ", got " + position);
    }
    const o = occlusion(m, a, position);
    return { tokens: a.tokens, target: m.vocab[o.target], p0: o.p0, occlusion: o.delta,
      hidden: a.base.hidden.map((h) => Array.from(h)) };
  }

  // ------------------------------------------------------------------ colours
  function tint(v, scale) {
    const c = v >= 0 ? ORANGE : BLUE, a = Math.min(1, Math.abs(v) / scale) * ALPHA;
    return "rgba(" + c.join(",") + "," + a.toFixed(3) + ")";
  }
  const points = (d) => (Math.abs(d) < 5e-4 ? "0.0" : (d > 0 ? "−" : "+") + (100 * Math.abs(d)).toFixed(1));

  // ------------------------------------------------------------------ the view
  let counter = 0;

  function build(box) {
    const id = "rnnpgin" + ++counter, S_ = S();
    box.innerHTML =
      '<p class="rnnpg-h">Look inside</p>' +
      '<p class="rnnpg-note">The text again, word by word. Colour it by what the prediction after a word leaned on ' +
      "(hover, tap or focus a word; arrow keys move along the text), or by one unit of the model's top layer.</p>" +
      '<div class="rnnpg-controls">' +
      '<fieldset class="rnnpg-field rnnpg-mode"><legend>Colour the words by</legend>' +
      '<label><input type="radio" name="' + id + '-mode" value="lean" checked> what a prediction leaned on</label>' +
      '<label><input type="radio" name="' + id + '-mode" value="unit"> a unit</label></fieldset>' +
      '<div class="rnnpg-field"><label for="' + id + '-unit">Unit of the top layer</label>' +
      '<select id="' + id + '-unit"></select></div></div>' +
      '<p class="rnnpg-note rnnpg-legend" id="' + id + '-legend"></p>' +
      '<div class="rnnpg-inside-text" id="' + id + '-words" role="group" aria-label="The text, word by word"></div>' +
      '<p class="rnnpg-note rnnpg-inside-status" id="' + id + '-status" role="status" aria-live="polite"></p>' +
      '<p class="rnnpg-note">How this is measured: <em>occlusion</em>. The page has no gradients, so it replaces one earlier ' +
      "word at a time by " + S_.esc(M().UNK) + ", reads the text again and measures how much the probability of the predicted " +
      "word drops (orange: the prediction leans on that word; blue: it is likelier without it; the last " + M().EXPLAIN_BACK +
      ' words before the chosen one). The chapter <a href="' + INSIDE_URL + '">Inside the models</a> measures ' +
      "<em>gradient connectivity</em> in PyTorch instead: how strongly the prediction responds to a small change of each " +
      "earlier word's embedding. A unit's colour is its activation after the word: orange positive, blue negative.</p>";
    const $ = (s) => box.querySelector("#" + id + "-" + s);
    const v = { id, words: $("words"), unit: $("unit"), legend: $("legend"), status: $("status"), mode: "lean",
      chosen: 0, u: null, m: null, a: null, cache: new Map(), H: 0 };
    box.querySelectorAll('input[type="radio"]').forEach((r) => r.addEventListener("change", () => {
      if (r.checked) { v.mode = r.value; paint(v); }
    }));
    v.unit.addEventListener("change", () => { v.u = Number(v.unit.value); setMode(box, v, "unit"); });
    const pick = (ev) => {
      const b = ev.target.closest("button.rnnpg-tok");
      if (!b || !v.a || !v.words.contains(b)) return; // (a word of an earlier reading: gone)
      const t = Number(b.dataset.pos);
      if (v.mode === "lean" && t !== v.chosen) { v.chosen = t; paint(v); } else say(v, t);
      setCurrent(v, t);
    };
    // a pointer passing over the words chooses the one it rests on (a reading takes up to ~0.3 s)
    let rest = null;
    v.words.addEventListener("pointerover", (ev) => {
      if (ev.pointerType !== "mouse") return;
      clearTimeout(rest);
      rest = setTimeout(() => pick(ev), HOVER_MS);
    });
    v.words.addEventListener("pointerleave", () => clearTimeout(rest));
    v.words.addEventListener("click", (ev) => { clearTimeout(rest); pick(ev); });
    v.words.addEventListener("focusin", pick);
    v.words.addEventListener("keydown", (ev) => {
      const b = ev.target.closest("button.rnnpg-tok");
      if (!b) return;
      const n = v.words.children.length, t = Number(b.dataset.pos);
      const to = { ArrowRight: t + 1, ArrowDown: t + 1, ArrowLeft: t - 1, ArrowUp: t - 1, Home: 0, End: n - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      const next = v.words.children[Math.max(0, Math.min(n - 1, to))];
      if (next) next.focus();
    });
    box.rnnpgInside = v;
    return v;
  }

  function setMode(box, v, mode) {
    v.mode = mode;
    box.querySelectorAll('input[type="radio"]').forEach((r) => { r.checked = r.value === mode; });
    paint(v);
  }

  // the roving tab stop: one word of the text is in the tab order, the arrow keys move it
  function setCurrent(v, t) {
    for (const b of v.words.querySelectorAll('button[tabindex="0"]')) if (Number(b.dataset.pos) !== t) b.tabIndex = -1;
    const b = v.words.children[t];
    if (b) b.tabIndex = 0;
  }

  // the unit whose activation varies most over the text, the first one shown
  function liveliest(a, H) {
    let best = 0, bestVar = -1;
    for (let u = 0; u < H; u++) {
      let s = 0, s2 = 0;
      for (const h of a.base.hidden) { s += h[u]; s2 += h[u] * h[u]; }
      const n = a.base.hidden.length, varU = s2 / n - (s / n) * (s / n);
      if (varU > bestVar + 1e-12) { bestVar = varU; best = u; }
    }
    return best;
  }

  /* Draw the view into `box` for model m and the page's analysis a, word `position` chosen. */
  function show(box, m, a, position) {
    const v = box.rnnpgInside || build(box);
    const n = Math.min(a.tokens.length, MAX_SHOWN), newModel = v.m !== m;
    v.m = m; v.a = a; v.cache = new Map();
    v.chosen = Math.max(0, Math.min(n - 1, position));
    if (newModel || v.H !== m.H) {
      v.H = m.H;
      v.unit.innerHTML = Array.from({ length: m.H }, (_, u) => '<option value="' + u + '">unit ' + u + "</option>").join("");
    }
    if (v.u === null || v.u >= m.H || newModel) v.u = liveliest(a, m.H);
    v.unit.value = String(v.u);
    const esc = S().esc;
    const html = [];
    for (let t = 0; t < n; t++) {
      html.push('<button type="button" class="rnnpg-tok" data-pos="' + t + '" tabindex="' + (t === v.chosen ? 0 : -1) + '">' +
        esc(a.tokens[t]) + "</button>");
    }
    v.words.innerHTML = html.join("");
    v.words.setAttribute("aria-label", "The text, word by word (" + n + " words" + (n < a.tokens.length ? ", the first " + n + " of " + a.tokens.length : "") + ")");
    paint(v);
  }

  function paint(v) {
    const m = v.m, a = v.a;
    if (!a) return;
    const buttons = v.words.children, esc = S().esc;
    if (v.mode === "lean") {
      const t = v.chosen;
      if (!v.cache.has(t)) v.cache.set(t, occlusion(m, a, t));
      const o = v.cache.get(t);
      let scale = 1e-3; // the earlier words' largest drop: the chosen word's own often dwarfs them
      o.delta.forEach((d, s) => { if (d !== null && (s < t || t === 0)) scale = Math.max(scale, Math.abs(d)); });
      for (let s = 0; s < buttons.length; s++) {
        const b = buttons[s], d = o.delta[s], w = "#" + s + " '" + a.tokens[s] + "'";
        let label;
        if (s > t) label = w + ": after the chosen word";
        else if (d === null) label = w + ": not measured (more than " + M().EXPLAIN_BACK + " words back)";
        else label = w + (s === t ? " (chosen)" : "") + ": without it, p('" + m.vocab[o.target] + "') changes by " + points(d) + " points";
        b.style.background = s <= t && d !== null ? tint(d, scale) : "transparent";
        b.classList.toggle("rnnpg-chosen-tok", s === t);
        b.classList.toggle("rnnpg-later", s > t);
        b.setAttribute("aria-label", label); b.title = label;
        b.setAttribute("aria-pressed", String(s === t));
      }
      v.legend.innerHTML = "After <strong>#" + t + " '" + esc(a.tokens[t]) + "'</strong> the model predicts <strong>" +
        esc(m.vocab[o.target]) + "</strong> (" + S().pct(o.p0) + "). Orange: that probability drops without the word " +
        "(full colour: " + (100 * scale).toFixed(1) + " points or more); blue: it rises. Words after the chosen one stay plain.";
      say(v, t);
      return;
    }
    const u = v.u;
    let scale = 1;
    for (const h of a.base.hidden) scale = Math.max(scale, Math.abs(h[u]));
    for (let s = 0; s < buttons.length; s++) {
      const b = buttons[s], x = a.base.hidden[s][u], label = "#" + s + " '" + a.tokens[s] + "': unit " + u + " = " + x.toFixed(3);
      b.style.background = tint(x, scale);
      b.classList.remove("rnnpg-chosen-tok", "rnnpg-later");
      b.removeAttribute("aria-pressed");
      b.setAttribute("aria-label", label); b.title = label;
    }
    v.legend.innerHTML = "Unit <strong>" + u + "</strong> of " + m.H + " in the top layer after each word: orange positive, " +
      "blue negative, full colour at ±" + scale.toFixed(2) + ".";
    v.status.textContent = "";
  }

  // the status line: the word under the finger, in words
  function say(v, t) {
    const b = v.words.children[t];
    const text = b ? b.getAttribute("aria-label") + "." : "";
    if (v.status.textContent !== text) v.status.textContent = text;
  }

  root.rnnbookInside = { show, lookInside, MAX_SHOWN, INSIDE_URL };
  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookInside;
})(typeof self !== "undefined" ? self : globalThis);
