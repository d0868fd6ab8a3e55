"""Check the built site: every page of the table of contents exists, every internal link and
asset resolves, nothing is loaded from another host, no page shows a traceback or stderr output,
and (with ``--browser``) each page opens in headless Chromium without a JavaScript error and
renders its widgets (the browser and the server come from sitecheck/browser.py).

Usage: python -m sitecheck.links [_build/html] [--browser] [--chromium /usr/bin/chromium]
Exits 1 and lists the problems if there are any.
"""

from __future__ import annotations

import argparse
import functools
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from sitecheck import report
from sitecheck.browser import open_browser, serve, watch

ROOT = Path(__file__).resolve().parent.parent
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if "class" in a and a["class"]:
            self.classes.append(a["class"])
        for name in ("href", "src"):
            if a.get(name):
                self.links.append((tag, name, a[name]))


@functools.cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def toc_pages(toc_file: Path) -> list[str]:
    """The document names in a jb-book ``_toc.yml``, root first."""
    toc = yaml.safe_load(toc_file.read_text())
    names = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                names.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [str(Path(n).with_suffix("")) for n in names]


def check_static(site: Path, pages: list[str]) -> list[str]:
    problems = []
    for name in pages:
        if not (site / f"{name}.html").is_file():
            problems.append(f"{name}: no HTML page for this _toc.yml entry")
    for html in sorted(site.rglob("*.html")):
        if "_static" in html.parts or "_sources" in html.parts:
            continue
        rel = html.relative_to(site)
        page = _parse(html)
        text = html.read_text(encoding="utf-8", errors="replace")
        if "Traceback (most recent call last)" in text or any("traceback" in c for c in page.classes):
            problems.append(f"{rel}: shows a traceback")
        if any("output stderr" in c for c in page.classes):
            problems.append(f"{rel}: shows stderr output")
        for tag, attr, url in page.links:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if tag in ("script", "img") or (tag == "link" and attr == "href" and ".css" in url):
                    problems.append(f"{rel}: loads {url} from another host")
                continue
            if parts.scheme in ("mailto", "javascript", "data"):
                continue
            target = html if not parts.path else (html.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: broken link {url}")
            elif parts.fragment and target.suffix == ".html" and "_static" not in target.parts:
                if unquote(parts.fragment) not in _parse(target).ids:
                    problems.append(f"{rel}: link {url} points at a missing anchor")
    return problems


def check_browser(site: Path, pages: list[str], chromium: str) -> list[str]:
    problems = []
    with serve(site) as base, open_browser(chromium) as browser:
        for name in pages:
            page = browser.new_page()
            errors = watch(page, base)
            page.goto(f"{base}/{name}.html", wait_until="load")
            has_widgets = WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8")
            widgets = 0
            if has_widgets:
                try:
                    page.wait_for_selector(".jupyter-widgets", timeout=20000)
                except Exception:
                    errors.append("widget state is embedded but no widget rendered")
                widgets = page.locator(".jupyter-widgets").count()
                if "Error displaying widget" in page.inner_text("body"):
                    errors.append("a widget failed to display")
            if "Traceback (most recent call last)" in page.inner_text("body"):
                errors.append("shows a traceback")
            problems += [f"{name}: {e}" for e in errors]
            status = "ok" if not errors else f"{len(errors)} problem(s)"
            rendered = f", {widgets} widgets rendered" if has_widgets else ""
            print(f"  browser: {name:<28} {status}{rendered}")
            page.close()
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--browser", action="store_true", help="also open every page in headless Chromium")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    pages = toc_pages(Path(args.toc))
    problems = check_static(site, pages)
    print(f"static check: {len(pages)} pages in the table of contents, "
          f"{len(list(site.rglob('*.html')))} HTML files, {len(problems)} problem(s)")
    if args.browser:
        problems += check_browser(site, pages, args.chromium)
    return report("links check", problems, f"{len(pages)} pages")


if __name__ == "__main__":
    sys.exit(main())
