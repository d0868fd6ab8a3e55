"""Widget icons in a real browser: the icon font is fetched from where it is, on every load, and
the check of ``sitecheck/widget_loads.py`` tells a drawn glyph from the placeholder box.

A page with the widget manager alone (the widget state of a Button with ``icon="play"``,
embedded by ipywidgets, and the script tags that ``_config.yml`` gives the widget pages, in its
order) is served with a copy of ``book/_static`` and loaded in headless Chromium, each load in a
fresh browser context; then the same with the icon font's files taken away. Last, a one-page
book built with the book's configuration (its theme draws the icons as SVG) shows two Buttons
with icons.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import build_book, tiny_book

from sitecheck import browser
from sitecheck import widget_loads as loads_check

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(browser.CHROMIUM is None,
                                                 reason="needs Chromium (apt-get install chromium)")]

FONTS = ROOT / "book" / "_static" / "vendor" / "@jupyter-widgets" / "html-manager" / "dist"


def _script_tags() -> str:
    """The widget pages' script tags, as ``nb_ipywidgets_js`` in ``_config.yml`` lists them."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    tags = []
    for path, attributes in config["sphinx"]["config"]["nb_ipywidgets_js"].items():
        attrs = "".join(f' {k}="{html.escape(str(v))}"' for k, v in (attributes or {}).items())
        tags.append(f'<script{attrs} src="../_static/{path}"></script>')
    return "\n".join(tags)


def _site(folder: Path) -> Path:
    """A one-page site: ``book/icons.html`` shows a Button with a play icon and a slider."""
    import ipywidgets as widgets
    from ipywidgets.embed import embed_data

    box = widgets.HBox([widgets.Button(description="Train", button_style="primary", icon="play"),
                        widgets.IntSlider(description="bptt")])
    data = embed_data(views=[box])
    state = json.dumps(data["manager_state"]).replace("</", "<\\/")
    views = "".join(f'<script type="application/vnd.jupyter.widget-view+json">{json.dumps(v)}</script>'
                    for v in data["view_specs"])
    shutil.copytree(ROOT / "book" / "_static", folder / "_static")
    (folder / "book").mkdir()
    icon = '<link rel="icon" href="../_static/favicon.svg">'
    (folder / "book" / "icons.html").write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>icons</title>{icon}\n'
        f'<script type="{loads_check.WIDGET_STATE}">{state}</script>\n{_script_tags()}\n'
        f"</head><body><main>{views}</main></body></html>\n")
    (folder / "index.html").write_text(f'<!DOCTYPE html><html lang="en"><head>{icon}</head>'
                                       "<body>index</body></html>\n")
    return folder


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("playwright.sync_api")
    with browser.open_browser() as b:
        yield b


def test_icon_font_loads_from_its_folder_every_time(tmp_path, chromium):
    site = _site(tmp_path)
    assert loads_check.widget_pages(site, ["index", "book/icons"]) == ["book/icons"]
    with browser.serve(site) as base:
        faulty, problems, icons = loads_check.check_page(chromium, base, "book/icons", loads=3)
    assert icons == 1
    assert (faulty, problems) == (0, [])


def test_missing_icon_font_is_the_placeholder_box(tmp_path, chromium):
    site = _site(tmp_path)
    fonts = site / FONTS.relative_to(ROOT / "book")
    for font in fonts.iterdir():
        if font.suffix in (".woff2", ".woff", ".ttf", ".eot"):
            font.unlink()
    with browser.serve(site) as base:
        faulty, problems, icons = loads_check.check_page(chromium, base, "book/icons", loads=1)
    assert (faulty, icons) == (1, 1)
    assert any("drawn as the placeholder box" in p for p in problems), problems
    assert any("not all loaded" in p for p in problems), problems


def test_icons_on_a_book_page(tmp_path, chromium):
    code = ('import ipywidgets as widgets\n'
            'widgets.HBox([widgets.Button(description="Train", icon="play"),\n'
            '              widgets.Button(description="Stop", icon="stop")])')
    proc = build_book(tiny_book(tmp_path, code))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    site = tmp_path / "_build" / "html"
    with browser.serve(site) as base:
        faulty, problems, icons = loads_check.check_page(chromium, base, "book/chapter", loads=3)
    assert icons == 2
    assert (faulty, problems) == (0, [])
