"""book/_ext/static_math.py: a page's formulas become markup drawn at build time and the page
loses MathJax; with Node and mathjax-full (skipped without them) a formula becomes SVG with its
MathML for screen readers."""

import shutil

import pytest
from conftest import ROOT, load_file

sm = load_file(ROOT / "book" / "_ext" / "static_math.py")

MATHJAX = "vendor/mathjax/tex-chtml.js"
PAGE = ('<head>\n    <script>window.MathJax = {"loader": {"load": ["ui/lazy"]}}</script>\n'
        '    <script defer="defer" src="../_static/vendor/mathjax/tex-chtml.js?v=1"></script>\n'
        '</head><body>\n<p>each step <span class="math notranslate nohighlight">\\(x_t\\)</span>,'
        ' and <span class="math notranslate nohighlight">\\(a &lt; b\\)</span></p>\n'
        '<div class="math notranslate nohighlight" id="eq1">\n<span class="eqno">(1)</span>\\[\n'
        'h_t = \\tanh(W h_{t-1}),\n\\]</div>\n</body>')


def test_formulas_are_found_in_order():
    assert sm.formulas(PAGE) == [("x_t", False), ("a < b", False), ("h_t = \\tanh(W h_{t-1}),", True)]


def test_replace_math_swaps_the_tex_and_drops_mathjax():
    rendered = {f: f"<svg>{i}</svg>" for i, f in enumerate(sm.formulas(PAGE))}
    new = sm.replace_math(PAGE, rendered, MATHJAX, css="svg{}", cache="<svg id=c></svg>")
    assert '<span class="math notranslate"><svg>0</svg></span>' in new
    assert '<span class="math notranslate"><svg>1</svg></span>' in new
    assert '<div class="math notranslate" id="eq1">\n<span class="eqno">(1)</span><svg>2</svg></div>' in new
    assert "mathjax" not in new.lower() and "\\(" not in new and "nohighlight" not in new
    assert "<style>svg{}</style>\n</head>" in new and "<svg id=c></svg>\n</body>" in new


def test_a_page_with_a_formula_not_drawn_keeps_mathjax():
    rendered = {("x_t", False): "<svg>0</svg>", ("a < b", False): None}
    new = sm.replace_math(PAGE, rendered, MATHJAX, css="svg{}")
    assert "<svg>0</svg>" in new and "\\(a &lt; b\\)" in new and "\\[" in new
    assert "window.MathJax" in new and "tex-chtml.js" in new and "<style>" not in new


def test_a_page_without_math_is_left_alone():
    page = '<head><script src="_static/vendor/mathjax/tex-chtml.js"></script></head><p>x</p>'
    assert sm.formulas(page) == []
    assert sm.replace_math(page, {}, MATHJAX, css="svg{}") == page


def test_render_without_the_package_returns_none(tmp_path):
    assert sm.render([[("x", False)]], tmp_path) is None


HAS_MATHJAX = (ROOT / sm.PREFIX / "node_modules" / "mathjax-full").is_dir()


@pytest.mark.skipif(not shutil.which("node") or not HAS_MATHJAX,
                    reason=f"needs node and npm install --prefix {sm.PREFIX} -E {sm.MATHJAX}")
def test_node_draws_svg_with_mathml():
    (page, bad), css = sm.render([[("x_t", False), ("\\frac{1}{2}", True)], [("\\nosuchmacro", False)]], ROOT)
    inline, display = page["html"]
    assert inline.startswith('<mjx-container class="MathJax" jax="SVG"') and "<svg" in inline
    assert 'display="true"' in display and "<mfrac>" in display
    assert 'tabindex="0"' in display and "tabindex" not in inline  # a keyboard scrolls it
    assert "<mjx-assistive-mml" in inline and "<msub><mi>x</mi><mi>t</mi></msub>" in inline
    assert 'aria-hidden="true"' in inline and 'fill="currentColor"' in inline  # dark mode
    assert "<use" in inline and 'id="MJX-TEX-I-1D465"' in page["cache"]  # the x, drawn once
    assert bad["html"] == [None]
    assert "mjx-assistive-mml" in css
