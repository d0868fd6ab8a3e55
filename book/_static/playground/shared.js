/* rnnbook shared: what the playground and the trainer both use.
 *
 * - numberWords(n): a number's English words, as rnnbook.data.number_to_words writes them;
 * - tokenize(text): the words and commas of a text, lower-cased;
 * - esc, pct, fmt: HTML escaping and number formats of the pages;
 * - readModel(buffer) and writeModel(header, arrays): the playground's model files, the
 *   format of rnnbook.playground (see that module's docstring): the magic bytes and the format
 *   number (from ../facts.js, loaded before this script), a little-endian uint32 n, n bytes of
 *   JSON padded with spaces to a multiple of 4, then the float32 weights.
 */
(function (root) {
  "use strict";

  const FILE = (root.rnnbookFacts || require("../facts.js")).model_file;

  // ------------------------------------------------------------------ words
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

  function tokenize(text) {
    return String(text).toLowerCase().replace(/,/g, " , ").split(/\s+/).filter(Boolean);
  }

  // ------------------------------------------------------------------ formats
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const pct = (p) => (100 * p).toFixed(1) + "%";
  const fmt = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

  // ------------------------------------------------------------------ model files
  /* {header, weights: {name: Float32Array}} from a model file's bytes (aliases resolved). */
  function readModel(buffer) {
    const bytes = new Uint8Array(buffer);
    let magic = "";
    for (let i = 0; i < 8 && i < bytes.length; i++) magic += String.fromCharCode(bytes[i]);
    if (magic !== FILE.magic) throw new Error("not a playground model file");
    const n = new DataView(buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n)));
    if (header.format !== FILE.format) throw new Error("playground file format " + header.format + "; this page reads " + FILE.format);
    const start = 12 + n;
    const all = new Float32Array(buffer, start, (buffer.byteLength - start) >> 2);
    const weights = {};
    for (const t of header.tensors) {
      const size = t.shape.reduce((a, b) => a * b, 1);
      weights[t.name] = all.subarray(t.offset, t.offset + size);
    }
    for (const [alias, name] of Object.entries(header.aliases || {})) weights[alias] = weights[name];
    return { header, weights };
  }

  /* A model file (ArrayBuffer) of `header` (without format and tensors, which this adds) and
   * `arrays` [{name, shape, data: Float32Array}], in order. */
  function writeModel(header, arrays) {
    const tensors = [];
    let offset = 0;
    for (const a of arrays) { tensors.push({ name: a.name, shape: a.shape, offset }); offset += a.data.length; }
    let text = new TextEncoder().encode(JSON.stringify(Object.assign({ format: FILE.format }, header, { tensors, aliases: {} })));
    const pad = (4 - ((12 + text.length) % 4)) % 4;
    if (pad) { const t = new Uint8Array(text.length + pad); t.set(text); t.fill(32, text.length); text = t; }
    const buf = new ArrayBuffer(12 + text.length + 4 * offset);
    const bytes = new Uint8Array(buf);
    bytes.set(new TextEncoder().encode(FILE.magic), 0);
    new DataView(buf).setUint32(8, text.length, true);
    bytes.set(text, 12);
    const f = new Float32Array(buf, 12 + text.length, offset);
    for (const a of arrays) f.set(a.data, tensors.find((t) => t.name === a.name).offset);
    return buf;
  }

  root.rnnbookShared = { numberWords, tokenize, esc, pct, fmt, readModel, writeModel };
  if (typeof module !== "undefined" && module.exports) module.exports = root.rnnbookShared;
})(typeof self !== "undefined" ? self : globalThis);
