"""Load every built page that has widgets many times, each in a fresh browser, and check that no
load fails a request or logs a console error, and that widget icons show their glyph.

Usage: ``python -m sitecheck.widget_loads [HTML_DIR] [--loads 20] [--screenshot PNG]``
(default ``_build/html``). The pages are those of ``_toc.yml`` whose HTML embeds widget state.
Each load opens the page in a new browser context (an empty cache, as a first visit), waits until its
widgets are drawn, its fonts settled and the network idle, then records the faults of
``browser.watch`` and any answer of the local server with an HTTP error. On every load, each
icon in a widget (e.g. a Button's ``icon="play"``) must be drawn: as text (``<i class="fa
fa-play">``, the widget manager's way) in its icon font, whose faces must have loaded and whose
glyph must differ from the same character drawn in a font that does not exist (the placeholder
box a reader would see); or as an inline SVG with a shape (the book's theme turns such icons
into SVG with its own Font Awesome script).
``--screenshot`` saves the first icon's widget, as a reader sees it, to a PNG.

Prints one line per page with the count of faulty loads, then each fault with the number of loads
that had it; exits 1 if any load had a fault.
A fault that comes only now and then (a race between scripts) shows up here, where one load
per page (``python -m sitecheck.links --browser``) passes by chance.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from sitecheck.browser import open_browser, serve, watch
from sitecheck.links import ROOT, WIDGET_STATE, toc_pages

RENDERED = "() => document.querySelectorAll('.jupyter-widgets').length > 0"

# For each widget icon on the page: drawn as text in the icon font (``<i class="fa fa-play">``,
# as the widget manager's CSS draws it): its font (family, weight), the status of every face of
# that font, and whether its glyph drawn in that font differs from the placeholder box (the same
# character in a font that does not exist). Or drawn as an inline SVG (on the book's pages the
# theme's Font Awesome script turns such <i> elements into <svg class="svg-inline--fa">):
# whether the SVG has a path with a shape.
ICONS = """
async () => {
  await document.fonts.ready;
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const out = [];
  for (const svg of document.querySelectorAll('.jupyter-widgets svg.svg-inline--fa')) {
    if (!shown(svg)) continue;
    const d = [...svg.querySelectorAll('path')].map(p => p.getAttribute('d') || '').join('');
    out.push({icon: svg.getAttribute('class'), svg: true, glyph: svg.dataset.icon || '?',
              drawn: d.length > 10});
  }
  for (const icon of document.querySelectorAll('.jupyter-widgets i.fa')) {
    if (!shown(icon)) continue;
    const before = getComputedStyle(icon, '::before');
    const glyph = before.content.replace(/^["']|["']$/g, '');
    if (!glyph || before.content === 'none') continue;
    const family = before.fontFamily.split(',')[0].trim().replace(/^["']|["']$/g, '');
    const weight = before.fontWeight;
    const faces = [...document.fonts].filter(f => f.family.replace(/^["']|["']$/g, '') === family
                                                  && String(f.weight) === String(weight));
    const draw = font => {
      const c = document.createElement('canvas');
      c.width = c.height = 64;
      const g = c.getContext('2d');
      g.font = font; g.textBaseline = 'top'; g.fillStyle = '#000';
      g.fillText(glyph, 8, 8);
      return [...g.getImageData(0, 0, 64, 64).data].join(',');
    };
    const real = draw(`${weight} 40px "${family}"`);
    const box = draw(`${weight} 40px "rnnbook-no-such-font"`);
    out.push({icon: icon.className, svg: false, glyph: 'U+' + glyph.codePointAt(0).toString(16).toUpperCase(),
              family, weight, faces: faces.map(f => f.status), drawn: real !== box});
  }
  return out;
}
"""


def widget_pages(site: Path, names: list[str]) -> list[str]:
    """Those of the pages ``names`` (document names, e.g. ``book/widgets``) whose HTML in
    ``site`` embeds widget state."""
    return [name for name in names if (site / f"{name}.html").is_file()
            and WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8")]


def icon_problems(icons: list[dict]) -> list[str]:
    """What is wrong with the icons that ``ICONS`` reported (empty: all drawn)."""
    problems = []
    for i in icons:
        if i["svg"]:
            if not i["drawn"]:
                problems.append(f"icon {i['icon']!r}: an SVG without a shape")
            continue
        name = f"icon {i['icon']!r} ({i['glyph']}, {i['family']} {i['weight']})"
        if not i["faces"]:
            problems.append(f"{name}: no font face of that family on the page")
        elif any(s != "loaded" for s in i["faces"]):
            problems.append(f"{name}: font faces {i['faces']}, not all loaded")
        if not i["drawn"]:
            problems.append(f"{name}: drawn as the placeholder box, not as its glyph")
    return problems


def load(browser, url: str, base: str, timeout: float = 60) -> tuple[list[str], list[dict], object]:
    """Open ``url`` in a fresh browser context and let it settle; returns (faults, icons,
    context). The caller closes the context."""
    context = browser.new_context(viewport={"width": 1200, "height": 1600})
    page = context.new_page()
    faults = watch(page, base)
    page.on("response", lambda r: faults.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and r.url.startswith(base) else None)
    page.goto(url, wait_until="load", timeout=timeout * 1000)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(RENDERED, timeout=timeout * 1000, polling=100)
    except PlaywrightTimeout:
        faults.append("no widget rendered")
    icons = page.evaluate(ICONS)  # waits for document.fonts.ready
    page.wait_for_load_state("networkidle", timeout=timeout * 1000)
    return faults, icons, context


def check_page(browser, base: str, name: str, loads: int,
               screenshot: Path | None = None) -> tuple[int, list[str], int]:
    """Load page ``name`` ``loads`` times and print a summary line; returns (the number of loads
    with a fault, each fault with the number of loads that had it, the most icons one load
    showed)."""
    seen, faulty, icon_counts = Counter(), 0, set()
    for n in range(loads):
        faults, icons, context = load(browser, f"{base}/{name}.html", base)
        try:
            faults += icon_problems(icons)
            icon_counts.add(len(icons))
            if screenshot is not None and icons and n == 0:
                button = context.pages[0].locator(
                    ".jupyter-widgets:has(> i.fa), .jupyter-widgets:has(> svg.svg-inline--fa)").first
                button.locator("xpath=..").screenshot(path=str(screenshot))
                print(f"  screenshot of the widget with icon {icons[0]['icon']!r} on {name}: {screenshot}")
        finally:
            context.close()
        faulty += bool(faults)
        seen.update(list(dict.fromkeys(faults)))
    drawn = ("no icon" if icon_counts == {0}
             else f"{'/'.join(map(str, sorted(icon_counts)))} icon(s) per load")
    print(f"  {name:<28} {loads} loads, {faulty} with a fault; {drawn}")
    problems = [f"{name}: in {k} of {loads} loads: {fault}" for fault, k in seen.items()]
    return faulty, problems, max(icon_counts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--loads", type=int, default=20, help="loads per page (default 20)")
    parser.add_argument("--screenshot", type=Path, help="save the first widget icon's widget here")
    args = parser.parse_args(argv)
    if args.loads < 1:
        parser.error(f"--loads must be at least 1, got {args.loads}")
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    pages = widget_pages(site, toc_pages(Path(args.toc)))
    if not pages:
        print(f"no page of {site} embeds widget state", file=sys.stderr)
        return 1
    problems, faulty, shot = [], 0, args.screenshot
    with serve(site) as base, open_browser() as browser:
        for name in pages:
            page_faulty, page_problems, icons = check_page(browser, base, name, args.loads, shot)
            faulty += page_faulty
            problems += page_problems
            shot = None if icons else shot
    for p in problems:
        print("  PROBLEM:", p)
    print(f"widget loads: {len(pages)} page(s) x {args.loads} loads in fresh browser contexts, "
          f"{faulty} of {len(pages) * args.loads} loads with a fault")
    if shot is not None:
        print("  no widget icon on any page: no screenshot")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
