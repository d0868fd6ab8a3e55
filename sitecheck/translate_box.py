"""Check the playground page's translation box on the built site, in headless Chromium.

Usage: ``python -m sitecheck.translate_box [_build/html] [--shots DIR]``

- The page fetches none of the box's files (``models/<key>.json`` and ``.bin``) before the box
  is used, even scrolled into view.
- At 1280 px and at 390 px (touch): typing "eight thousand forty two" into the box shows the
  digits PyTorch wrote for it when the build exported the model (the JSON's ``expected``
  list), and ``window.rnnbookTranslate.translate`` gives PyTorch's digits for every number of
  that list; the attention table has a caption, one row per word and one column per step,
  each column's weights (the cells' ``data-weight``) sum to 1 and each cell reads its weight
  in percent; bad input (words that are no
  number, an unknown word, nothing) shows the message ``rnnbook.seq2seq.words_to_number``
  gives; every control has an accessible name and axe-core finds no violation in the box (with
  its table, and with a message); the page does not scroll sideways, the box stays on the
  screen and its table fits it.
- No JavaScript error, no console error, no failed request, no request to another host.

``--shots DIR`` saves screenshots of the box. Exits 1 listing the problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sitecheck import report
from sitecheck.a11y import AXE
from sitecheck.browser import open_browser, serve, watch

ROOT = Path(__file__).resolve().parent.parent
PAGE = "book/playground"
KEY = "seq2seq_attn"
TYPED = "eight thousand forty two"
BAD = ["thousand eight", "Eight thousand", "eight thousand eleventy", "   "]
BOX = ".rnnbook-translate"
STATE = f"""() => {{ const b = document.querySelector('{BOX}');
  const msg = b.querySelector('.rnntl-msg'), out = b.querySelector('output');
  return {{msg: msg ? msg.textContent : null, error: !!msg && msg.classList.contains('rnntl-error'),
          out: out ? out.textContent : null}}; }}"""
TABLE = f"""() => {{ const t = document.querySelector('{BOX} table'); if (!t) return null;
  const rows = [...t.tBodies[0].rows];
  return {{caption: (t.caption || {{}}).textContent || '', words: rows.map(r => r.cells[0].textContent),
          heads: [...t.tHead.rows[0].cells].slice(1).map(c => c.textContent),
          weights: rows.map(r => [...r.cells].slice(1).map(c => Number(c.dataset.weight))),
          texts: rows.map(r => [...r.cells].slice(1).map(c => c.textContent))}}; }}"""
CONTROLS = f"""() => [...document.querySelectorAll('{BOX} :is(button, select, textarea, input, [tabindex])')]
  .filter(e => !((e.labels && e.labels.length && e.labels[0].textContent.trim())
                 || (e.getAttribute('aria-label') || '').trim()))
  .map(e => e.outerHTML.slice(0, 80))"""
AXE_BOX = f"""async () => (await axe.run(document.querySelector('{BOX}'), {{resultTypes: ['violations']}}))
  .violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
LAYOUT = f"""() => {{ const r = document.querySelector('{BOX}').getBoundingClientRect();
  const t = document.querySelector('{BOX} .rnntl-scroll');
  return [r.left, r.right, document.documentElement.scrollWidth, t.scrollWidth - t.clientWidth]; }}"""


def python_message(text: str) -> str:
    from rnnbook.seq2seq import words_to_number

    try:
        words_to_number(text)
    except ValueError as e:
        return str(e)
    raise AssertionError(f"{text!r} is a number")


def settle(page, text: str, problems: list[str], label: str) -> dict:
    """Type ``text`` into the box as a reader would and wait for the box to answer it (the box
    sets ``data-answered`` to the text it last answered)."""
    box = page.locator(f"{BOX} input")
    box.fill("")
    box.press_sequentially(text)
    try:
        page.wait_for_function(f"([t]) => document.querySelector('{BOX}').dataset.answered === t",
                               arg=[text], timeout=30000)
    except Exception:
        problems.append(f"{label}: the box did not answer {text!r}")
    return page.evaluate(STATE)


