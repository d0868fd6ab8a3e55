"""The static explorer in a real browser, offline: the sliders must pick the precomputed figures.

Builds a one-page book in a temporary folder (a notebook that shows ``static_explorer`` of a
small made-up grid of results, with the site's vendored widget JavaScript), serves it on
127.0.0.1, opens it in headless Chromium and drives it with Playwright (the helpers of
``sitecheck/widgets_page.py`` and ``sitecheck/browser.py``): it presses ArrowRight on the
sliders' handles, as a reader's keyboard would, and checks that the figure on show is, byte for
byte, the precomputed PNG of the new setting.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
from pathlib import Path

import pytest
from conftest import build_book, tiny_book

from sitecheck import browser
from sitecheck import widgets_page as page_check

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(browser.CHROMIUM is None,
                                                    reason="needs Chromium (apt-get install chromium)")]

# Made-up results: 3 bptt values x 3 hidden sizes, 2 epochs; run both in the notebook and here.
FAKE_RESULTS = textwrap.dedent("""
    from rnnbook.learner import History
    from rnnbook.sweep import SweepResults

    def fake_results():
        bptts, hiddens = (5, 10, 20), (16, 32, 64)
        res = SweepResults("gru2", bptts, hiddens, epochs=2, seed=0, device="cpu (made up)")
        for i, b in enumerate(bptts):
            for j, h in enumerate(hiddens):
                acc = 0.3 + 0.2 * i + 0.05 * j
                rows = [{"epoch": e, "train_loss": 2.0 - e - 0.1 * j, "valid_loss": 2.2 - e * (0.5 + 0.1 * i),
                         "accuracy": acc * (e + 1) / 2, "time": 0.1} for e in range(2)]
                losses = [2.5 - 0.02 * k * (1 + i + j) for k in range(20)]
                res.histories[b, h] = History(rows=rows, batch_losses=losses, device="cpu",
                                              batches_per_epoch=10)
                res.seconds[b, h] = 0.5 + i + j
        return res
""")

NOTEBOOK_CODE = FAKE_RESULTS + textwrap.dedent("""
    from IPython.display import display
    from rnnbook.data import load_human_numbers
    from rnnbook.sweep import static_batches, static_explorer
    display(static_batches(load_human_numbers(), bptts=(3, 5, 10)))
    static_explorer(fake_results(), bptt=10, hidden=32)
""")


def _fake_results():
    scope: dict = {}
    exec(FAKE_RESULTS, scope)
    return scope["fake_results"]()


def _build_tiny_book(folder: Path) -> Path:
    """The book's own configuration around one chapter that shows the static explorer."""
    proc = build_book(tiny_book(folder, NOTEBOOK_CODE))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    page = folder / "_build" / "html" / "book" / "chapter.html"
    assert page.is_file()
    return page.parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("playwright.sync_api")
    html_dir = _build_tiny_book(tmp_path_factory.mktemp("tinybook"))
    with browser.serve(html_dir) as base:
        yield base


@pytest.fixture
def opened(site):
    """The tiny book's page in headless Chromium, the explorer rendered, and the list that fills
    up with the page's faults (JavaScript errors, console errors, failed requests)."""
    with browser.open_browser() as chrome:
        yield page_check.open_page(chrome, f"{site}/book/chapter.html", site)


def _sha(png_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(png_b64)).hexdigest()


def test_sliders_pick_the_precomputed_figures_in_the_browser(opened):
    from rnnbook.sweep import setting_png

    page, faults = opened
    results = _fake_results()
    expected = {(b, h): hashlib.sha256(setting_png(results, b, h)).hexdigest()
                for b in results.bptts for h in results.hiddens}
    assert len(set(expected.values())) == len(expected)  # every setting has its own figure

    # shown() fails on a widget that did not render, on no heatmap, or on more than one figure on show
    start = page_check.shown(page)
    assert page_check.check_follows(start) == (10, 32) and start["sliders"] == ["10", "32"]
    assert _sha(start["png"]) == expected[10, 32]

    page_check.move(page, 0)  # ArrowRight on bptt: 10 -> 20
    moved = page_check.shown(page)
    assert page_check.check_follows(moved) == (20, 32), moved
    assert moved["captions"][0].startswith("bptt 20, hidden 32: accuracy 75.0%after 2 epochs, 10 batches")
    assert _sha(moved["png"]) == expected[20, 32]

    page_check.move(page, 1)  # ArrowRight on hidden: 32 -> 64, inside the bptt-20 stack
    moved = page_check.shown(page)
    assert page_check.check_follows(moved) == (20, 64), moved
    assert _sha(moved["png"]) == expected[20, 64]

    page_check.press_right(page, 1)  # already at the last hidden size: nothing changes
    page.wait_for_timeout(500)
    assert page_check.check_follows(page_check.shown(page)) == (20, 64)
    assert page_check.check_batches(page) == [5, 10]  # the batch view moves on too
    # the one known page error comes from sphinx-thebe's script included twice (not from widgets)
    assert [e for e in page_check.js_errors(faults) if "THEBE_JS_URL" not in e] == []


def test_a_screen_reader_gets_named_sliders_with_their_values_and_described_figures(opened):
    from playwright.sync_api import expect

    from sitecheck import a11y as check_a11y

    page, _ = opened
    # axe-core finds nothing serious or critical on the page (nameless sliders, images
    # without alt text, names that leave out visible text)
    violations = check_a11y.axe_scan(page)
    assert [v["id"] for v in violations if v["impact"] in check_a11y.FAILING] == []
    # every slider handle is named by its description and reads out the value on show
    # (a SelectionSlider's handle would otherwise say its index)
    hidden = page.get_by_role("slider", name="hidden", exact=True)
    assert hidden.count() == 1 and hidden.get_attribute("aria-valuetext") == "32"
    assert page.get_by_role("slider", name="bptt", exact=True).count() == 2  # explorer, batches
    page_check.move(page, 1)  # ArrowRight on hidden: 32 -> 64
    expect(hidden).to_have_attribute("aria-valuetext", "64", timeout=10_000)
    # the figure on show and the heatmap are described in words
    figure = page.get_by_role("img", name="Training curves of gru2 with bptt 10 and hidden size 64",
                              exact=False)
    assert figure.count() == 1 and figure.is_visible()
    heatmap = page.get_by_role("img", name="Heatmap of the final validation accuracy", exact=False)
    assert "highest 80.0% (bptt 20, hidden 64)" in heatmap.get_attribute("alt")
