"""The book's RNN diagrams, drawn with matplotlib in the style of the fastai course.

Shapes: a rectangle is an input word, a circle is a hidden layer (its activations are the
hidden state), a triangle is an output (a prediction). Arrows are layers, coloured as in the
lesson and named as in :mod:`rnnbook.models`: green for input to hidden (``i_h``), brown for
hidden to hidden (``h_h``), blue for hidden to output (``h_o``).

Every shape and arrow carries a ``gid`` naming what it is ("input", "hidden", "output",
"i_h", "h_h", "h_o"), so :func:`count_parts` can check a drawing. The functions return a
:class:`~matplotlib.figure.Figure` that ``pyplot`` has already closed: a notebook shows it
once, when it is a cell's value, and nothing needs closing (``fig.savefig`` works as usual).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle

from . import checks

__all__ = ["COLORS", "draw_unrolled", "draw_rolled", "count_parts"]

#: The arrow colours of the course's drawings, by layer name.
COLORS: dict[str, str] = {"i_h": "#2e8b3e", "h_h": "#b5651d", "h_o": "#1f5fbf"}

_FILL = {"input": "#e8f4ea", "hidden": "#fbeee0", "output": "#e3ecfa"}
_EDGE = "#333333"
_R = 0.32  # circle radius; rectangles and triangles are about as large


def _arrow(ax, start, end, layer: str, **kw) -> FancyArrowPatch:
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, lw=2.2,
                            color=COLORS[layer], shrinkA=0, shrinkB=0, zorder=1, **kw)
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


def count_parts(fig: Figure) -> Counter:
    """How many shapes and arrows of each kind a drawing holds, by ``gid``: "input",
    "hidden", "output" (shapes) and "i_h", "h_h", "h_o" (arrows). Legend lines are not counted.
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
                layer = next((k for k, c in COLORS.items()
                              if _same_color(patch.get_edgecolor(), c)), "other-arrow")
                counts[layer] += 1
            else:
                counts[gid] += 1
    return counts


def _same_color(rgba, hex_color: str) -> bool:
    from matplotlib.colors import to_rgba

    return all(abs(a - b) < 1e-6 for a, b in zip(rgba, to_rgba(hex_color), strict=True))