def check_width(browser, base: str, expected: dict, width: int, shots: Path | None) -> list[str]:
    touch = width < 500
    label = f"{width} px"
    page = browser.new_page(viewport={"width": width, "height": 900}, has_touch=touch)
    problems: list[str] = []
    faults = watch(page, base)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base}/{PAGE}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    page.locator(BOX).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    early = [u for u in requests if f"/models/{KEY}." in u]
    if early:
        problems.append(f"{label}: the box's files were fetched before it was used: {early}")
    else:
        print(f"  {label}: the box scrolled into view, none of its files fetched before it is used")
    if not page.locator(f"{BOX} input").count():
        page.close()
        return [f"{label}: the translation box was not drawn"] + faults
    box = page.locator(f"{BOX} input")
    box.tap() if touch else box.click()
    state = settle(page, TYPED, problems, label)
    want = expected.get(TYPED)
    if state["error"] or state["out"] != want:
        problems.append(f"{label}: typing {TYPED!r} shows {state}, PyTorch wrote {want!r}")
    tab = page.evaluate(TABLE)
    if not tab:
        problems.append(f"{label}: no attention table")
    else:
        sums = [sum(col) for col in zip(*tab["weights"], strict=True)]
        if (tab["words"] != TYPED.split() or len(tab["caption"]) < 40
                or tab["heads"][:len(want.split())] != want.split()
                or any(abs(s - 1) > 1e-6 for s in sums)
                or any(abs(float(t) - 100 * w) > 0.5 + 1e-9  # each weight, in percent
                       for ts, ws in zip(tab["texts"], tab["weights"], strict=True)
                       for t, w in zip(ts, ws, strict=True))):
            problems.append(f"{label}: the attention table is not as expected: {tab}")
        print(f"  {label}: typed {TYPED!r} -> {state['out']!r} (PyTorch: {want!r}); table "
              f"{len(tab['words'])} words x {len(tab['heads'])} steps {tab['heads']}, "
              f"column sums {[round(s, 6) for s in sums]}")
        for w, row in zip(tab["words"], tab["texts"], strict=True):
            print(f"      {w:>9}: {' '.join(f'{t:>5}' for t in row)}")
    page.add_script_tag(path=str(AXE))
    axe_problems = page.evaluate(AXE_BOX)  # the box with its table
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
        page.locator(BOX).screenshot(path=str(shots / f"translate-{width}.png"))
    layout = page.evaluate(LAYOUT)
    if layout[0] < 0 or layout[1] > width or layout[2] > width or layout[3] > 0:
        problems.append(f"{label}: the box spills over or its table scrolls sideways (left, right, "
                        f"page width, table's hidden width: {layout})")
    got = page.evaluate("(ws) => Promise.all(ws.map(w => rnnbookTranslate.translate(w)"
                        ".then(r => r.text)))", list(expected))
    wrong = [(w, g, d) for (w, d), g in zip(expected.items(), got, strict=True) if g != d]
    if wrong:
        problems.append(f"{label}: the page's digits differ from PyTorch's: {wrong[:5]}")
    print(f"  {label}: {len(expected) - len(wrong)} of {len(expected)} exported numbers give "
          "PyTorch's digits in the page")
    for text in BAD:
        state = settle(page, text, problems, label)
        want = python_message(text)
        if not state["error"] or state["msg"] != want or state["out"]:
            problems.append(f"{label}: {text!r} shows {state}, Python says {want!r}")
        print(f"  {label}: {text!r} -> {state['msg'][:90]!r}{'…' if len(state['msg']) > 90 else ''}")
    layout = page.evaluate(LAYOUT)
    if layout[0] < 0 or layout[1] > width or layout[2] > width:
        problems.append(f"{label}: with a message, the box spills over (left, right, page width: {layout})")
    axe_problems += page.evaluate(AXE_BOX)  # the box with a message
    problems += [f"{label}: axe-core: {v}" for v in dict.fromkeys(axe_problems)]
    print(f"  {label}: axe-core on the box (with its table, then with a message): "
          f"{len(axe_problems)} violation(s)")
    if shots:
        page.locator(BOX).screenshot(path=str(shots / f"translate-{width}-error.png"))
    problems += [f"{label}: control without an accessible name: {u}" for u in page.evaluate(CONTROLS)]
    problems += [f"{label}: request to another host: {u}" for u in dict.fromkeys(requests)
                 if not u.startswith((base, "data:", "about:"))]
    page.close()
    return problems + [f"{label}: {f}" for f in faults]


def check(site: Path, shots: Path | None) -> list[str]:
    config = json.loads((site / "_static" / "playground" / "models" / f"{KEY}.json").read_text())
    expected = dict(map(tuple, config["expected"]))
    if TYPED not in expected:
        return [f"the export has no expected digits for {TYPED!r}"]
    problems: list[str] = []
    with serve(site) as base, open_browser() as browser:
        for width in (1280, 390):
            problems += check_width(browser, base, expected, width, shots)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--shots", type=Path, default=None, help="save screenshots into this folder")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / f"{PAGE}.html").is_file():
        parser.error(f"{site} has no {PAGE}.html; build the book first")
    problems = check(site, args.shots)
    return report("translation box check", problems)


if __name__ == "__main__":
    sys.exit(main())
