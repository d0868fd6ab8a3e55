"""Check that the built site's code fits the screens people read on: every page of the table of
contents is opened once in headless Chromium and measured at 1280, 1366 and 1920 px wide, and
the code and output blocks that scroll sideways (or are cut off) are counted per width.

Code is every highlighted block but printed output: cell inputs, the package source that
``show_source`` shows, and code blocks in the prose. It is written to 88 columns, and none of it
may scroll sideways at these widths. Output is a cell's printed text (``highlight-myst-ansi``),
any other ``<pre>`` inside a cell's output (a widget's text), and the tables a cell shows; at
most ``--max-output`` of those may scroll (0: the site wraps printed lines that are longer than
the column, see ``book/_static/layout.css``). Nothing may be cut off: a block wider than its box
without a scroll bar to reach the rest fails at any width. Folded content (a hidden cell, an
exercise's solution) is opened first, so it is measured as a reader who opens it would see it.

Usage: python -m sitecheck.sideways [_build/html] [--toc _toc.yml] [--widths 1280 1366 1920]
       [--max-output 0] [--page book/data]
Prints a table of blocks that scroll per width and each block that does; exits 1 if any code
block scrolls, if more output blocks scroll than allowed, or if a block is cut off.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitecheck import report
from sitecheck.a11y import ALL_WIDGETS_SHOWN, OUTPUT_LEXERS
from sitecheck.browser import open_browser, serve
from sitecheck.links import WIDGET_STATE, toc_pages

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (1280, 1366, 1920)
"""Screen widths checked: the common laptop widths and a desktop monitor."""
MAX_OUTPUT = 0
"""Output blocks allowed to scroll sideways at each width: none, since long printed lines wrap."""

# Opens folded content (hidden cells, dropdown solutions) so that it takes its real width.
UNFOLD = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
}"""

# Every code and output block of the article, with whether it scrolls sideways or is cut off.
# A block is a <pre> (its scroll box is the <pre>, or its highlight <div> for some lexers) or a
# table's scroll container; `kind` is "code" or "output" (see the module docstring).
MEASURE = """() => {
  const article = document.querySelector('.bd-article') || document.body;
  const right = article.getBoundingClientRect().right;
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const blocks = [];
  const add = (el, kind, text) => {
    if (el.getClientRects().length === 0) { blocks.push({kind, hidden: true}); return; }
    // the scroll box: the element itself, or the nearest ancestor that scrolls
    let box = el;
    while (box !== article && !scrolls(box) && box.parentElement) box = box.parentElement;
    if (!scrolls(box)) box = el;
    const over = Math.max(el.scrollWidth, box.scrollWidth) - box.clientWidth;
    const cut = (over > 1 && !scrolls(box)) || el.getBoundingClientRect().right > right + 1;
    blocks.push({kind, hidden: false, scrolls: over > 1 && scrolls(box), cut, over,
                 text: (text || '').trim().split('\\n')[0].slice(0, 70)});
  };
  article.querySelectorAll('pre').forEach(pre => {
    const hl = pre.closest('[class*="highlight-"]');
    const lang = hl ? (hl.className.match(/(?:^|\\s)highlight-(\\S+)/) || [])[1] : null;
    const inOutput = !!pre.closest('.cell_output, .output');
    const kind = lang ? (OUTPUT_LEXERS.includes(lang) ? 'output' : 'code')
                      : (inOutput ? 'output' : 'code');
    add(pre, kind, pre.textContent);
  });
  article.querySelectorAll('.cell_output table').forEach(t => add(t, 'output', t.innerText));
  return blocks;
}"""


def _a(kind: str) -> str:
    return "an output" if kind == "output" else "a code"


def measure(page, output_lexers: list[str]) -> list[dict]:
    """The code and output blocks of the open page at its current width (see MEASURE)."""
    page.wait_for_timeout(50)  # one frame for the layout to follow a resize
    return page.evaluate(f"(OUTPUT_LEXERS => ({MEASURE})())({output_lexers!r})")


def check(site: Path, pages: list[str], widths: tuple[int, ...] = WIDTHS,
          max_output: int = MAX_OUTPUT, chromium: str | None = None) -> tuple[list[str], dict]:
    """Measure every page at every width; returns (problems, counts) where counts[width] is
    ``{"code": (scrolling, total), "output": (scrolling, total)}``. Prints each block that
    scrolls or is cut off, and a table per width."""
    problems: list[str] = []
    found: dict[int, dict[str, list[int]]] = {w: {"code": [0, 0], "output": [0, 0]} for w in widths}
    with serve(site) as base, open_browser(chromium) as browser:
        page = browser.new_page(viewport={"width": widths[0], "height": 900})
        for name in pages:
            page.goto(f"{base}/{name}.html", wait_until="load")
            if WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8"):
                page.wait_for_function(ALL_WIDGETS_SHOWN, timeout=20000, polling=200)
            page.evaluate(UNFOLD)
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                blocks = measure(page, sorted(OUTPUT_LEXERS))
                for b in blocks:
                    if b["hidden"]:
                        problems.append(f"{name} at {width} px: {_a(b['kind'])} block stays hidden "
                                        "(folded in a way the check cannot open)")
                        continue
                    found[width][b["kind"]][1] += 1
                    if b["scrolls"] or b["cut"]:
                        how = "is cut off" if b["cut"] else "scrolls"
                        print(f"  {width} px  {name:<22} {b['kind']:<6} {how} by {b['over']} px: "
                              f"{b['text']}")
                        if b["scrolls"]:
                            found[width][b["kind"]][0] += 1
                        if b["cut"]:
                            problems.append(f"{name} at {width} px: {_a(b['kind'])} block is cut off "
                                            f"without a scroll bar: {b['text']}")
                        elif b["kind"] == "code":
                            problems.append(f"{name} at {width} px: a code block scrolls "
                                            f"sideways: {b['text']}")
        page.close()
    print(f"  {'width':>7}  {'code blocks that scroll':>24}  {'output blocks that scroll':>26}")
    for width in widths:
        (cs, ct), (os_, ot) = found[width]["code"], found[width]["output"]
        print(f"  {width:>4} px  {cs:>14} of {ct:<7}  {os_:>16} of {ot:<7}")
        if os_ > max_output:
            problems.append(f"{os_} output blocks scroll sideways at {width} px "
                            f"(at most {max_output} allowed)")
    counts = {w: {k: tuple(v) for k, v in found[w].items()} for w in widths}
    return problems, counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    parser.add_argument("--max-output", type=int, default=MAX_OUTPUT,
                        help="output blocks allowed to scroll sideways at each width")
    parser.add_argument("--page", action="append", help="only this page (book/data); repeatable")
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    pages = args.page or toc_pages(Path(args.toc))
    missing = [p for p in pages if not (site / f"{p}.html").is_file()]
    problems = [f"{p}: no HTML page for this _toc.yml entry" for p in missing]
    more, _ = check(site, [p for p in pages if p not in missing], tuple(args.widths),
                    args.max_output, args.chromium)
    problems += more
    return report("sideways check", problems,
                  f"{len(pages)} pages at {', '.join(map(str, args.widths))} px")


if __name__ == "__main__":
    sys.exit(main())
