"""Check that the built site is readable by everyone: every page of the table of contents is
scanned with axe-core in headless Chromium (no violation allowed, whatever its impact), and the
code a page shows fits the chapter's code column (no line wider than ``--width`` characters).

Code is every highlighted block but cell output: cell inputs, the package source that
``show_source`` shows, and code blocks in the prose. Printed output (``highlight-myst-ansi``
blocks: tables, batches of text) is counted and reported, but does not fail the check: it is
data the reader may scroll, not code to read. The axe-core script is vendored in
``sitecheck/vendor/axe.min.js`` (see ``sitecheck/vendor-js.sh``); the server and the browser come
from ``browser.py``.

Each page is scanned twice in each mode: at 1280 px as it loads, and on a phone's window
(390 px) scrolled down and a little back up, where the theme shows its "Back to top" button.

Usage: python -m sitecheck.a11y [_build/html] [--toc _toc.yml] [--width 88] [--dark]
       [--no-browser] [--no-scroll]
Prints the violations by impact for each page; exits 1 if a page has any violation or shows
a code line that is too wide.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from sitecheck import report
from sitecheck.browser import open_browser, serve
from sitecheck.links import WIDGET_STATE, toc_pages

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CODE_WIDTH = 88
"""The book's code width in characters. The site's code column holds more, 99 characters of
the theme's 14 px monospace on screens from 1200 px up (book/_static/layout.css), and
``sideways.py`` measures in the browser that no code block scrolls sideways there."""
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = IMPACTS
"""The impacts that fail the check: all of them, a moderate or minor violation is a fault too."""
OUTPUT_LEXERS = {"myst-ansi"}
"""Highlight languages of cell output (printed text), which is not held to the code width."""

# Runs axe on the whole page and returns, per violated rule, what a reader of the log needs.
RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ')),
  }));
}
"""


class _CodeBlocks(HTMLParser):
    """The text of every ``<pre>`` inside a ``highlight-LANG`` block, with its LANG."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, language of a highlight-LANG div)
        self.blocks: list[tuple[str, str]] = []  # (language, text)
        self._pre: list[str] | None = None
        self._lang: str | None = None

    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col"}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        m = re.search(r"(?:^|\s)highlight-(\S+)", dict(attrs).get("class") or "")
        self.stack.append((tag, m.group(1) if m else None))
        if tag == "pre" and self._pre is None:
            self._lang = next((lang for _, lang in reversed(self.stack) if lang), None)
            self._pre = []

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            top, _ = self.stack.pop()
            if top == tag:
                break
        if tag == "pre" and self._pre is not None:
            if self._lang is not None:
                self.blocks.append((self._lang, "".join(self._pre)))
            self._pre = None

    def handle_data(self, data):
        if self._pre is not None:
            self._pre.append(data)


def wide_lines(html: str, width: int = CODE_WIDTH) -> tuple[list[str], list[str]]:
    """The lines wider than ``width`` characters in a page's highlighted blocks, as
    (code lines, output lines); tabs count as 8 columns, as a browser shows them."""
    parser = _CodeBlocks()
    parser.feed(html)
    code, output = [], []
    for lang, text in parser.blocks:
        for line in text.expandtabs(8).splitlines():
            if len(line) > width:
                (output if lang in OUTPUT_LEXERS else code).append(line)
    return code, output


def check_width(site: Path, pages: list[str], width: int = CODE_WIDTH) -> list[str]:
    """One problem per code line wider than ``width`` on the pages; prints a line per page."""
    problems = []
    for name in pages:
        path = site / f"{name}.html"
        if not path.is_file():
            problems.append(f"{name}: no HTML page for this _toc.yml entry")
            continue
        code, output = wide_lines(path.read_text(encoding="utf-8", errors="replace"), width)
        print(f"  width: {name:<28} {len(code)} code line(s) over {width} characters"
              f" ({len(output)} output line(s) over, allowed)")
        problems += [f"{name}: code line of {len(line)} characters: {line.strip()[:70]}..."
                     for line in code]
    return problems


def axe_scan(page) -> list[dict]:
    """Run axe-core on an open Playwright page; the violations, one dict per rule broken."""
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing (sitecheck/vendor-js.sh fetches it)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def by_impact(violations: list[dict]) -> Counter:
    """How many elements break a rule, by the rule's impact."""
    counts: Counter = Counter()
    for v in violations:
        counts[v["impact"] or "minor"] += len(v["nodes"])
    return counts


