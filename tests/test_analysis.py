import matplotlib.pyplot as plt
import pytest
import torch

from rnnbook import LMLoader, build
from rnnbook.analysis import (
    SLOTS,
    breakdown,
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
