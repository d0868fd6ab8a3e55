"""Check that no page of the built site logs an error in the browser, whatever the reader's
light/dark choice, and that every page says what it is about in a meta description.

Every page of the table of contents is loaded in headless Chromium four times, each in a new
browser context (nothing stored, as a first visit): with no stored theme on a light system and
on a dark one, then with light and with dark stored as the theme's toggle stores them. Each load
is scrolled through (what loads near the viewport loads) and must log no console error, raise no
uncaught JavaScript error and fail no request to the local server (nothing is excused), and the
page must end up in the expected mode and theme (a first visit in the theme's "auto" mode, the
system's light or dark). The meta description (``book/_ext/rnnbook_meta.py``) is read from each
page's HTML.

Usage: python -m sitecheck.console [_build/html] [--toc _toc.yml]
Prints one line per page and load; exits 1 naming the page, the load and the message of each
fault, or each page without a description.
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path

from sitecheck import report
from sitecheck.browser import open_browser, serve
from sitecheck.links import ROOT, WIDGET_STATE, toc_pages

# (name, what localStorage holds before the page loads, the system's colour scheme,
#  the expected (mode, theme) once the page has loaded)
LOADS = [
    ("first visit, light system", None, "light", ("auto", "light")),
    ("first visit, dark system", None, "dark", ("auto", "dark")),
    ("light stored", "light", "light", ("light", "light")),
    ("dark stored", "dark", "light", ("dark", "dark")),
]

STORE = "localStorage.setItem('mode', '{0}'); localStorage.setItem('theme', '{0}');"
WIDGETS_SHOWN = "() => document.querySelectorAll('.jupyter-widgets').length > 0"
MODE = "() => [document.documentElement.dataset.mode, document.documentElement.dataset.theme]"
# Down the page a window at a time and back to the top, as a reader scrolls: what a page loads
# only near the viewport (widgets, lazy images) loads, and its errors show.
SCROLL_THROUGH = """async () => {
  const pause = () => new Promise(r => setTimeout(r, 150));
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
    scrollTo(0, y);
    await pause();
  }
  scrollTo(0, 0);
  await pause();
}"""


def settle(page, widgets: bool = False) -> None:
    """Wait until ``page`` has loaded what a reader who scrolls through it would have loaded:
    its widgets drawn (with ``widgets``), the network quiet."""
    page.evaluate(SCROLL_THROUGH)
    if widgets:
        page.wait_for_function(WIDGETS_SHOWN, timeout=20000, polling=200)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # a late error of a script run after the network went quiet


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.description: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "description" and self.description is None:
            self.description = a.get("content") or ""


def meta_description(html: str) -> str | None:
    """The content of the page's ``<meta name="description">``; None when it has none."""
    parser = _Meta()
    parser.feed(html)
    return parser.description


def check_descriptions(site: Path, pages: list[str]) -> list[str]:
    """One problem per page with no description, or an empty one."""
    problems = []
    for name in pages:
        path = site / f"{name}.html"
        text = meta_description(path.read_text(encoding="utf-8")) if path.is_file() else None
        print(f"  description: {name:<24} {len(text or '')} characters")
        if not (text or "").strip():
            problems.append(f"{name}: no meta description" if text is None
                            else f"{name}: empty meta description")
    return problems


def watch(page, base: str) -> list[str]:
    """Record the page's faults as they happen: console errors (with the address of a resource
    that failed), uncaught errors, failed requests to ``base``; nothing is excused."""
    faults: list[str] = []

    def console(m):
        if m.type == "error":
            where = (m.location or {}).get("url", "")
            faults.append(f"console: {m.text}" + (f" ({where})" if where else ""))

    page.on("console", console)
    page.on("pageerror", lambda e: faults.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: faults.append(f"failed request: {r.url}")
            if r.url.startswith(base) else None)
    return faults


def load(browser, base: str, url: str, stored: str | None, scheme: str, widgets: bool):
    """Open ``url`` (served at ``base``) in a new context; (faults, (mode, theme)) once it has
    settled."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    try:
        if stored:
            context.add_init_script(STORE.format(stored))
        page = context.new_page()
        faults = watch(page, base)
        page.goto(url, wait_until="load")
        settle(page, widgets)
        return list(faults), tuple(page.evaluate(MODE))
    finally:
        context.close()


def check_console(site: Path, pages: list[str], chromium: str | None = None) -> list[str]:
    """Load every page as LOADS says; one problem per fault or wrong mode, naming page and load."""
    problems = []
    with serve(site) as base, open_browser(chromium) as browser:
        for name in pages:
            widgets = WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8")
            for label, stored, scheme, expected in LOADS:
                faults, mode = load(browser, base, f"{base}/{name}.html", stored, scheme, widgets)
                print(f"  console: {name:<24} {label:<26} {len(faults)} fault(s), "
                      f"mode {mode[0]}, theme {mode[1]}")
                problems += [f"{name} ({label}): {f}" for f in faults]
                if mode != expected:
                    problems.append(f"{name} ({label}): mode/theme {mode}, expected {expected}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    pages = toc_pages(Path(args.toc))
    problems = check_descriptions(site, pages) + check_console(site, pages, args.chromium)
    return report("console check", problems, f"{len(pages)} pages x {len(LOADS)} loads")


if __name__ == "__main__":
    sys.exit(main())
