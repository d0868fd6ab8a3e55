"""book/_ext/fast_pages.py on small pages: the theme's icons become inline SVG, the Font Awesome
script goes, figures get their size and lazy loading, the widget state file hands its JSON on."""

import json
import shutil
import struct
import zlib
from pathlib import Path

from conftest import ROOT, load_file

fp = load_file(ROOT / "book" / "_ext" / "fast_pages.py")

# Two packs as the theme's fontawesome.js writes them (paths shortened).
FA_JS = ('(function(){var p={github:[496,512,[],"f09b","M165.9 397z"]};d("fab",p)})();'
         '(function(){var p={"circle-half-stroke":[512,512,[9680,"adjust"],"f042","M448 256z"],'
         'sun:[512,512,[9728],"f185","M361.5 1.2z"]};d("fas",p),d("fa-solid",p)})();')


def test_icon_table_reads_packs_and_aliases():
    table = fp.icon_table(FA_JS)
    assert table[("fab", "github")] == (496, 512, "M165.9 397z")
    assert table[("fas", "sun")] == (512, 512, "M361.5 1.2z")
    assert table[("fas", "adjust")] == table[("fas", "circle-half-stroke")]
    assert ("fas", "github") not in table


def _png(w, h):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + crc


def test_rewrite_page(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(_png(640, 480))
    (tmp_path / "_images" / "b.png").write_bytes(_png(300, 100))
    (tmp_path / "book").mkdir()
    page = tmp_path / "book" / "x.html"
    text = ('<head>\n  <script defer src="../_static/scripts/fontawesome.js?digest=1"></script>\n'
            '<script src="../_static/searchtools.js"></script><script src="../searchindex.js"></script>'
            '<link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=1" />\n'
            '</head>'
            '<body><i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light"></i>'
            '<i class="fab fa-github"></i><span class="fa-solid fa-nothing-such"></span>'
            '<img alt="first" src="../_images/a.png"><img alt="second" src="../_images/b.png">'
            '<img alt="logo" src="../_static/logo.svg"></body>')
    out = fp.rewrite_page(text, page, fp.icon_table(FA_JS))
    assert "fontawesome.js" not in out and "<i " not in out
    assert '<script defer src="../_static/searchtools.js"></script>' in out  # search-as-you-type on
    assert '<script defer src="../searchindex.js"></script>' in out and "preload" not in out
    off = fp.rewrite_page(text + "<script>DOCUMENTATION_OPTIONS.search_as_you_type = false;</script>",
                          page, {})
    assert "searchtools.js" not in off and "searchindex.js" not in off
    assert ('<svg class="svg-inline--fa theme-switch fa-solid fa-sun fa-lg" data-mode="light" '
            'aria-hidden="true"') in out and 'viewBox="0 0 512 512"' in out and 'd="M361.5 1.2z"' in out
    assert 'data-prefix="fab" data-icon="github"' in out
    assert '<span class="fa-solid fa-nothing-such"></span>' in out  # unknown: left alone
    assert '<img loading="lazy" decoding="async" width="640" height="480" alt="first"' in out
    assert '<img loading="lazy" decoding="async" width="300" height="100" alt="second"' in out
    assert '<img alt="logo" src="../_static/logo.svg">' in out
    assert out.count(".svg-inline--fa{") == 1


def test_state_script_hands_the_json_on():
    body = json.dumps({"state": {"a": {"value": "</script><b>"}}}).replace("</", "<\\/")
    js = fp.state_script(body)
    assert js.startswith("window.rnnbookWidgetState(") and js.rstrip().endswith(");")
    assert json.loads(json.loads(js[len("window.rnnbookWidgetState("):-3])) == \
        {"state": {"a": {"value": "</script><b>"}}}


def test_the_book_uses_it():
    config = (ROOT / "_config.yml").read_text()
    assert "fast_pages: book/_ext" in config
    assert (ROOT / "book" / "_static" / fp.LAZY_JS).is_file()


def test_icon_font_cut_to_the_glyphs_the_css_draws(tmp_path):
    import pydata_sphinx_theme
    from fontTools.ttLib import TTFont

    static = tmp_path / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "styles" / "pydata-sphinx-theme.css").write_text(  # the theme writes the glyphs as is
        f'.fa-ad:before{{content:"{chr(0xF641)}"}}html{{--pst-icon-download:"{chr(0xF019)}";'
        f'--pst-icon-angle-right:"{chr(0xF105)}"}}', encoding="utf-8")
    (static / "book.css").write_text('.x:after{content:"\\f107";font-weight:900}')
    assert fp.css_glyphs(static) == {0xF019, 0xF105, 0xF107}
    src = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
           / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf")
    (static / fp.SOLID).parent.mkdir(parents=True)
    shutil.copyfile(src, static / fp.SOLID)
    assert fp.subset_icon_font(static)
    cut = static / fp.ICON_FONT
    assert set(TTFont(str(cut)).getBestCmap()) == {0xF019, 0xF105, 0xF107}
    assert cut.stat().st_size < src.stat().st_size / 20
    face = fp.font_face(tmp_path / "book" / "x.html", tmp_path)
    assert f"url(../_static/{fp.ICON_FONT})" in face and "font-weight:900" in face


PYGMENTS_CSS = """html[data-theme="light"] .highlight .hll { background-color: #fae4c2 }
html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .k { color: #6730C5 } /* Keyword */
html[data-theme="light"] .highlight .n { color: #080808 } /* Name */
html[data-theme="light"] .highlight .p { color: #080808 } /* Punctuation */
html[data-theme="light"] .highlight .ge { color: #080808; font-style: italic } /* Emph */
html[data-theme="light"] .highlight .nb { color: #080808 } /* Name.Builtin */
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .k { color: #DCC6E0 } /* Keyword */
html[data-theme="dark"] .highlight .n { color: #F8F8F2 } /* Name */
html[data-theme="dark"] .highlight .ge { color: #F8F8F2; font-style: italic } /* Emph */
html[data-theme="dark"] .highlight .nb { color: #F5AB35 } /* Name.Builtin */
"""


def test_plain_tokens_are_those_drawn_in_the_codes_own_colour_in_every_theme():
    assert fp.code_colours(PYGMENTS_CSS) == {"light": "#080808", "dark": "#f8f8f2"}
    # k: coloured; ge: italic; nb: plain in light only; p: no dark rule (inherits the base)
    assert fp.plain_token_classes(PYGMENTS_CSS) == {"n", "p"}
    assert fp.code_text_css(PYGMENTS_CSS) == ('html[data-theme="light"] .highlight pre{color:#080808}'
                                              'html[data-theme="dark"] .highlight pre{color:#f8f8f2}')
    assert fp.plain_token_classes("") == set()


def test_plain_tokens_unwrapped_in_code_blocks_only():
    code = ('<div class="highlight"><pre><span></span><span class="k">def</span><span class="w"> </span>'
            '<span class="n">f</span><span class="p">(</span><span class="n">x</span>'
            '<span class="p">):</span>\n</pre></div>')
    signature = '<dt><span class="n"><span class="pre">x</span></span><span class="p">:</span></dt>'
    out = fp.unwrap_plain_tokens(signature + code + code, {"n", "p", "w"})
    assert out == signature + 2 * '<div class="highlight"><pre><span class="k">def</span> f(x):\n</pre></div>'
    assert fp.unwrap_plain_tokens(code, set()) == code
