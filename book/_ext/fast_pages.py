"""A page loads what it needs, when it needs it (what a phone on a slow link notices most).

- MathJax only where the page itself has math. Sphinx adds it to a page whose document, *or any
  document its toctree includes*, has a math node, so the root page (whose hidden toctree holds
  every chapter) loaded MathJax without a formula of its own. Where it loads, MathJax typesets
  a formula when it comes into view (its own ``ui/lazy`` extension, vendored with it), not
  every formula of a long chapter before the reader can scroll.
- The widget manager (``nb_ipywidgets_js``: require.js, widgets-base.js, embed-amd.js) and the
  widget state (hundreds of kB of JSON, figures included, that myst-nb writes into the page's
  head) leave the page. The state goes to ``_static/widget-state/<page>.js``, and
  ``_static/widgets-lazy.js`` loads it and the manager when a widget comes near the viewport,
  or, for a reader who stays near the top, a few seconds after the page has loaded, when the
  browser is idle (so the widgets are drawn before the reader gets there). The text paints
  first; ``data-state-type`` names the script type the state is handed to the manager in.
- The theme's Font Awesome script (1.4 MB, which only swaps a dozen ``<i class="fa-...">`` for
  SVG) is dropped: each such icon is written into the page as the same inline SVG, taken from
  that script at build time.
- The theme's CSS still draws a few icons with the Font Awesome font (a note's sign, the
  breadcrumbs' arrow): the solid font (156 kB) is cut down to those glyphs (``ICON_FONT``, a
  WOFF of a few kB, made with fontTools) and the pages point the font's family at it.
- A code block's tokens that Pygments' style sheet draws exactly as plain code text in every
  theme (names, punctuation, spaces: more than half the tokens of a chapter's code) lose their
  ``<span>``. Highlighted code was most of a chapter's DOM (5,600 of 7,900 elements on
  "today"), and the browser styles and lays out each element on a phone's slow CPU.
- Chapter figures (``_images/``) get their width and height (no layout shift while they load)
  and ``loading="lazy"``: every chapter opens with prose, its first figure more than a phone's
  screen down (the browser still fetches a lazy image well before it scrolls into view).
- Every script file of the page's head is deferred (run after the HTML is parsed, in the same
  order), but ``documentation_options.js``, which inline scripts after it read at once; the
  search page, whose search scripts need doctools.js at once, is left as it is.
- Sphinx's search scripts and index (which grows with the book), which the theme puts in every
  page's head for its search-as-you-type, leave the pages where that is off
  (``search_as_you_type = false``: the search box sends the reader to the search page, which
  loads its own copy); where it is on, they are deferred. The theme's ``preload`` of its two
  deferred scripts goes too (they come at the end of the page, after what the first screen
  needs).

MathJax, the widgets and the deferring happen per page (``html-page-context``); the icons, the
font, the figures and the search scripts on the written HTML (``build-finished``). Used by
every page of the book (see ``_config.yml``); ``sitecheck.lighthouse`` measures the result.
"""

from __future__ import annotations

import html
import json
import re
import struct
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LAZY_JS = "widgets-lazy.js"
STATE_DIR = "widget-state"
SYNC = {"documentation_options.js"}  # read at once by the inline scripts that follow it

# ``name:[width,height,[aliases],"unicode","path"]`` in the theme's fontawesome.js; a pack
# ends with ``d("fas",p)`` (or far, fab) after its icons.
_ICON = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z0-9][a-z0-9-]*)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+",'
                   r'"([^"]*)"\]')
_PACK_END = re.compile(r'\bd\("(fas|far|fab)",p\)')
_PREFIXES = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
             "fa-brands": "fab", "fab": "fab"}
