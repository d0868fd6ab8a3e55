"""A ``<meta name="description">`` on every page of the site, made from the page's first
paragraph of prose: what a search engine or a shared link shows under the page's title.

The first paragraph is the first one that sits directly in a section (not in a table, a note,
a figure's caption or a cell's output), as the page shows it, glued numbers filled in; it is
trimmed to ``LIMIT`` characters on a word boundary. ``sitecheck.console`` checks that every
page of the built site has one.
"""

from __future__ import annotations

import html
import re

from docutils import nodes

LIMIT = 155
"""Characters of a description at most (what a search result shows), the ellipsis included."""


def first_paragraph(doctree: nodes.Node) -> str:
    """The text of the first paragraph of prose in ``doctree``, whitespace collapsed; "" when
    there is none."""
    for para in doctree.findall(nodes.paragraph):
        if isinstance(para.parent, (nodes.section, nodes.document)):
            text = " ".join(para.astext().split())
            if text:
                return text
    return ""


def trim(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters at the end of a word, with an ellipsis when
    anything was cut (a word longer than ``limit`` is cut where it must be)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return re.sub(r"[\s,;:(-]+$", "", cut) + "…"


def description(doctree: nodes.Node | None) -> str:
    """The page's description: its first paragraph, trimmed."""
    return trim(first_paragraph(doctree)) if doctree is not None else ""


def _add_description(app, pagename, templatename, context, doctree):
    text = description(doctree)
    if text:
        tag = f'<meta name="description" content="{html.escape(text, quote=True)}" />\n'
        context["metatags"] = context.get("metatags", "") + tag


def setup(app):
    app.connect("html-page-context", _add_description)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
