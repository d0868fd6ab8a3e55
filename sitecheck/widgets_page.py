"""Check, in headless Chromium, that the built widgets page responds without a kernel.

Usage: ``python -m sitecheck.widgets_page [HTML_DIR]`` (default ``_build/html``): serves
HTML_DIR on 127.0.0.1, opens ``book/widgets.html`` and, for the static explorer, presses
ArrowRight on the bptt and the hidden slider and checks that the caption and the figure on show
follow (the figure's ``rnnbook-bptt-B-hidden-H`` class names its setting), that no widget
failed to render and that no JavaScript error went uncaught; then the same for the static batch
view. (Console errors and failed requests are ``python -m sitecheck.links --browser``'s to report.)
Exits 1 with a message when something is wrong. The server and the browser (the system's
Chromium through Playwright) come from ``browser.py``; ``tests/test_widgets_browser.py`` uses
the same helpers on a page of its own.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sitecheck.browser import open_browser, serve, watch

VIEWPORT = {"width": 1200, "height": 1600}

# What the page shows: the visible caption, and the visible figure's bytes (base64).
VISIBLE = """
async () => {
  const root = document.querySelector('.rnnbook-static-explorer');
  const shown = el => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const captions = [...root.querySelectorAll('.rnnbook-setting')].filter(shown);
  const images = [...root.querySelectorAll('img.rnnbook-figure')].filter(shown);
  const sliders = [...root.querySelectorAll('.widget-readout')].map(r => r.textContent.trim());
  const settings = images.map(i => [...i.classList].find(c => c.startsWith('rnnbook-bptt-')));
  const errors = root.querySelectorAll('.jupyter-widgets-error-widget').length;
  const heatmaps = [...root.querySelectorAll('img.rnnbook-heatmap')].filter(shown).length;
  const out = {captions: captions.map(c => c.textContent), settings, sliders, errors, heatmaps};
  if (images.length === 1) {
    const buf = await (await fetch(images[0].src)).arrayBuffer();
    let s = ''; new Uint8Array(buf).forEach(b => s += String.fromCharCode(b));
    out.png = btoa(s);
  }
  return out;
}
"""

RENDERED = ("() => { const r = document.querySelector('.rnnbook-static-explorer');"
            " return !!r && r.querySelectorAll('.noUi-handle').length === 2"
            " && [...r.querySelectorAll('.rnnbook-setting')].some(c => c.offsetParent !== null); }")

READOUT = "([root, i]) => document.querySelectorAll(root + ' .widget-readout')[i].textContent.trim()"
FOCUS = ("([root, i]) => { const h = document.querySelectorAll(root + ' .noUi-handle')[i];"
         " h.focus(); return document.activeElement === h; }")
EXPLORER, BATCHES_VIEW = ".rnnbook-static-explorer", ".rnnbook-static-batches"


def wait_for(page, expression: str, arg=None, timeout: float = 60) -> None:
    """Wait until ``expression`` (a JavaScript function of ``arg``) returns something true."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(expression, arg=arg, timeout=timeout * 1000, polling=200)
    except PlaywrightTimeout:
        raise AssertionError(f"timed out after {timeout:g} s waiting for: {expression} ({arg})") from None


def open_page(browser, url: str, base: str):
    """A new page on ``url`` with its faults recorded (see ``browser.watch``), once the static
    explorer has rendered; returns (page, faults), the list filling up as faults happen."""
    page = browser.new_page(viewport=VIEWPORT)
    errors = watch(page, base)
    page.goto(url, wait_until="load")
    wait_for(page, RENDERED)
    return page, errors


def js_errors(faults: list[str]) -> list[str]:
    """The uncaught JavaScript errors among a page's faults."""
    return [f for f in faults if f.startswith("page error:")]


def press_right(page, slider: int, root: str = EXPLORER) -> None:
    """Focus the handle of slider ``slider`` (explorer: 0 bptt, 1 hidden) and press ArrowRight,
    a real key press as a reader's keyboard would make it."""
    if not page.evaluate(FOCUS, [root, slider]):
        raise AssertionError(f"could not focus slider {slider} of {root}")
    page.keyboard.press("ArrowRight")


def readouts(page) -> list[str]:
    return page.evaluate(f"() => [...document.querySelectorAll('{EXPLORER} .widget-readout')]"
                         ".map(r => r.textContent.trim())")


