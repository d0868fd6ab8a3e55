import re
from pathlib import Path

import nbformat
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyArrowPatch

from rnnbook.diagrams import (
    COLORS,
    MIX,
    count_parts,
    draw_gru_cell,
    draw_lstm_cell,
    draw_rolled,
    draw_unrolled,
)


@pytest.mark.parametrize("n", [1, 3, 6])
def test_unrolled_every_step_has_one_of_each_shape_and_the_right_arrows(n):
    fig = draw_unrolled(n, outputs="every")
    assert isinstance(fig, Figure)
    parts = count_parts(fig)
    assert parts["input"] == parts["hidden"] == parts["output"] == n
    assert parts["i_h"] == n  # one green arrow per word
    assert parts["h_h"] == n - 1  # a brown arrow between consecutive hidden states
    assert parts["h_o"] == n  # one blue arrow per prediction
    assert "other-arrow" not in parts


@pytest.mark.parametrize("n", [1, 3, 5])
def test_unrolled_last_predicts_once(n):
    parts = count_parts(draw_unrolled(n))
    assert (parts["input"], parts["hidden"], parts["output"]) == (n, n, 1)
    assert (parts["i_h"], parts["h_h"], parts["h_o"]) == (n, n - 1, 1)


def test_carry_in_adds_one_brown_arrow():
    assert count_parts(draw_unrolled(4, carry_in=True))["h_h"] == 4


def test_rolled_has_one_of_each_and_a_brown_loop():
    parts = count_parts(draw_rolled())
    assert parts == {"input": 1, "hidden": 1, "output": 1, "i_h": 1, "h_h": 1, "h_o": 1}


def test_arrow_colours_follow_the_lesson():
    # green in, brown across, blue out: the colours must be told apart
    assert len(set(COLORS.values())) == 3
    fig = draw_unrolled(2)
    colours = {p.get_gid(): p.get_edgecolor() for p in fig.axes[0].patches if p.get_gid() in COLORS}
    assert colours["i_h"][1] > colours["i_h"][0]  # green channel dominates
    assert colours["h_o"][2] > colours["h_o"][0]  # blue channel dominates
    assert colours["h_h"][0] > colours["h_h"][2]  # brown: red over blue


def test_words_label_the_inputs_and_bad_arguments_fail():
    fig = draw_unrolled(3, words=["eight", "thousand", "one"])
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"eight", "thousand", "one"} <= texts
    with pytest.raises(ValueError):
        draw_unrolled(0)
    with pytest.raises(ValueError):
        draw_unrolled(2, words=["one"])
    with pytest.raises(ValueError):
        draw_unrolled(2, outputs="some")


# -- the cells of the chapter "Gates" ------------------------------------------------------------

GATES = Path(__file__).resolve().parent.parent / "book" / "gates.ipynb"


def chapter_equations(marker: str) -> str:
    """The display math of the chapter "Gates" that holds ``marker`` (e.g. "W_{ir}")."""
    for cell in nbformat.read(GATES, as_version=4).cells:
        if cell.cell_type == "markdown":
            for block in re.findall(r"\$\$(.*?)\$\$", cell.source, flags=re.S):
                if marker in block:
                    return block
    raise AssertionError(f"no equations with {marker!r} in {GATES.name}")


def texts(fig) -> set[str]:
    return {t.get_text() for t in fig.axes[0].texts}


@pytest.mark.parametrize("draw, marker", [(draw_gru_cell, "W_{ir}"),
                                          (draw_lstm_cell, "W_{if}")])
def test_a_cell_has_one_green_and_one_brown_arrow_per_matrix_of_its_equations(draw, marker):
    eq = chapter_equations(marker)
    from_input = set(re.findall(r"W_\{i(\w)\}", eq))  # r, z, n  or  i, f, g, o
    from_state = set(re.findall(r"W_\{h(\w)\}", eq))
    parts = count_parts(draw())
    assert parts["i_h"] == len(from_input) and parts["h_h"] == len(from_state)
    assert parts["gate"] == len(from_input)  # one box per gate or candidate
    assert parts["h_o"] == parts["output"] == 1 and parts["input"] == 1
    assert "other-arrow" not in parts


