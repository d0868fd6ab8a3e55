"""The accessibility check itself (sitecheck/a11y.py): it must catch what it is there to
catch, on small pages made here (the book's own pages are checked in the widgets browser test
and in CI, on the built site)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitecheck import a11y as check_a11y
from sitecheck import browser

ROOT = Path(__file__).resolve().parents[1]

PYTHON = '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>{}</pre></div></div>'
OUTPUT = ('<div class="output stream highlight-myst-ansi notranslate"><div class="highlight">'
          '<pre>{}</pre></div></div>')


def test_wide_lines_counts_code_but_not_printed_output():
    wide = "x = " + "1 + " * 22 + "1"  # 93 characters
    page = (PYTHON.format(f"<span class=\"n\">{wide[:10]}</span>{wide[10:]}\nshort = 1")
            + PYTHON.format("a &lt; b  # fits")
            + OUTPUT.format("-" * 120)
            + "<p>" + "prose " * 40 + "</p>")
    code, output = check_a11y.wide_lines(page)
    assert code == [wide] and len(wide) == 93
    assert output == ["-" * 120]
    assert check_a11y.wide_lines(page, width=200) == ([], [])
    # a tab is as wide as the browser shows it
    assert [len(line) for line in check_a11y.wide_lines(PYTHON.format("\t" * 11 + "x"))[0]] == [89]


def test_the_width_check_reads_every_page_of_the_toc(tmp_path, capsys):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text(PYTHON.format("y" * 89))
    (tmp_path / "book" / "b.html").write_text(PYTHON.format("y" * 88))
    problems = check_a11y.check_width(tmp_path, ["book/a", "book/b", "book/c"])
    assert problems[0].startswith("book/a: code line of 89 characters")
    assert problems[1] == "book/c: no HTML page for this _toc.yml entry" and len(problems) == 2


@pytest.mark.slow
@pytest.mark.skipif(browser.CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_axe_finds_a_nameless_slider_and_an_image_without_alt(tmp_path, capsys):
    pytest.importorskip("playwright.sync_api")
    (tmp_path / "book").mkdir()
    head = '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
    (tmp_path / "book" / "bad.html").write_text(
        head + '<img src="x.png"><div role="slider" tabindex="0" aria-valuenow="3"></div></main>')
    (tmp_path / "book" / "good.html").write_text(
        head + '<img src="x.png" alt="a red square"><span id="l">bptt</span>'
        '<div role="slider" tabindex="0" aria-valuenow="3" aria-labelledby="l"></div></main>')
    problems = check_a11y.check_axe(tmp_path, ["book/bad", "book/good"])
    assert sorted(p.split(" (")[0] for p in problems) == [
        "book/bad: critical image-alt", "book/bad: serious aria-input-field-name"]
    out = capsys.readouterr().out
    assert "book/good                    0 critical, 0 serious" in out