def shown(page) -> dict:
    """The static explorer's visible caption(s), figure setting(s), readouts and errors."""
    state = page.evaluate(VISIBLE)
    problems = []
    if state["errors"]:
        problems.append(f"{state['errors']} widget(s) failed to render")
    if state["heatmaps"] != 1:
        problems.append(f"{state['heatmaps']} heatmaps on show, expected 1")
    if len(state["captions"]) != 1 or len(state["settings"]) != 1:
        problems.append(f"expected one caption and one figure on show, got {state['captions']}, "
                        f"{state['settings']}")
    if problems:
        raise AssertionError("; ".join(problems))
    return state


def check_follows(state: dict) -> tuple[int, int]:
    """The (bptt, hidden) on show; the caption, the figure and the sliders must agree."""
    m = re.match(r"bptt (\d+), hidden (\d+):", state["captions"][0])
    if not m:
        raise AssertionError(f"unexpected caption {state['captions'][0]!r}")
    b, h = m.group(1), m.group(2)
    if state["settings"] != [f"rnnbook-bptt-{b}-hidden-{h}"] or state["sliders"][:2] != [b, h]:
        raise AssertionError(f"the figure {state['settings']} or the sliders {state['sliders']} do not "
                             f"match the caption {state['captions'][0]!r}")
    return int(b), int(h)


def move(page, slider: int, root: str = EXPLORER) -> None:
    """Press ArrowRight on slider ``slider`` and wait for its readout to change."""
    before = page.evaluate(READOUT, [root, slider])
    press_right(page, slider, root)
    wait_for(page, f"args => ({READOUT})(args) !== args[2]", [root, slider, before], timeout=10)


BATCHES = f"""
() => {{
  const root = document.querySelector('{BATCHES_VIEW}');
  if (!root) return null;
  const texts = [...root.querySelectorAll('pre')].filter(p => p.offsetParent !== null)
                  .map(p => p.textContent);
  return {{readout: root.querySelector('.widget-readout').textContent.trim(), texts}};
}}
"""


def check_batches(page) -> list[int] | None:
    """If the page has a static batch view: press ArrowRight on its slider and check that the
    text on show is the one for the new bptt. Returns the bptt values seen (None: no such view)."""
    seen = []
    for step in range(2):
        state = page.evaluate(BATCHES)
        if state is None:
            return None
        if len(state["texts"]) != 1:
            raise AssertionError(f"expected one batch text on show, got {len(state['texts'])}")
        m = re.match(r"LMLoader\(bs=\d+, bptt=(\d+),", state["texts"][0])
        if not m or m.group(1) != state["readout"]:
            raise AssertionError(f"the batch text {state['texts'][0][:60]!r} does not match the slider "
                                 f"({state['readout']})")
        seen.append(int(m.group(1)))
        if step == 0:
            move(page, 0, BATCHES_VIEW)
    if seen[1] <= seen[0]:
        raise AssertionError(f"the batch view did not move on: {seen}")
    return seen


def check_page(browser, url: str, base: str) -> list[tuple[int, int]]:
    """Open ``url``, move both sliders, check the figure follows and the batch view too, and that
    no JavaScript error went uncaught; returns the settings seen."""
    page, faults = open_page(browser, url, base)
    try:
        seen = [check_follows(shown(page))]
        for slider in (0, 1):
            move(page, slider)
            seen.append(check_follows(shown(page)))
        if seen[1][0] == seen[0][0] or seen[2][1] == seen[1][1]:
            raise AssertionError(f"a slider moved but the setting on show did not: {seen}")
        batches = check_batches(page)
        if batches is not None:
            print(f"batch view OK: bptt {batches[0]} -> {batches[1]}")
        if js_errors(faults):
            raise AssertionError("JavaScript errors: " + "; ".join(js_errors(faults)))
        return seen
    finally:
        page.close()


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    page = html_dir / "book" / "widgets.html"
    if not page.is_file():
        print(f"no {page}: build the book first", file=sys.stderr)
        return 1
    from playwright.sync_api import Error as PlaywrightError

    try:
        with serve(html_dir) as base, open_browser() as browser:
            seen = check_page(browser, f"{base}/book/widgets.html", base)
    except (AssertionError, RuntimeError, PlaywrightError) as e:
        print(f"widgets page check FAILED: {e}", file=sys.stderr)
        return 1
    path = " -> ".join(f"bptt {b}, hidden {h}" for b, h in seen)
    print(f"widgets page OK: the sliders moved through {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
