"""Check that every figure of the built site reads in the theme's dark mode: its dark ink (the
axes, the tick labels, the titles of a matplotlib figure drawn black) must stand out from what
is behind it as the reader sees it.

Every page of the table of contents is opened in headless Chromium with dark mode stored, as the
theme's toggle stores it, and scrolled through (lazy images and widgets load). Each image of the
article that is shown (48 px or more across: a figure, a cell's output, a widget's picture) is
screenshot as rendered, the theme's and ``book/_static/figures.css``'s frame and filters
included, and cut to the image itself (the frame's padding off). What is behind the figure is
the commonest colour of that picture's outer ring (2 px: the figure's own margin where it is
opaque; where it is transparent, the frame's background or the page showing through); its dark
ink is the colour at the 0.2th percentile of luminance (the darkest pixels, a few stray ones
aside). The WCAG contrast ratio of the two must reach ``MIN_CONTRAST`` (text's 4.5:1: figures
carry text). A figure with no ink darker than its background passes (light ink on a dark figure
is not what this measures).

Usage: python -m sitecheck.dark_figures [_build/html] [--toc _toc.yml] [--width 1280]
Prints one line per page (figures, the lowest contrast) and exits 1 naming page and figure
(its ``src`` and alt text) for each figure below the ratio.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from sitecheck import report
from sitecheck.browser import open_browser, serve
from sitecheck.console import settle
from sitecheck.links import ROOT, WIDGET_STATE, toc_pages

MIN_CONTRAST = 4.5
"""WCAG's contrast for text (1.4.3): a figure's labels are text."""
RING = 2
"""Pixels of the screenshot's edge that show what is behind the figure."""
INK_PERCENTILE = 0.2
"""The dark ink: this percentile of the pixels' luminance (0.2 %: a few stray pixels aside)."""
MIN_SIZE = 48
"""Images smaller than this (px, either side, as shown) are icons, not figures."""

DARK = "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
# The article's images that are shown, each marked so that Playwright can find it again.
FIGURES = """(minSize) => {
  const found = [];
  document.querySelectorAll('.bd-article img').forEach((img, i) => {
    const box = img.getBoundingClientRect();
    if (box.width < minSize || box.height < minSize) return;
    if (getComputedStyle(img).visibility === 'hidden') return;
    img.dataset.rnnbookFigure = String(i);
    const css = getComputedStyle(img), px = (side) =>
      Math.ceil(parseFloat(css['padding' + side]) + parseFloat(css['border' + side + 'Width']));
    found.push({key: String(i), src: (img.getAttribute('src') || '').slice(0, 60),
                alt: (img.getAttribute('alt') || '').slice(0, 60),
                inset: [px('Top'), px('Right'), px('Bottom'), px('Left')]});
  });
  return found;
}"""
DECODED = "img => img.decode().then(() => true, () => img.complete)"


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (..., 3) in 0-255."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: float, b: float) -> float:
    """WCAG contrast ratio of two luminances (1 to 21)."""
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def ink_contrast(pixels: np.ndarray, ring: int = RING) -> tuple[float, tuple, tuple]:
    """The contrast of a rendered figure's dark ink against what is behind it.

    ``pixels``: (H, W, 3) uint8, the figure as rendered (opaque). Returns (ratio, background
    colour, ink colour); the ratio is inf when no pixel is darker than the background."""
    h, w, _ = pixels.shape
    edge = np.concatenate([pixels[:ring].reshape(-1, 3), pixels[-ring:].reshape(-1, 3),
                           pixels[:, :ring].reshape(-1, 3), pixels[:, -ring:].reshape(-1, 3)])
    background = Counter(map(tuple, edge.tolist())).most_common(1)[0][0]
    flat = pixels.reshape(-1, 3)
    lum = luminance(flat)
    k = min(len(lum) - 1, int(len(lum) * INK_PERCENTILE / 100))
    darkest = int(np.argpartition(lum, k)[k])
    ink, l_ink, l_bg = tuple(flat[darkest].tolist()), float(lum[darkest]), float(luminance(background))
    if ink == background or l_ink >= l_bg:
        return float("inf"), background, ink
    return contrast(l_ink, l_bg), background, ink


def _png(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def check_page(browser, base: str, name: str, widgets: bool, width: int) -> tuple[list[str], list[float]]:
    """The problems of one page in dark mode, and the ratio of each figure."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(DARK)
    try:
        page = context.new_page()
        page.goto(f"{base}/{name}.html", wait_until="load")
        settle(page, widgets)
        problems, ratios = [], []
        for fig in page.evaluate(FIGURES, MIN_SIZE):
            img = page.locator(f'img[data-rnnbook-figure="{fig["key"]}"]')
            img.scroll_into_view_if_needed()
            img.evaluate(DECODED)
            top, right, bottom, left = fig["inset"]  # the frame's padding and border
            shot = _png(img.screenshot(animations="disabled"))
            ratio, background, ink = ink_contrast(shot[top:shot.shape[0] - bottom,
                                                       left:shot.shape[1] - right])
            ratios.append(ratio)
            if ratio < MIN_CONTRAST:
                problems.append(f"{name}: figure {fig['src']!r} ({fig['alt'] or 'no alt'}): dark ink "
                                f"rgb{ink} on rgb{background}, contrast {ratio:.2f} < {MIN_CONTRAST}")
        return problems, ratios
    finally:
        context.close()


def check(site: Path, pages: list[str], chromium: str | None = None, width: int = 1280) -> list[str]:
    """Every page's figures in dark mode; one problem per figure below MIN_CONTRAST."""
    problems, total = [], 0
    with serve(site) as base, open_browser(chromium) as browser:
        for name in pages:
            widgets = WIDGET_STATE in (site / f"{name}.html").read_text(encoding="utf-8")
            found, ratios = check_page(browser, base, name, widgets, width)
            total += len(ratios)
            low = f"lowest contrast {min(ratios):.1f}" if ratios else "no figure"
            print(f"  dark figures: {name:<24} {len(ratios):3d} figure(s), {len(found)} below "
                  f"{MIN_CONTRAST}, {low}")
            problems += found
    print(f"  dark figures: {total} figures on {len(pages)} pages")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--width", type=int, default=1280, help="the window's width in px")
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        parser.error(f"{site} holds no built site (no index.html); build the book first")
    problems = check(site, toc_pages(Path(args.toc)), args.chromium, args.width)
    return report("dark figures check", problems)


if __name__ == "__main__":
    sys.exit(main())