def test_the_gru_cell_parts():
    # h_t = (1 - z_t) * n_t + z_t * h_{t-1}, with r_t * (W_hn h + b_hn) inside n_t:
    # three products, one sum, one "1 -"; ten element-wise arrows
    assert count_parts(draw_gru_cell()) == {"input": 1, "hidden": 2, "gate": 3, "op": 5,
                                            "output": 1, "i_h": 3, "h_h": 3, "mix": 10,
                                            "h_o": 1}


def test_the_lstm_cell_parts():
    # c_t = f_t * c_{t-1} + i_t * g_t and h_t = o_t * tanh(c_t): three products, one sum,
    # one tanh; the cell state c is a circle of its own kind
    assert count_parts(draw_lstm_cell()) == {"input": 1, "hidden": 2, "cell": 2, "gate": 4,
                                             "op": 5, "output": 1, "i_h": 4, "h_h": 4,
                                             "mix": 11, "h_o": 1}


@pytest.mark.parametrize("draw, marker", [(draw_gru_cell, "W_{ir}"),
                                          (draw_lstm_cell, "W_{if}")])
def test_every_symbol_of_the_equations_labels_the_drawing(draw, marker):
    eq = chapter_equations(marker)
    # each left-hand side (r_t, z_t, n_t, h_t / i_t, f_t, g_t, o_t, c_t, h_t) and each
    # state or input of the right-hand sides, written as in the chapter
    symbols = set(re.findall(r"^\s*(\w_t)\s*&=", eq, flags=re.M))
    symbols |= set(re.findall(r"\b([xhc]_\{t-1\}|x_t)", eq))
    assert len(symbols) >= 6, symbols  # the GRU's six, the LSTM's nine
    assert {f"${s}$" for s in symbols} <= texts(draw())


def test_the_gate_names_are_written_beside_their_boxes():
    assert {"update", "reset", "candidate"} <= texts(draw_gru_cell())
    assert {"input", "forget", "candidate", "output"} <= texts(draw_lstm_cell())


@pytest.mark.parametrize("draw", [draw_gru_cell, draw_lstm_cell])
def test_cell_arrows_are_the_books_colours_and_their_gid_says_which(draw):
    colours = {**COLORS, "mix": MIX}
    arrows = [p for p in draw().axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert arrows
    for arrow in arrows:
        want = to_rgba(colours[arrow.get_gid()])
        assert tuple(arrow.get_edgecolor()) == pytest.approx(want), arrow.get_gid()
    # the element-wise arrows are dark grey, set apart from the three layers' colours
    assert MIX not in COLORS.values()


@pytest.mark.parametrize("draw", [draw_unrolled, draw_rolled, draw_gru_cell, draw_lstm_cell])
def test_drawings_are_dark_on_opaque_white_so_the_dark_site_can_frame_them(draw, tmp_path):
    # the site shows the book's figures on a white card in dark mode (figures.css): the PNG
    # must not be transparent, and no text may be light
    fig = draw()
    fig.savefig(tmp_path / "d.png")
    png = imread(tmp_path / "d.png")
    assert png.shape[2] == 3 or png[..., 3].min() == 1.0  # opaque everywhere
    assert png[0, 0, :3].min() > 0.99  # a white corner
    for t in fig.axes[0].texts:
        r, g, b, _ = to_rgba(t.get_color())
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.3, t.get_text()


def test_the_shapes_drawing_has_what_shapes_lists():
    """Chapter "Words to digits": one panel per shape, with its inputs and outputs; only the
    decoder of the last shape reads what it wrote."""
    from rnnbook.diagrams import SHAPES, draw_shapes

    parts = count_parts(draw_shapes())
    assert parts["input"] == parts["i_h"] == sum(len(ins) for _, _, ins, _ in SHAPES)
    assert parts["output"] == parts["h_o"] == sum(len(outs) for _, _, _, outs in SHAPES)
    assert parts["hidden"] == sum(max(ins + outs) + 1 for _, _, ins, outs in SHAPES)
    assert parts["mix"] == len(SHAPES[-1][3]) - 1
