"""Every page's meta description (book/_ext/rnnbook_meta.py): its first paragraph of prose,
trimmed on a word boundary; and sitecheck.console's reading of it from a built page."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from conftest import load_file
from docutils import nodes
from docutils.core import publish_doctree

from sitecheck.console import meta_description

ROOT = Path(__file__).resolve().parents[1]
meta = load_file(ROOT / "book" / "_ext" / "rnnbook_meta.py")

PAGE = """\
Title
=====

.. note:: Not this: a note is not the page's first paragraph.

The first *paragraph*, with a ``name``
across two lines.

A second paragraph.
"""


def test_the_description_is_the_first_paragraph_of_prose():
    doctree = publish_doctree(PAGE)
    assert meta.description(doctree) == "The first paragraph, with a name across two lines."


def test_a_long_paragraph_is_cut_on_a_word_boundary():
    text = " ".join(f"word{i}," for i in range(60))  # 60 words of 6-7 characters and a comma
    cut = meta.trim(text)
    assert len(cut) <= meta.LIMIT and cut.endswith("…")
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] == ","  # a whole word, its comma dropped
    assert meta.trim("short.") == "short."
    assert meta.trim("x" * 200) == "x" * (meta.LIMIT - 1) + "…"


def test_a_page_without_prose_has_no_description():
    doctree = nodes.document(None, None)
    doctree += nodes.section("", nodes.title(text="Only a title"))
    assert meta.description(doctree) == "" and meta.description(None) == ""


def test_the_hook_adds_an_escaped_meta_tag_that_the_site_check_reads():
    doctree = publish_doctree('Title\n=====\n\nSay "hello" & <go>.\n')
    context = {"metatags": '<meta name="viewport" content="width=device-width" />\n'}
    meta._add_description(SimpleNamespace(), "page", "page.html", context, doctree)
    assert context["metatags"].count("<meta") == 2
    page = f"<html><head>{context['metatags']}</head><body></body></html>"
    assert meta_description(page) == 'Say "hello" & <go>.'
    assert meta_description("<html><head></head></html>") is None
