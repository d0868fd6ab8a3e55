import matplotlib.pyplot as plt
import pytest
import torch

from rnnbook import LMLoader, build
from rnnbook.analysis import (
    SLOTS,
    breakdown,
    ceiling,
    error_breakdown,
    plot_error_breakdown,
    plot_state_projection,
    slot_labels,
    state_projection,
)
from rnnbook.data import number_lines, tokenize


def ids(text, vocab):
    return vocab.numericalize(text.split())


def test_slot_labels_of_hand_checked_numbers(data):
    text = "xxbos one , two thousand three hundred forty five , eight thousand , nine hundred twelve , sixty"
    expected = ["xxbos", "units", ",", "thousands", "thousand", "hundreds", "hundred", "tens", "units", ",",
                "thousands", "thousand", ",", "hundreds", "hundred", "units", ",", "tens"]
    assert slot_labels(ids(text, data.vocab), data.vocab) == expected
    assert slot_labels(ids(text, data.vocab).tolist(), data.vocab) == expected  # a list works too


def test_a_digit_word_is_labelled_by_what_follows_it(data):
    v = data.vocab
    assert slot_labels(ids("seven thousand", v), v)[0] == "thousands"
    assert slot_labels(ids("seven hundred", v), v)[0] == "hundreds"
    assert slot_labels(ids("seven , seven", v), v) == ["units", ",", "units"]  # the last one: unknown next


def test_every_number_has_one_units_or_tens_ending_and_the_right_slots(data):
    stream = data.vocab.numericalize(tokenize(number_lines(range(1, 10000, 37))))
    labels = slot_labels(stream, data.vocab)
    assert set(labels) <= set(SLOTS)
    words = data.vocab.textify(stream).split()
    for w, s in zip(words, labels, strict=True):
        if s in ("thousand", "hundred", ","):
            assert w == s
    assert labels.count("thousands") == labels.count("thousand")
    assert labels.count("hundreds") == labels.count("hundred")


def test_slot_labels_refuse_tokens_that_are_no_number_words(data):
    with pytest.raises(ValueError, match="not part of a spelled-out number"):
        slot_labels(torch.tensor([0, 12]), data.vocab)


def fake_predictions(vocab):
    """8110..8113 in two rows of 11 tokens, with four mistakes:

    row 0  x: xxbos eight thousand one hundred ten , eight thousand one hundred
           y: eight thousand one hundred ten , eight thousand one hundred eleven
    row 1  x: eleven , eight thousand one hundred twelve , eight thousand one
           y: , eight thousand one hundred twelve , eight thousand one hundred
    """
    stream = vocab.numericalize(tokenize(number_lines(range(8110, 8114))))
    dl = LMLoader(stream, bs=2, bptt=5)
    x, y = dl.x.clone(), dl.y.clone()
    assert vocab.textify(y[1]) == ", eight thousand one hundred twelve , eight thousand one hundred"
    preds = y.clone()
    for i, j in [(0, 0), (0, 6), (1, 1), (1, 2)]:  # eight, eight, eight, thousand
        preds[i, j] = vocab.stoi["nine"]
    return x, preds, y


def test_breakdown_counts_errors_per_slot_and_pair(data):
    x, preds, y = fake_predictions(data.vocab)
    b = breakdown(x, preds, y, data.vocab)
    assert (b["tokens"], b["errors"]) == (22, 4) and b["accuracy"] == pytest.approx(18 / 22)
    by_slot = {r["slot"]: (r["tokens"], r["errors"]) for r in b["by_slot"]}
    assert by_slot == {"thousands": (4, 3), "thousand": (4, 1), "hundreds": (4, 0), "hundred": (4, 0),
                       "units": (3, 0), ",": (3, 0)}
    assert [r["slot"] for r in b["by_slot"]] == ["thousands", "thousand", "hundreds", "hundred", "units", ","]
    thousands = b["by_slot"][0]
    assert thousands["error_rate"] == pytest.approx(3 / 4) and thousands["share"] == pytest.approx(3 / 4)
    pairs = [(r["previous"], r["target"], r["tokens"], r["errors"]) for r in b["by_pair"]]
    assert pairs == [(",", "eight", 3, 2), ("eight", "thousand", 4, 1), ("xxbos", "eight", 1, 1)]
    assert b["by_pair"][0]["share"] == pytest.approx(0.5)


def test_breakdown_of_perfect_predictions_has_no_errors(data):
    x, _, y = fake_predictions(data.vocab)
    b = breakdown(x, y, y, data.vocab)
    assert b["errors"] == 0 and b["by_pair"] == [] and all(r["errors"] == 0 for r in b["by_slot"])