_I_TAG = re.compile(r'<(i|span)\s+class="([^"]*\bfa-[^"]*)"([^>]*)>\s*</\1>')
_FA_SCRIPT = re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')
_IMG = re.compile(r'<img\b[^>]*>')
# pygments.css: ``html[data-theme="light"] .highlight .n { color: #080808 }``; no class: the base.
_PYG_RULE = re.compile(r'html\[data-theme="(\w+)"\] \.highlight(?: \.([\w-]+))? \{([^}]*)\}')
_CODE_BLOCK = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre></div>)', re.S)
_PRELOAD = re.compile(r'[ \t]*<link rel="preload" as="script" href="[^"]*_static/scripts/'
                      r'(?:bootstrap|pydata-sphinx-theme)\.js[^"]*" />\n?')
# The theme loads Sphinx's search (its index grows with the book) in every page's head, for a
# search-as-you-type that this book leaves off; the search page loads its own copy.
_SEARCH = re.compile(r'<script src="([^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                     r'searchindex\.js))"></script>')
# The solid icon font, and the glyphs of it that the CSS (not the .fa-* classes) draws.
SOLID = "vendor/fontawesome/webfonts/fa-solid-900.ttf"  # the same font as the .woff2
ICON_FONT = "vendor/fontawesome/webfonts/fa-solid-900-used.woff"
_PST_ICON = re.compile(r'--pst-icon-[a-z-]+:"([\ue000-\uf8ff])"')
_CSS_ICON = re.compile(r'content:"(?:\\(f[0-9a-f]{3})|([\ue000-\uf8ff]))"')
# What the theme's script would have styled (its CSS is in the script too).
ICON_CSS = ("<style>.svg-inline--fa{display:inline-block;height:1em;overflow:visible;"
            "vertical-align:-.125em}.svg-inline--fa.fa-lg{vertical-align:-.2em}"
            ".bd-article img[width][height]{height:auto}</style>")


# ---------------------------------------------------------------------------------------------
# per page: MathJax and the widgets


def _lazy_math(app):
    """MathJax's ``ui/lazy``: formulas typeset as they come into view (after myst-parser has
    set its options, on builder-inited)."""
    config = dict(app.config.mathjax3_config or {})
    loader = dict(config.get("loader", {}))
    loader["load"] = list(dict.fromkeys([*loader.get("load", []), "ui/lazy"]))
    config["loader"] = loader
    app.config.mathjax3_config = config


def _script_name(js) -> str:
    """A script's path in ``_static`` (Sphinx prefixes the configured paths with ``_static/``)."""
    name = getattr(js, "filename", js) or ""
    return name[len("_static/"):] if name.startswith("_static/") else name


def _page_scripts(app, pagename, templatename, context, doctree):
    """Drop MathJax from a page without math of its own, defer the head's script files, swap
    the widget manager and state for the lazy loader (see the module's docstring)."""
    if app.builder.format != "html" or "script_files" not in context:
        return
    scripts = context["script_files"]
    math = app.env.get_domain("math").data.get("has_equations", {}).get(pagename, False)
    if not math and app.config.mathjax_path:
        scripts[:] = [js for js in scripts if _script_name(js) != app.config.mathjax_path
                      and not js.attributes.get("body", "").startswith("window.MathJax")]
    for i, js in enumerate(scripts):
        if pagename != "search" and _script_name(js) and _script_name(js) not in SYNC and not (
                {"async", "defer", "type"} & set(js.attributes)):
            scripts[i] = _JavaScript(js.filename, priority=js.priority, **js.attributes, defer="defer")
    state = [js for js in scripts if js.attributes.get("type") == WIDGET_STATE]
    if not state:
        return
    manager = list(app.config.nb_ipywidgets_js)
    scripts[:] = [js for js in scripts if js not in state and _script_name(js) not in manager]
    name = pagename.replace("/", "-") + ".js"
    folder = Path(app.outdir) / "_static" / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(state_script(state[0].attributes["body"]), encoding="utf-8")
    scripts.append(_lazy_script(app, name))


def _lazy_script(app, state_file: str):
    manager = [[path, attrs] for path, attrs in app.config.nb_ipywidgets_js.items()]
    return _JavaScript(f"_static/{LAZY_JS}", defer="defer", **{
        "data-state": f"{STATE_DIR}/{state_file}", "data-state-type": WIDGET_STATE,
        "data-manager": json.dumps(manager)})


