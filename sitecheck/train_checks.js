/* The page-side halves of sitecheck/train.py's checks of "Train in your browser".
 *
 * Each piece is one function that Playwright's page.evaluate runs in the page. A line
 * "// @name: what it returns" starts a piece; the piece runs to its closing ";". The file is
 * read by sitecheck/train.py (JS[name]) and is never loaded by the site itself.
 */

// @unlabelled: the panel's controls (button, select, input) without a label, as short HTML
() => [...document.querySelectorAll('.rnntr :is(button, select, input)')]
  .filter(e => !((e.labels && e.labels.length && e.labels[0].textContent.trim())
                 || (e.getAttribute('aria-label') || '').trim() || e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80));

// @fps: requestAnimationFrame callbacks a second, counted for `ms` milliseconds
(ms) => new Promise(res => { let n = 0; const t0 = performance.now();
  const f = () => { n++; if (performance.now() - t0 < ms) requestAnimationFrame(f);
    else res(n / ((performance.now() - t0) / 1000)); }; requestAnimationFrame(f); });

// @init_stats: size, mean, spread and largest |w| of every parameter the page initialises
// (hidden 64, 40 tokens, seed 0), by "kind name"
() => { const c = window.rnnbookTrainCore, out = {};
  for (const kind of ['rnn', 'gru', 'lstm']) {
    const lay = c.layout(kind, 64, 40), n = lay.reduce((a, p) => a + p.size, 0);
    const w = new Float32Array(n); c.initParams(kind, 64, 40, 0, w);
    for (const p of lay) { const v = w.subarray(p.offset, p.offset + p.size);
      let s = 0, s2 = 0, mx = 0;
      for (const x of v) { s += x; s2 += x * x; mx = Math.max(mx, Math.abs(x)); }
      const mean = s / v.length, std = Math.sqrt(s2 / v.length - mean ** 2);
      out[kind + ' ' + p.name] = {n: v.length, mean, std, max: mx}; } }
  return out; };

// @train_weights: the page's run of `model` for `epochs` epochs from the weights `w` (lists)
async ([w, model, epochs]) => { const W = {};
  for (const [k, v] of Object.entries(w)) W[k] = Float32Array.from(v);
  return await window.rnnbookTrain.train({model, epochs, weights: W}); };

// @refusal: the message window.rnnbookTrain.train(settings) rejects with ('resolved' if it
// does not; 'not an Error: ...' if it rejects with something else)
async (s) => { try { await window.rnnbookTrain.train(s); return 'resolved'; }
  catch (e) { return (e instanceof Error ? '' : 'not an Error: ') + e.message; } };

// @worker_hidden_500: the worker's first answer, asked to train gru with hidden 500
() => new Promise(res => {
  const src = [...document.scripts].find(s => s.src.endsWith('/train.js')).src;
  const w = new Worker(new URL('train-worker.js', src));
  w.onmessage = ev => { w.terminate(); res(ev.data.type + ': ' + (ev.data.message || '')); };
  w.postMessage({type: 'train', cfg: {kind: 'gru', H: 500, bs: 64, bptt: 20, epochs: 1, lr: 0.01,
                                      wd: 0.01, pctStart: 0.25, seed: 0}}); });

// @overflowing_rnn: a run of rnn (hidden 16) from weights so large that the logits overflow
async () => {
  const H = 16, V = 40, W = {};
  const sizes = {'i_h.weight': V * H, 'rnn.weight_ih_l0': H * H, 'rnn.weight_hh_l0': H * H,
    'rnn.bias_ih_l0': H, 'rnn.bias_hh_l0': H, 'h_o.weight': V * H, 'h_o.bias': V,
    'bn.weight': H, 'bn.bias': H};
  for (const [k, n] of Object.entries(sizes)) W[k] = new Float32Array(n).fill(3e38);
  return await window.rnnbookTrain.train({model: 'rnn', epochs: 1, hidden: H, weights: W}); };

// @last_run: the last run's status and how its stop went (the steps it made, those made when
// the stop was asked, seconds a batch, seconds from the click to the stopped run)
() => { const r = window.rnnbookTrain.runs.at(-1); return {status: r.status, steps: r.steps,
  stepsAtStop: r.stepsAtStop, message: r.message, perBatch: r.seconds / r.steps,
  stopSeconds: r.stopSeconds}; };

// @axe_panel: axe-core's violations inside the panel (axe must be loaded first)
async () => {
  const result = await axe.run({include: [['.rnnbook-train']]}, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' '))})); };

// @sticking_out: up to 5 elements of the panel that reach past its right edge (outside the
// boxes that scroll), with by how much
() => { const root = document.querySelector('.rnntr');
  const right = root.getBoundingClientRect().right, wide = [];
  for (const e of root.querySelectorAll('*')) {
    const box = e.closest('.rnntr-scroll, .rnnpg-scroll');
    if (box && box !== e) continue;  // inside a box that scrolls
    const r = e.getBoundingClientRect();
    if (r.width && r.right > right + 1) wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + ' ' + Math.round(r.right - right) + ' px'); }
  return wide.slice(0, 5); };
