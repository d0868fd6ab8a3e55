"""The book's RNN diagrams, drawn with matplotlib in the style of the fastai course.

Shapes: a rectangle is an input word, a circle is a hidden layer (its activations are the
hidden state), a triangle is an output (a prediction). Arrows are layers, coloured as in the
lesson and named as in :mod:`rnnbook.models`: green for input to hidden (``i_h``), brown for
hidden to hidden (``h_h``), blue for hidden to output (``h_o``).

The cells of the chapter "Gates" (:func:`draw_gru_cell`, :func:`draw_lstm_cell`) open the
circle up: a rounded box is a gate or a candidate (a matrix product and a squashing function),
a small circle an element-wise operation, and a dark grey arrow carries numbers from one
element-wise step to the next, with no matrix on the way. Their green arrows bring the input
to the gates through its matrices (``W_i·``), their brown ones the old hidden state (``W_h·``).

Every shape and arrow carries a ``gid`` naming what it is ("input", "hidden", "cell",
"output", "gate", "op", "i_h", "h_h", "h_o", "mix"), so :func:`count_parts` can check a
drawing. The drawings are dark on an opaque white background, as the book's plots: the site
frames them in white in dark mode (``book/_static/figures.css``). The functions return a
:class:`~matplotlib.figure.Figure` that ``pyplot`` has already closed: a notebook shows it
once, when it is a cell's value, and nothing needs closing (``fig.savefig`` works as usual).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

from . import checks

__all__ = ["COLORS", "MIX", "draw_unrolled", "draw_rolled", "draw_gru_cell", "draw_lstm_cell",
           "draw_shapes", "SHAPES", "count_parts"]

#: The arrow colours of the course's drawings, by layer name.
COLORS: dict[str, str] = {"i_h": "#2e8b3e", "h_h": "#b5651d", "h_o": "#1f5fbf"}

#: The colour of the cells' element-wise arrows (products, sums): no matrix on them.
MIX = "#333333"

_FILL = {"input": "#e8f4ea", "hidden": "#fbeee0", "output": "#e3ecfa", "cell": "#fff6cc",
         "gate": "#f3ecfb", "op": "#ffffff"}
_EDGE = "#333333"
_R = 0.32  # circle radius; rectangles and triangles are about as large


def _arrow(ax, start, end, layer: str, **kw) -> FancyArrowPatch:
    color = MIX if layer == "mix" else COLORS[layer]
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, lw=2.2,
                            color=color, shrinkA=0, shrinkB=0, zorder=1, **kw)
    arrow.set_gid(layer)
    ax.add_patch(arrow)
    return arrow


def _input(ax, x: float, y: float, label: str) -> None:
    rect = Rectangle((x - 0.36, y - 0.24), 0.72, 0.48, facecolor=_FILL["input"], edgecolor=_EDGE,
                     lw=1.5, zorder=2)
    rect.set_gid("input")
    ax.add_patch(rect)
    ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=3)


def _hidden(ax, x: float, y: float, label: str = "") -> None:
    circle = Circle((x, y), _R, facecolor=_FILL["hidden"], edgecolor=_EDGE, lw=1.5, zorder=2)
    circle.set_gid("hidden")
    ax.add_patch(circle)
    if label:
        ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=3)


def _output(ax, x: float, y: float, label: str = "") -> None:
    tri = Polygon([(x - 0.36, y - 0.26), (x + 0.36, y - 0.26), (x, y + 0.34)], closed=True,
                  facecolor=_FILL["output"], edgecolor=_EDGE, lw=1.5, zorder=2)
    tri.set_gid("output")
    ax.add_patch(tri)
    if label:
        ax.text(x, y + 0.5, label, ha="center", va="bottom", fontsize=9, zorder=3)


def _legend(ax, x: float, y: float) -> None:
    items = [("i_h", "input → hidden (i_h)"), ("h_h", "hidden → hidden (h_h)"),
             ("h_o", "hidden → output (h_o)")]
    for i, (layer, text) in enumerate(items):
        yy = y - 0.32 * i
        ax.plot([x, x + 0.4], [yy, yy], color=COLORS[layer], lw=2.2, gid=f"legend-{layer}")
        ax.text(x + 0.5, yy, text, va="center", fontsize=8)


def _new_axes(width: float, height: float, xlim: tuple[float, float], ylim: tuple[float, float]):
    # Made through pyplot, so that a notebook's inline backend is loaded and knows how to show a
    # Figure, then closed at once: pyplot forgets it, so it is shown exactly once, as a cell's value.
    fig = plt.figure(figsize=(width, height))
    plt.close(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def draw_unrolled(n_steps: int = 3, outputs: Literal["last", "every"] = "last",
                  words: list[str] | None = None, carry_in: bool = False, title: str = "") -> Figure:
    """An RNN unrolled over ``n_steps`` words, one column per word.

    Each word (rectangle) enters a hidden layer (circle) through a green arrow; each hidden
    layer feeds the next through a brown arrow; ``outputs="last"`` draws one prediction
    (triangle, blue arrow) after the last word, ``outputs="every"`` one after every word.
    ``words`` labels the inputs (default "word 1", "word 2", ...). ``carry_in=True`` adds a
    dashed brown arrow bringing the hidden state in from the previous batch.
    """
    n_steps = checks.positive_int("n_steps", n_steps, at_most=24)
    checks.one_of("outputs", outputs, ("last", "every"))
    words = checks.strings("words", words) if words is not None else [f"word {i + 1}" for i in range(n_steps)]
    if len(words) != n_steps:
        raise ValueError(f"words must hold one word per step: got {len(words)} words for {n_steps} steps")
    checks.boolean("carry_in", carry_in)
    checks.text("title", title)
    gap = 1.5
    left = -1.6 if carry_in else -0.7
    fig, ax = _new_axes(max(3.2, 1.5 * n_steps + (2.4 if carry_in else 1.6)) + 1.2, 3.4,
                        (left, gap * (n_steps - 1) + 3.4), (-0.5, 3.0))
    y_in, y_h, y_out = 0.0, 1.2, 2.35
    for i, word in enumerate(words):
        x = gap * i
        _input(ax, x, y_in, word)
        _hidden(ax, x, y_h, f"h{i + 1}")
        _arrow(ax, (x, y_in + 0.24), (x, y_h - _R), "i_h")
        if i:
            _arrow(ax, (x - gap + _R, y_h), (x - _R, y_h), "h_h")
        if outputs == "every" or i == n_steps - 1:
            _output(ax, x, y_out)
            _arrow(ax, (x, y_h + _R), (x, y_out - 0.26), "h_o")
    if carry_in:
        _arrow(ax, (left + 0.05, y_h), (-_R, y_h), "h_h", linestyle="--")
        ax.text(left + 0.05, y_h + 0.2, "state from\nlast batch", fontsize=8, va="bottom")
    _legend(ax, gap * (n_steps - 1) + 0.8, 0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def draw_rolled(outputs: Literal["last", "every"] = "last", title: str = "") -> Figure:
    """The same RNN rolled up: one input, one hidden layer with a brown loop back to itself,
    one output.

    The loop is the ``for`` loop of :class:`~rnnbook.models.Loop3`: the circle's activations
    (the hidden state) go round again with each new word. With ``outputs="last"`` the output
    arrow is labelled "after the last word", with ``"every"`` "after every word".
    """
    checks.one_of("outputs", outputs, ("last", "every"))
    checks.text("title", title)
    fig, ax = _new_axes(5.8, 3.4, (-2.2, 3.6), (-0.5, 3.0))
    y_in, y_h, y_out = 0.0, 1.2, 2.35
    _input(ax, 0, y_in, "word i")
    _hidden(ax, 0, y_h, "h")
    _arrow(ax, (0, y_in + 0.24), (0, y_h - _R), "i_h")
    _arrow(ax, (-_R * 0.71, y_h + _R * 0.71), (-_R * 0.71, y_h - _R * 0.71), "h_h",
           connectionstyle="arc3,rad=2.6")
    ax.text(-2.15, y_h, "repeat\nfor each\nword", fontsize=8, va="center")
    _output(ax, 0, y_out)
    _arrow(ax, (0, y_h + _R), (0, y_out - 0.26), "h_o")
    ax.text(0.45, y_out, "after the last word" if outputs == "last" else "after every word",
            fontsize=8, va="center")
    _legend(ax, 1.2, 0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


#: The four shapes of sequence problems :func:`draw_shapes` draws: (title, example, inputs,
#: outputs), each a list of the steps (columns) that have one.
SHAPES: list[tuple[str, str, list[int], list[int]]] = [
    ("one to many", "a start word → the count", [0], [0, 1, 2, 3]),
    ("many to one", "a number's words → its thousands digit", [0, 1, 2, 3], [3]),
    ("many to many, aligned", "the book's language models", [0, 1, 2, 3], [0, 1, 2, 3]),
    ("many to many, not aligned", "words → digits (encoder, decoder)", [0, 1, 2], [3, 4, 5]),
]


def draw_shapes() -> Figure:
    """The shapes of sequence problems (chapter "Words to digits"), one panel each, as
    :data:`SHAPES` lists them: words in (rectangles), hidden states (circles), outputs
    (triangles), in the colours of :func:`draw_unrolled`. In the last panel the decoder
    reads the digit it wrote before (dark grey arrows)."""
    fig = plt.figure(figsize=(7.2, 5.6))
    plt.close(fig)
    for k, (title, example, ins, outs) in enumerate(SHAPES):
        n = max(ins + outs) + 1
        ax = fig.add_axes((0.5 * (k % 2), 0.5 * (1 - k // 2), 0.5, 0.5))
        ax.set_xlim(-0.7, 5.7)
        ax.set_ylim(-1.1, 3.2)
        ax.set_aspect("equal")
        ax.axis("off")
        gap = 5.0 / max(n - 1, 1) if n > 4 else 1.2
        y_in, y_h, y_out = 0.0, 1.2, 2.35
        for i in range(n):
            x = gap * i
            _hidden(ax, x, y_h)
            if i:
                _arrow(ax, (x - gap + _R, y_h), (x - _R, y_h), "h_h")
            if i in ins:
                _input(ax, x, y_in, "")
                _arrow(ax, (x, y_in + 0.24), (x, y_h - _R), "i_h")
            if i in outs:
                _output(ax, x, y_out)
                _arrow(ax, (x, y_h + _R), (x, y_out - 0.26), "h_o")
                if i + 1 in outs and not set(outs) & set(ins):  # fed back: the decoder
                    _arrow(ax, (x + 0.3, y_out), (x + gap - _R * 0.8, y_h + _R * 0.6), "mix")
        ax.text(-0.6, 3.15, title, fontsize=13, weight="bold", va="top", color=_INK)
        ax.text(-0.6, -0.5, example, fontsize=11, va="top", color=_INK)
    return fig


# -- the cells of the chapter "Gates" --------------------------------------------------------

_INK = "#1a1a1a"  # text, dark on the white background
_RS = 0.4  # a state's circle (h, c)
_RO = 0.24  # an element-wise operation's circle
_GW, _GH = 0.42, 0.32  # half width and half height of a gate's box


def _state(ax, x: float, y: float, label: str, kind: str = "hidden") -> None:
    circle = Circle((x, y), _RS, facecolor=_FILL[kind], edgecolor=_EDGE, lw=1.5, zorder=2)
    circle.set_gid(kind)
    ax.add_patch(circle)
    ax.text(x, y, label, ha="center", va="center", fontsize=11, color=_INK, zorder=3)


def _gate(ax, x: float, y: float, symbol: str, squash: str, name: str,
          name_side: str = "left") -> None:
    box = FancyBboxPatch((x - _GW, y - _GH), 2 * _GW, 2 * _GH,
                         boxstyle="round,pad=0,rounding_size=0.12", facecolor=_FILL["gate"],
                         edgecolor=_EDGE, lw=1.5, zorder=2)
    box.set_gid("gate")
    ax.add_patch(box)
    ax.text(x, y + 0.09, symbol, ha="center", va="center", fontsize=12, color=_INK, zorder=3)
    ax.text(x, y - 0.19, squash, ha="center", va="center", fontsize=9, color=_INK, zorder=3)
    # the gate's name above the box, on the side its outgoing arrows leave free
    left = name_side == "left"
    ax.text(x - 0.07 if left else x + 0.07, y + _GH + 0.05, name, ha="right" if left else "left",
            va="bottom", fontsize=9, color=_INK, style="italic", zorder=3)


def _op(ax, x: float, y: float, sign: str) -> None:
    if sign == "tanh":  # tanh of the cell state: a small box, as wide as the word
        shape = FancyBboxPatch((x - 0.34, y - 0.2), 0.68, 0.4,
                               boxstyle="round,pad=0,rounding_size=0.1", facecolor=_FILL["op"],
                               edgecolor=_EDGE, lw=1.2, zorder=2)
    else:
        shape = Circle((x, y), _RO, facecolor=_FILL["op"], edgecolor=_EDGE, lw=1.2, zorder=2)
    shape.set_gid("op")
    ax.add_patch(shape)
    ax.text(x, y, sign, ha="center", va="center", fontsize=11 if sign in ("$\\odot$", "$+$") else 9,
            color=_INK, zorder=3)


def _bus(ax, points: list[tuple[float, float]], layer: str) -> None:
    # the line that carries x_t or h_{t-1} to its arrows (not counted: the arrows are)
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=COLORS[layer], lw=2.2, solid_capstyle="butt", zorder=1,
            gid=f"bus-{layer}")


def _cell_legend(ax, x: float, y: float) -> None:
    items = [(COLORS["i_h"], "$x_t$ through a matrix ($W_{i\\cdot}$)"),
             (COLORS["h_h"], "$h_{t-1}$ through a matrix ($W_{h\\cdot}$)"),
             (MIX, "element by element, no matrix"),
             (COLORS["h_o"], "to the output layer (h_o)")]
    for k, (color, text) in enumerate(items):
        xx, yy = x + 5.0 * (k // 2), y - 0.45 * (k % 2)
        ax.plot([xx, xx + 0.5], [yy, yy], color=color, lw=2.2, gid="legend")
        ax.text(xx + 0.65, yy, text, va="center", fontsize=9, color=_INK)


def _cell_axes(xlim: tuple[float, float], ylim: tuple[float, float]):
    # half an inch a unit; opaque white, so that the drawing reads on any page
    fig, ax = _new_axes(0.5 * (xlim[1] - xlim[0]), 0.5 * (ylim[1] - ylim[0]), xlim, ylim)
    fig.set_facecolor("white")
    return fig, ax


def draw_gru_cell() -> Figure:
    """The GRU cell of the chapter "Gates", drawn from PyTorch's ``nn.GRU`` equations.

    The input ``x_t`` (bottom) reaches the reset gate ``r_t``, the update gate ``z_t`` and the
    candidate ``n_t`` through green arrows, the old state ``h_{t-1}`` (left) reaches ``r_t``,
    ``z_t`` and the product with ``r_t`` through brown ones. Along the top, dark grey arrows
    (element-wise, no matrix) mix the old state and the candidate into the new state:
    ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``; a blue arrow leads from ``h_t`` to the output.
    """
    fig, ax = _cell_axes((-0.7, 9.3), (-1.5, 6.45))
    y_top, y_mid, y_gate, y_h, y_x = 4.6, 3.5, 2.2, 1.0, 0.0
    x_z, x_r, x_rh, x_n, x_h = 1.4, 3.2, 4.8, 6.6, 8.4
    _state(ax, 0, y_top, "$h_{t-1}$")
    _input(ax, 0, y_x, "$x_t$")
    _gate(ax, x_z, y_gate, "$z_t$", "$\\sigma$", "update")
    _gate(ax, x_r, y_gate, "$r_t$", "$\\sigma$", "reset")
    _gate(ax, x_n, y_gate, "$n_t$", "tanh", "candidate")
    _op(ax, x_rh, y_gate, "$\\odot$")  # r_t * (W_hn h_{t-1} + b_hn)
    _op(ax, x_z, y_top, "$\\odot$")  # z_t * h_{t-1}
    _op(ax, 2.5, y_mid, "1\u2212")
    _op(ax, x_n, y_mid, "$\\odot$")  # (1 - z_t) * n_t
    _op(ax, x_n, y_top, "$+$")
    _state(ax, x_h, y_top, "$h_t$")
    _output(ax, x_h, 5.9)
    # x_t through W_iz, W_ir, W_in (green); h_{t-1} through W_hz, W_hr, W_hn (brown)
    _bus(ax, [(0.36, y_x), (x_n + 0.15, y_x)], "i_h")
    _bus(ax, [(0, y_top - _RS), (0, y_h), (x_rh, y_h)], "h_h")
    for x in (x_z, x_r, x_n):
        _arrow(ax, (x + 0.15, y_x), (x + 0.15, y_gate - _GH), "i_h")
    for x in (x_z, x_r):
        _arrow(ax, (x - 0.15, y_h), (x - 0.15, y_gate - _GH), "h_h")
    _arrow(ax, (x_rh, y_h), (x_rh, y_gate - _RO), "h_h")
    # element by element
    _arrow(ax, (x_r + _GW, y_gate), (x_rh - _RO, y_gate), "mix")
    _arrow(ax, (x_rh + _RO, y_gate), (x_n - _GW, y_gate), "mix")
    _arrow(ax, (x_z, y_gate + _GH), (x_z, y_top - _RO), "mix")
    _arrow(ax, (x_z + 0.3, y_gate + _GH), (2.5 - 0.16, y_mid - 0.16), "mix")
    _arrow(ax, (2.5 + _RO, y_mid), (x_n - _RO, y_mid), "mix")
    _arrow(ax, (x_n, y_gate + _GH), (x_n, y_mid - _RO), "mix")
    _arrow(ax, (x_n, y_mid + _RO), (x_n, y_top - _RO), "mix")
    _arrow(ax, (_RS, y_top), (x_z - _RO, y_top), "mix")
    _arrow(ax, (x_z + _RO, y_top), (x_n - _RO, y_top), "mix")
    _arrow(ax, (x_n + _RO, y_top), (x_h - _RS, y_top), "mix")
    _arrow(ax, (x_h, y_top + _RS), (x_h, 5.9 - 0.26), "h_o")
    _cell_legend(ax, -0.5, -0.75)
    return fig


def draw_lstm_cell() -> Figure:
    """The LSTM cell of the chapter "Gates", drawn from PyTorch's ``nn.LSTM`` equations.

    The input ``x_t`` (bottom, green arrows) and the old hidden state ``h_{t-1}`` (left,
    brown arrows) reach the input gate ``i_t``, the forget gate ``f_t``, the candidate ``g_t``
    and the output gate ``o_t``. Along the top runs the cell state, with dark grey arrows only
    (element-wise, no matrix): ``c_t = f_t * c_{t-1} + i_t * g_t``; below it the new hidden
    state ``h_t = o_t * tanh(c_t)``, and a blue arrow from ``h_t`` to the output.
    """
    fig, ax = _cell_axes((-0.7, 11.0), (-1.5, 5.45))
    y_c, y_mid, y_gate, y_h, y_x = 4.8, 3.5, 2.2, 1.0, 0.0
    x_f, x_i, x_g, x_o, x_ig, x_tanh, x_ht, x_ct = 1.4, 3.0, 4.6, 6.4, 3.8, 7.8, 9.3, 10.4
    _state(ax, 0, y_c, "$c_{t-1}$", "cell")
    _state(ax, 0, 3.2, "$h_{t-1}$")
    _input(ax, 0, y_x, "$x_t$")
    _gate(ax, x_f, y_gate, "$f_t$", "$\\sigma$", "forget")
    _gate(ax, x_i, y_gate, "$i_t$", "$\\sigma$", "input")
    _gate(ax, x_g, y_gate, "$g_t$", "tanh", "candidate", name_side="right")
    _gate(ax, x_o, y_gate, "$o_t$", "$\\sigma$", "output", name_side="right")
    _op(ax, x_f, y_c, "$\\odot$")  # f_t * c_{t-1}
    _op(ax, x_ig, y_mid, "$\\odot$")  # i_t * g_t
    _op(ax, x_ig, y_c, "$+$")
    _op(ax, x_tanh, y_mid, "tanh")
    _op(ax, x_tanh, y_gate, "$\\odot$")  # o_t * tanh(c_t)
    _state(ax, x_ct, y_c, "$c_t$", "cell")
    _state(ax, x_ht, y_gate, "$h_t$")
    _output(ax, x_ht, y_mid + 0.1)
    # x_t through W_ii, W_if, W_ig, W_io (green); h_{t-1} through W_hi, W_hf, W_hg, W_ho (brown)
    _bus(ax, [(0.36, y_x), (x_o + 0.15, y_x)], "i_h")
    _bus(ax, [(0, 3.2 - _RS), (0, y_h), (x_o - 0.15, y_h)], "h_h")
    for x in (x_f, x_i, x_g, x_o):
        _arrow(ax, (x + 0.15, y_x), (x + 0.15, y_gate - _GH), "i_h")
        _arrow(ax, (x - 0.15, y_h), (x - 0.15, y_gate - _GH), "h_h")
    # element by element: the cell state along the top, then h_t
    _arrow(ax, (_RS, y_c), (x_f - _RO, y_c), "mix")
    _arrow(ax, (x_f, y_gate + _GH), (x_f, y_c - _RO), "mix")
    _arrow(ax, (x_f + _RO, y_c), (x_ig - _RO, y_c), "mix")
    _arrow(ax, (x_i + 0.2, y_gate + _GH), (x_ig - 0.16, y_mid - 0.16), "mix")
    _arrow(ax, (x_g - 0.2, y_gate + _GH), (x_ig + 0.16, y_mid - 0.16), "mix")
    _arrow(ax, (x_ig, y_mid + _RO), (x_ig, y_c - _RO), "mix")
    _arrow(ax, (x_ig + _RO, y_c), (x_ct - _RS, y_c), "mix")
    _arrow(ax, (x_tanh, y_c), (x_tanh, y_mid + 0.2), "mix")
    _arrow(ax, (x_tanh, y_mid - 0.2), (x_tanh, y_gate + _RO), "mix")
    _arrow(ax, (x_o + _GW, y_gate), (x_tanh - _RO, y_gate), "mix")
    _arrow(ax, (x_tanh + _RO, y_gate), (x_ht - _RS, y_gate), "mix")
    _arrow(ax, (x_ht, y_gate + _RS), (x_ht, y_mid + 0.1 - 0.26), "h_o")
    _cell_legend(ax, -0.5, -0.75)
    return fig


def count_parts(fig: Figure) -> Counter:
    """How many shapes and arrows of each kind a drawing holds, by ``gid``: "input",
    "hidden", "output", and in the cells "cell", "gate", "op" (shapes); "i_h", "h_h", "h_o"
    and "mix" (arrows, named by their colour). Legend lines and the cells' lines that carry an
    input to its arrows are not counted.
    """
    checks.instance("fig", fig, Figure, "a matplotlib Figure")
    counts: Counter = Counter()
    for ax in fig.axes:
        for patch in ax.patches:
            gid = patch.get_gid()
            if gid is None:
                continue
            if isinstance(patch, FancyArrowPatch):
                # name an arrow by its colour, so the count checks the colours too
                layer = next((k for k, c in {**COLORS, "mix": MIX}.items()
                              if _same_color(patch.get_edgecolor(), c)), "other-arrow")
                counts[layer] += 1
            else:
                counts[gid] += 1
    return counts


def _same_color(rgba, hex_color: str) -> bool:
    from matplotlib.colors import to_rgba

    return all(abs(a - b) < 1e-6 for a, b in zip(rgba, to_rgba(hex_color), strict=True))
