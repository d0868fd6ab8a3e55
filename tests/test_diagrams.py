import pytest
from matplotlib.figure import Figure

from rnnbook.diagrams import COLORS, count_parts, draw_rolled, draw_unrolled


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