# Every widget view the page embeds has been drawn (the widget manager puts each one in a
# .widget-subarea next to its script).
ALL_WIDGETS_SHOWN = """() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const shown = [...document.querySelectorAll('.widget-subarea')].filter(a => a.children.length);
  return views.length > 0 && shown.length >= views.length;
}"""

# The theme keeps the reader's light/dark choice in localStorage; set it before the page loads.
DARK_MODE = "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"


PHONE = {"width": 390, "height": 844}
"""The window of a scrolled scan: a phone, where the theme shows its "Back to top" button (it
hides it from 1200 px up)."""

# The theme shows "Back to top" when the reader scrolls up, below the header.
BACK_TO_TOP_SHOWN = """() => {
  const b = document.getElementById('pst-back-to-top');
  return !!b && getComputedStyle(b).display !== 'none';
}"""


def scroll_down(page) -> bool:
    """Scroll ``page`` down, then up a little, as a reader does; whether the theme's "Back to
    top" button shows then."""
    page.mouse.move(PHONE["width"] // 2, PHONE["height"] // 2)
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(300)
    page.mouse.wheel(0, -200)
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function(BACK_TO_TOP_SHOWN, timeout=3000, polling=100)
    except Timeout:  # the page is too short to scroll, or the button is gone
        return False
    return True


def open_rendered(browser, url: str, has_widgets: bool, dark: bool = False,
                  viewport: dict | None = None):
    """A new page on ``url`` (in the theme's dark mode with ``dark``; 1280 x 1000 px unless
    ``viewport``), once it has loaded and its widgets (if any) have rendered."""
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 1000})
    if dark:
        page.add_init_script(DARK_MODE)
    page.goto(url, wait_until="load")
    if has_widgets:
        page.wait_for_function(ALL_WIDGETS_SHOWN, timeout=20000, polling=200)
    page.wait_for_load_state("networkidle")
    return page


def check_axe(site: Path, pages: list[str], chromium: str | None = None,
              dark: bool = False, scrolled: bool = False) -> list[str]:
    """Scan every page with axe-core (in the theme's dark mode with ``dark``; with ``scrolled``,
    on a phone's window scrolled down, "Back to top" showing); one problem per rule broken
    whose impact is in FAILING, and one per scrolled page where the button did not show."""
    problems = []
    total: Counter = Counter()
    mode = " (" + ", ".join(["dark"] * dark + ["phone, scrolled"] * scrolled) + ")" \
        if dark or scrolled else ""
    with serve(site) as base, open_browser(chromium) as browser:
        for name in pages:
            has_widgets = WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8")
            page = open_rendered(browser, f"{base}/{name}.html", has_widgets, dark,
                                 PHONE if scrolled else None)
            try:
                if scrolled and not scroll_down(page):
                    problems.append(f"{name}{mode}: the theme's Back to top button did not show")
                violations = axe_scan(page)
            finally:
                page.close()
            counts = by_impact(violations)
            total += counts
            summary = ", ".join(f"{counts[i]} {i}" for i in IMPACTS)
            print(f"  axe{mode}: {name:<28} {summary}")
            for v in violations:
                line = f"{name}: {v['impact']} {v['id']} ({v['help']}): {len(v['nodes'])} x, " \
                       f"e.g. {v['nodes'][0]}"
                print(f"      {line}")
                if v["impact"] in FAILING:
                    problems.append(line)
    print(f"  axe{mode}: all {len(pages)} pages: " + ", ".join(f"{total[i]} {i}" for i in IMPACTS))
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--width", type=int, default=CODE_WIDTH, help="widest code line allowed")
    parser.add_argument("--no-browser", action="store_true", help="only the code-width check")
    parser.add_argument("--dark", action="store_true", help="scan in dark mode too")
    parser.add_argument("--no-scroll", action="store_true",
                        help="skip the scans of each page scrolled down on a phone")
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    pages = toc_pages(Path(args.toc))
    problems = check_width(site, pages, args.width)
    if not args.no_browser:
        for dark in (False, True) if args.dark else (False,):
            problems += check_axe(site, pages, args.chromium, dark=dark)
            if not args.no_scroll:
                problems += check_axe(site, pages, args.chromium, dark=dark, scrolled=True)
    return report("accessibility check", problems, f"{len(pages)} pages")


if __name__ == "__main__":
    sys.exit(main())