def state_script(body: str) -> str:
    """The JavaScript of a page's widget-state file: hands ``body`` (the state's JSON, as
    myst-nb wrote it into the page) to ``widgets-lazy.js``."""
    return f"window.rnnbookWidgetState({json.dumps(body)});\n"


# ---------------------------------------------------------------------------------------------
# on the written HTML: icons and images


def icon_table(fontawesome_js: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(prefix, name) -> (width, height, path) for every icon of the theme's fontawesome.js
    (aliases included), prefix one of fas, far, fab."""
    ends = [(m.start(), m.group(1)) for m in _PACK_END.finditer(fontawesome_js)]
    table = {}
    for m in _ICON.finditer(fontawesome_js):
        pack = next((p for pos, p in ends if pos > m.start()), None)
        if pack is None:
            continue
        shape = (int(m.group(3)), int(m.group(4)), m.group(6))
        table[(pack, m.group(1) or m.group(2))] = shape
        for alias in re.findall(r'"([a-z0-9-]+)"', m.group(5)):
            table.setdefault((pack, alias), shape)
    return table


def icon_svg(classes: str, rest: str, table) -> str | None:
    """The inline SVG for an icon element of ``classes`` (e.g. ``fa-solid fa-sun fa-lg``), its
    other attributes ``rest`` kept; None when the icon is not in ``table``."""
    words = classes.split()
    prefix = next((_PREFIXES[w] for w in words if w in _PREFIXES), "fas")
    names = [w[3:] for w in words if w.startswith("fa-") and w not in _PREFIXES]
    for name in names:
        if (prefix, name) in table:
            w, h, d = table[(prefix, name)]
            cls = " ".join(["svg-inline--fa"] + words)
            return (f'<svg class="{html.escape(cls)}"{rest} aria-hidden="true" focusable="false" '
                    f'data-prefix="{prefix}" data-icon="{name}" role="img" '
                    f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">'
                    f'<path fill="currentColor" d="{d}"></path></svg>')
    return None


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels of a PNG, from its header; None for anything else."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    return None


def rewrite_page(text: str, page: Path, table, css: str = "", plain: set[str] = frozenset()) -> str:
    """One written page: the Font Awesome script out, its icons inline (and ``css`` added to
    their style), the figures sized and lazily loaded, the search scripts out or deferred, the
    code's ``plain`` token classes unwrapped."""
    text = unwrap_plain_tokens(_FA_SCRIPT.sub("", text), plain)
    if page.name != "search.html":
        off = "DOCUMENTATION_OPTIONS.search_as_you_type = false;" in text
        text = _SEARCH.sub("" if off else r'<script defer src="\1"></script>', text)
    text = _PRELOAD.sub("", text)

    def icon(m):
        return icon_svg(m.group(2), m.group(3), table) or m.group(0)

    text = _I_TAG.sub(icon, text)
    text = text.replace("</head>", ICON_CSS.replace("</style>", css + "</style>") + "\n</head>", 1)

    def image(m):
        tag = m.group(0)
        src = re.search(r'\ssrc="([^"]+)"', tag)
        if not src or "/_images/" not in "/" + src.group(1):
            return tag
        if " width=" not in tag and " height=" not in tag:
            size = image_size((page.parent / html.unescape(src.group(1))).resolve())
            if size:
                tag = tag[:4] + f' width="{size[0]}" height="{size[1]}"' + tag[4:]
        if " loading=" not in tag:
            tag = tag[:4] + ' loading="lazy" decoding="async"' + tag[4:]
        return tag

    return _IMG.sub(image, text)


def code_colours(css: str) -> dict[str, str]:
    """Each theme's colour for a code block's text in ``pygments.css`` (``{"light": "#080808",
    ...}``)."""
    return {theme: colour.lower() for theme, cls, body in _PYG_RULE.findall(css) if not cls
            for colour in re.findall(r"(?:^|;)\s*color:\s*([^;]+?)\s*(?:;|$)", body)}


def code_text_css(css: str) -> str:
    """Rules that draw a code block's bare text in Pygments' colour for it (the theme's ``pre``
    rule draws it in the page's text colour: the spaces, and the tokens unwrapped below)."""
    return "".join(f'html[data-theme="{theme}"] .highlight pre{{color:{colour}}}'
                   for theme, colour in code_colours(css).items())


def plain_token_classes(css: str) -> set[str]:
    """The token classes of ``pygments.css`` whose rule in every theme is the code's own colour
    and nothing else (with ``code_text_css``, a ``<span>`` of such a class draws as its bare
    text would)."""
    base, rules = code_colours(css), {}
    for theme, cls, body in _PYG_RULE.findall(css):
        if cls:
            rules.setdefault(cls, {})[theme] = " ".join(body.lower().split()).rstrip(";")
    return {cls for cls, by_theme in rules.items()
            if base and all(by_theme.get(theme) in (None, f"color: {colour}")
                            for theme, colour in base.items())}


def unwrap_plain_tokens(text: str, classes: set[str]) -> str:
    """``text`` with each highlighted code block's ``<span class="c">token</span>`` written as
    ``token`` for the classes in ``classes`` (Pygments writes flat spans: no span in a token),
    and without the empty ``<span></span>`` Pygments opens each block with."""
    if not classes:
        return text
    names = "|".join(map(re.escape, sorted(classes)))
    token = re.compile(rf'<span class="(?:{names})">([^<]*)</span>')

    def block(m):
        code = token.sub(r"\1", m.group(2))
        return m.group(1) + code.removeprefix("<span></span>") + m.group(3)  # Pygments' empty anchor

    return _CODE_BLOCK.sub(block, text)


def css_glyphs(static: Path) -> set[int]:
    """The icon font's code points that the site's CSS draws outside the theme's .fa-* classes:
    the theme's ``--pst-icon-*`` variables and any icon ``content`` of the other style sheets."""
    points: set[int] = set()
    for css in static.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        if css.name == "pydata-sphinx-theme.css":
            points |= {ord(c) for c in _PST_ICON.findall(text)}
        else:
            points |= {int(h, 16) if h else ord(c) for h, c in _CSS_ICON.findall(text)}
    return points


def subset_icon_font(static: Path) -> bool:
    """Write ``ICON_FONT``: the solid icon font with only ``css_glyphs``; False when there is no
    font, no glyph or no fontTools."""
    try:
        from fontTools import subset
    except ImportError:
        return False
    points = css_glyphs(static)
    if not (static / SOLID).is_file() or not points:
        return False
    options = subset.Options()
    options.flavor = "woff"  # woff2 would need brotli
    options.layout_features = ["*"]
    font = subset.load_font(str(static / SOLID), options)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=points)
    sub.subset(font)
    subset.save_font(font, str(static / ICON_FONT), options)
    return True


def font_face(page: Path, out: Path) -> str:
    """The @font-face that points the solid icon font's family at ``ICON_FONT``, from ``page``."""
    url = Path(*[".."] * (len(page.relative_to(out).parts) - 1), "_static", ICON_FONT).as_posix()
    return ('@font-face{font-display:block;font-family:"Font Awesome 6 Free";font-style:normal;'
            f'font-weight:900;src:url({url}) format("woff")}}')


def _finish(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    fa = out / "_static" / "scripts" / "fontawesome.js"
    table = icon_table(fa.read_text(encoding="utf-8")) if fa.is_file() else {}
    font = subset_icon_font(out / "_static")
    pygments, plain = out / "_static" / "pygments.css", set()
    if pygments.is_file():
        css = pygments.read_text(encoding="utf-8")
        plain, rules = plain_token_classes(css), code_text_css(css)
        if plain and rules not in css:
            pygments.write_text(css + "\n" + rules + "\n", encoding="utf-8")
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = rewrite_page(text, page, table, font_face(page, out) if font else "", plain)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _lazy_math, priority=900)  # after myst-parser's options
    app.connect("html-page-context", _page_scripts, priority=900)  # after mathjax and myst-nb
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