def test_breakdown_refuses_rows_that_are_not_one_stream(data):
    x, preds, y = fake_predictions(data.vocab)
    with pytest.raises(ValueError, match="shifted by one"):
        breakdown(x.flip(0), preds, y, data.vocab)


def test_error_breakdown_and_its_plot_on_an_untrained_learner(data):
    learn = build("gru2", data=data, device="cpu")
    b = error_breakdown(learn, data.vocab)
    assert b["tokens"] == learn.valid_dl.n_tokens
    assert b["errors"] == sum(r["errors"] for r in b["by_slot"]) == sum(r["errors"] for r in b["by_pair"])
    fig = plot_error_breakdown(b, b, names=["a", "b"])
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2 * len(b["by_slot"])
    plt.close(fig)
    with pytest.raises(ValueError, match="names"):
        plot_error_breakdown(b, names=["a", "b"])
    with pytest.raises(ValueError, match="predicts every token"):
        error_breakdown(build("fc3", data=data, device="cpu"), data.vocab)


def test_state_projection_gives_one_point_per_token(data):
    learn = build("gru2", data=data, device="cpu")
    proj = state_projection(learn, n_tokens=50, start=7)
    assert proj["coords"].shape == (50, 2)
    assert proj["tokens"] == data.vocab.textify(data.valid[7:57]).split()
    assert proj["slots"] == slot_labels(data.valid[7:57], data.vocab)
    assert 0 < proj["explained"][1] <= proj["explained"][0] <= 1
    assert abs(proj["coords"][:, 0].mean()) < 1e-4  # centred
    fig = plot_state_projection(proj)
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) == len(set(proj["slots"]))
    plt.close(fig)
    with pytest.raises(ValueError, match="rnn"):
        state_projection(build("fc3", data=data, device="cpu"))


# ceiling: tiny streams worked out by hand. Token ids: 0 "x", 1 "y", 2 "z".
# "x y x z x y x z x": after "x" comes "y" twice and "z" twice (a tie), after "y" always "x",
# after "x y" always "x", after "y x" always "z", and so on: one token of context is ambiguous
# only after "x", and two tokens settle everything.
REPEAT = [0, 1, 0, 2, 0, 1, 0, 2, 0]


def test_ceiling_two_rows_by_hand():
    # rows of (9 - 1) // 2 = 4 tokens, starting at 0 and 4. Each row starts on "x": a tie of
    # "y" and "z", right with probability 1/2; after that the context decides: 3.5 per row.
    result = ceiling(REPEAT, rows=2)
    assert result["right"].tolist() == [[0.5, 1, 1, 1], [0.5, 1, 1, 1]]
    assert result["accuracy"] == pytest.approx(7 / 8)
    assert (result["tokens"], result["ties"]) == (8, 2)


def test_ceiling_one_row_and_windows_by_hand():
    assert ceiling(REPEAT, rows=1)["accuracy"] == pytest.approx(7.5 / 8)  # one row start
    # the state emptied every 2 tokens: every window starts on an "x", a tie each time
    assert ceiling(REPEAT, rows=1, window=2)["right"].tolist() == [[0.5, 1] * 4]
    # scored only after two tokens ("x y" or "x z"): always known
    assert ceiling(REPEAT, rows=1, window=2, last_only=True)["accuracy"] == 1.0


def test_ceiling_counts_a_wrong_best_guess():
    # "x z x y x y x": after "x" comes "y" twice and "z" once, so a row that starts with "x"
    # guesses "y", wrong at the first row (the target is "z"). Rows of 3 tokens at 0 and 3.
    result = ceiling([0, 2, 0, 1, 0, 1, 0], rows=2)
    assert result["right"].tolist() == [[0, 1, 1], [1, 1, 1]]
    assert result["accuracy"] == pytest.approx(5 / 6)


def test_ceiling_is_what_the_book_quotes(data):
    # one row: the stream starts with "xxbos", so the whole stream is known at once
    assert ceiling(data.valid, rows=1)["accuracy"] == 1.0
    at_64 = ceiling(data.valid, rows=64)
    assert at_64["tokens"] == 64 * ((len(data.valid) - 1) // 64)
    assert 0.95 < at_64["accuracy"] < 1  # the row starts cost something, not everything
    # where the unavoidable errors sit: the first tokens of the rows
    assert at_64["right"][:, :10].mean() < at_64["right"][:, 10:].mean()


@pytest.mark.parametrize("kwargs, message", [
    ({"rows": 0}, "rows must be a positive int"),
    ({"window": 0}, "window must be a positive int"),
    ({"rows": 2.5}, "rows must be a positive int"),
    ({"last_only": True}, "needs a window"),
    ({"rows": 9}, "9 tokens are too short for 9 rows"),
])
def test_ceiling_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ceiling(REPEAT, **kwargs)
