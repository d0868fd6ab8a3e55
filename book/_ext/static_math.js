// TeX to SVG at build time (book/_ext/static_math.py): one process for the whole book.
// stdin:  JSON [[[tex, display], ...], ...]: the formulas of each page
// stdout: JSON {"css": the SVG output's style sheet, "pages": [{"html": [markup, ...],
//         "cache": hidden <svg> of the page's glyphs}, ...]}, one markup per formula, or null
//         where MathJax could not typeset it (that formula keeps its TeX).
// Usage: node static_math.js <folder holding node_modules/mathjax-full>
const path = require('path');
const base = path.resolve(process.argv[2] || '.', 'node_modules', 'mathjax-full', 'js');
const need = (p) => require(path.join(base, p));
const {mathjax} = need('mathjax.js');
const {TeX} = need('input/tex.js');
const {SVG} = need('output/svg.js');
const {liteAdaptor} = need('adaptors/liteAdaptor.js');
const {RegisterHTMLHandler} = need('handlers/html.js');
const {AssistiveMmlHandler} = need('a11y/assistive-mml.js');
const {AllPackages} = need('input/tex/AllPackages.js');

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));  // MathML beside the SVG, for screen readers
const tex = new TeX({packages: AllPackages.filter((p) => !['bussproofs', 'noundefined'].includes(p)),
                     formatError: (jax, err) => { throw err; }});  // an unknown macro fails
const svg = new SVG({fontCache: 'global'});  // each glyph drawn once a page, formulas <use> it
const doc = mathjax.document('', {InputJax: tex, OutputJax: svg});

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const pages = JSON.parse(input).map((formulas) => {
    svg.clearFontCache();
    const html = formulas.map(([src, display]) => {
      try {
        const node = doc.convert(src, {display, em: 16, ex: 8, containerWidth: 80 * 16});
        // A displayed formula wider than a phone scrolls sideways (the theme's CSS): it takes
        // the keyboard's focus, so a keyboard can scroll it too (as MathJax's own menu made it).
        if (display) adaptor.setAttribute(node, 'tabindex', '0');
        return adaptor.outerHTML(node);
      } catch (err) {
        process.stderr.write(`static_math: ${err.message} in ${JSON.stringify(src)}\n`);
        return null;
      }
    });
    const cache = adaptor.outerHTML(svg.svg('svg', {id: SVG.FONTCACHEID, style: {display: 'none'}},
                                            [svg.fontCache.getCache()]));
    return {html, cache};
  });
  const css = adaptor.textContent(svg.styleSheet(doc)).replace(/\s*\n\s*/g, '');
  process.stdout.write(JSON.stringify({css, pages}));
});
