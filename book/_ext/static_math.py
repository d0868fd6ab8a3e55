"""The book's formulas drawn when the book is built, not in the reader's browser.

Sphinx writes each formula as TeX for MathJax to typeset in the browser
(``<span class="math ...">\\(x_t\\)</span>``, ``<div class="math ...">\\[...\\]</div>``): a
phone downloads MathJax (about 264 kB compressed), the page's largest paint waits for it, and
the typeset formulas shift the text around them. Here, when the build has finished, one Node
process (``static_math.js``, with the npm package ``mathjax-full`` pinned in ``MATHJAX``)
typesets every formula of every page to SVG, with MathJax's MathML beside it for screen
readers; each page gets its formulas as markup (each glyph drawn once, in a hidden SVG at the
end of the page, that the formulas ``<use>``), MathJax's style sheet in its head, and loses
the MathJax scripts. The SVG draws in ``currentColor``, so the formulas follow the text's
colour in dark mode.

Without Node or the package (``npm install --prefix .mathjax -E mathjax-full@3.2.2``) the pages
stay as they were: MathJax in the browser, where ``fast_pages`` left it (only on pages with
math, typesetting as formulas come into view). A page keeps MathJax too when one of its
formulas fails to typeset here. Used from the first chapter with a formula (see
``_config.yml``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

MATHJAX = "mathjax-full@3.2.2"
PREFIX = ".mathjax"  # npm's --prefix, in the book's root (gitignored)
SCRIPT = Path(__file__).with_name("static_math.js")

# What Sphinx's MathJax support writes: a span per inline formula, a div per display (its
# equation number, if any, in a span before the TeX).
_MATH = re.compile(r'<(span|div) class="math notranslate nohighlight"([^>]*)>(.*?)</\1>', re.S)
_TEX = {"span": re.compile(r"\\\((.*)\\\)", re.S), "div": re.compile(r"\\\[(.*)\\\]", re.S)}
_CONFIG = re.compile(r'[ \t]*<script>window\.MathJax = .*?</script>\n?', re.S)


def formulas(text: str) -> list[tuple[str, bool]]:
    """Every formula of a written page, in order: (TeX, display)."""
    found = []
    for m in _MATH.finditer(text):
        tex = _TEX[m.group(1)].search(m.group(3))
        if tex:
            found.append((html.unescape(tex.group(1)).strip(), m.group(1) == "div"))
    return found


def replace_math(text: str, rendered: dict[tuple[str, bool], str | None], mathjax_path: str,
                 css: str = "", cache: str = "") -> str:
    """``text`` with each formula's TeX swapped for its ``rendered`` markup and, when every
    formula has one, the MathJax scripts (``mathjax_path`` and its config) out, ``css`` in the
    head and ``cache`` (the glyphs the formulas use) at the end of the body; a page with a
    formula missing from ``rendered`` (or None there) keeps MathJax."""
    missing = False

    def swap(m):
        nonlocal missing
        tex = _TEX[m.group(1)].search(m.group(3))
        if not tex:
            return m.group(0)
        markup = rendered.get((html.unescape(tex.group(1)).strip(), m.group(1) == "div"))
        if markup is None:
            missing = True
            return m.group(0)
        inner = m.group(3)[:tex.start()] + markup + m.group(3)[tex.end():]
        return f'<{m.group(1)} class="math notranslate"{m.group(2)}>{inner}</{m.group(1)}>'

    new = _MATH.sub(swap, text)
    if new == text or missing:
        return new
    src = re.escape(mathjax_path)
    new = _CONFIG.sub("", new)
    new = re.sub(rf'[ \t]*<script [^>]*src="[^"]*{src}[^"]*"></script>\n?', "", new)
    if css:
        new = new.replace("</head>", f"<style>{css}</style>\n</head>", 1)
    return new.replace("</body>", f"{cache}\n</body>", 1) if cache else new


def render(pages: list[list[tuple[str, bool]]], root: Path) -> tuple[list[dict], str] | None:
    """For each page's formulas, their SVG markup (``html``, None where one failed) and the
    hidden SVG of the glyphs they use (``cache``); and MathJax's style sheet. One Node process;
    None when Node or the package in ``root / PREFIX`` is missing or Node fails."""
    node = shutil.which("node")
    if not node or not (root / PREFIX / "node_modules" / "mathjax-full" / "js").is_dir():
        return None
    run = subprocess.run([node, str(SCRIPT), str(root / PREFIX)], input=json.dumps(pages),
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        print(f"static_math: node failed, the formulas are left to MathJax in the browser: "
              f"{run.stderr.strip()[-500:]}")
        return None
    if run.stderr.strip():
        print(run.stderr.strip())
    out = json.loads(run.stdout)
    return out["pages"], out["css"]


def _finish(app, exception):
    if exception is not None or app.builder.format != "html" or not app.config.mathjax_path:
        return
    pages = {p: p.read_text(encoding="utf-8") for p in sorted(Path(app.outdir).rglob("*.html"))}
    found = {p: list(dict.fromkeys(formulas(t))) for p, t in pages.items()}
    found = {p: f for p, f in found.items() if f}
    if not found:
        return
    result = render(list(found.values()), Path(app.confdir))
    if result is None:
        print(f"static_math: no node or {MATHJAX} in {PREFIX}/, the formulas are left to "
              f"MathJax in the browser (npm install --prefix {PREFIX} -E {MATHJAX})")
        return
    drawn, css = result
    failed = 0
    for (page, tex), out in zip(found.items(), drawn, strict=True):
        failed += sum(m is None for m in out["html"])
        new = replace_math(pages[page], dict(zip(tex, out["html"], strict=True)), app.config.mathjax_path,
                           css, out["cache"])
        page.write_text(new, encoding="utf-8")
    total = sum(map(len, found.values()))
    print(f"static_math: {total - failed} formulas on {len(found)} pages drawn at build time"
          + (f", {failed} left to MathJax in the browser" if failed else ""))


def setup(app):
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
