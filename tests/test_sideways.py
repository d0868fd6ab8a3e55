"""The check that code fits the screen (sitecheck/sideways.py), on small pages made here: it
must count the blocks that scroll sideways, tell code from output, open folded blocks, and
catch a block that is cut off. And the site's style sheet (book/_static/layout.css) must wrap
long printed lines on a laptop, with a hanging indent, and leave them scrolling on a phone.
The book's own pages are measured in CI, on the built site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitecheck import browser
from sitecheck import sideways as check_sideways

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser.CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
]

HEAD = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
        "<style>body { margin: 0 } .bd-article { width: 600px; padding: 0 20px }"
        " pre { overflow: auto; font: 14px monospace; padding: 16px; margin: 0 0 8px }</style>"
        '{}</head><body><main><article class="bd-article">')
CODE = '<div class="highlight-ipython3"><div class="highlight"><pre>{}</pre></div></div>'
OUTPUT = ('<div class="cell_output"><div class="output stream highlight-myst-ansi">'
          '<div class="highlight"><pre{}>{}</pre></div></div></div>')
TAIL = "</article></main></body></html>"
LONG = "eight thousand one , " * 20  # 420 characters, a stream of tokens


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("playwright.sync_api")
    return browser.CHROMIUM


def _page(folder: Path, name: str, body: str, head: str = "") -> None:
    (folder / "book").mkdir(exist_ok=True)
    (folder / "book" / f"{name}.html").write_text(HEAD.replace("{}", head) + body + TAIL)


def test_the_check_counts_what_scrolls_and_fails_on_code_and_on_what_is_cut_off(
        tmp_path, chromium, capsys):
    _page(tmp_path, "wide", CODE.format("x = 1  # fits") + CODE.format("y = [" + "1, " * 40 + "]")
          + OUTPUT.format("", LONG) + OUTPUT.format("", "short output"))
    # a folded cell whose code is too wide, and an output cut off at its box's edge
    _page(tmp_path, "folded", "<details><summary>Show code cell source</summary>"
          + CODE.format("z = " + "2 * " * 30 + "2") + "</details>"
          + OUTPUT.format(' style="overflow: hidden"', LONG))
    problems, counts = check_sideways.check(tmp_path, ["book/wide", "book/folded"], widths=(1280,),
                                            max_output=1, chromium=chromium)
    # every block is measured, the folded one too; 2 of 3 code blocks and 1 of the 3 outputs
    # scroll (the one cut off does not scroll: it is a problem of its own)
    assert counts == {1280: {"code": (2, 3), "output": (1, 3)}}
    assert sorted(p.split(":")[0] for p in problems) == [
        "book/folded at 1280 px", "book/folded at 1280 px", "book/wide at 1280 px"]
    assert any("a code block scrolls sideways: z = 2 * 2" in p for p in problems)
    assert any("an output block is cut off without a scroll bar: eight thousand" in p
               for p in problems)
    out = capsys.readouterr().out
    assert "1280 px  book/wide              output scrolls by" in out
    # above the number of outputs allowed to scroll, the check fails on outputs too
    problems, _ = check_sideways.check(tmp_path, ["book/wide"], widths=(1280,), max_output=0,
                                       chromium=chromium)
    assert "1 output blocks scroll sideways at 1280 px (at most 0 allowed)" in problems


def test_the_sites_style_wraps_long_output_on_a_laptop_and_not_on_a_phone(tmp_path, chromium):
    (tmp_path / "_static").mkdir()
    shutil.copy(ROOT / "book" / "_static" / "layout.css", tmp_path / "_static" / "layout.css")
    rows = "\n".join(f"{i:>3}  {LONG}" for i in range(2))
    _page(tmp_path, "rows", '<div class="bd-content">' + OUTPUT.format("", rows) + "</div>",
          head='<link rel="stylesheet" href="../_static/layout.css">')
    problems, counts = check_sideways.check(tmp_path, ["book/rows"], widths=(1280, 390),
                                            max_output=0, chromium=chromium)
    assert counts[1280]["output"] == (0, 1)  # wrapped: nothing to scroll
    assert counts[390]["output"] == (1, 1)  # a phone scrolls inside the block, as before
    assert problems == ["1 output blocks scroll sideways at 390 px (at most 0 allowed)"]

    # where a row goes on, its text is indented by five characters, under the row's text;
    # each row starts at the block's edge
    from playwright.sync_api import sync_playwright

    with browser.serve(tmp_path) as base, sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=chromium, args=browser.CHROMIUM_ARGS)
        page = chrome.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/book/rows.html")
        lefts = page.evaluate("""() => {
            const pre = document.querySelector('pre'), range = document.createRange();
            range.selectNodeContents(pre);
            const lines = {};  // the left edge of each line of text, by its top
            for (const r of range.getClientRects()) {
                if (r.width < 1) continue;
                const top = Math.round(r.top);
                lines[top] = Math.min(lines[top] ?? Infinity, Math.round(r.left));
            }
            return Object.values(lines);
        }""")
        char = page.evaluate("""() => { const s = document.createElement('span');
            s.style.font = '14px monospace'; s.textContent = 'x'.repeat(100);
            document.body.append(s); return s.getBoundingClientRect().width / 100; }""")
        chrome.close()
    starts = sorted(set(lefts))
    assert len(lefts) > 4 and len(starts) == 2, lefts  # lines that start a row or go on
    assert starts[1] - starts[0] == pytest.approx(5 * char, abs=1)
