"""rnnbook.inside: connectivity is causal for every model of the book; neurons correlates
the states with the slots."""

import pytest
import torch

from rnnbook import build, load_human_numbers
from rnnbook.analysis import SLOTS
from rnnbook.inside import coloured_text, connectivity, connectivity_map, neurons
from rnnbook.recipes import lm_keys
from rnnbook.seq2seq import BidirectionalLM


@pytest.fixture(scope="module")
def data():
    return load_human_numbers()


@pytest.mark.parametrize("key", lm_keys())
def test_connectivity_is_zero_after_the_position_for_every_model(key, data):
    learn = build(key, data, seed=0, device="cpu")
    tokens = data.valid[:25]
    position = 12
    whole = connectivity(learn.model, tokens, position, whole=True)
    assert whole.shape == (25,)
    assert torch.all(whole[position + 1:] == 0)  # a causal model never reads the future
    assert whole[position] > 0  # it reads the word it has just read
    assert torch.equal(connectivity(learn, tokens, position), whole[:position + 1])


def test_connectivity_catches_a_model_that_reads_the_future(data):
    """The same check fails a bidirectional language model: it reads words after the one it
    predicts from (chapter "Words to digits")."""
    torch.manual_seed(0)
    model = BidirectionalLM(len(data.vocab), 8)
    whole = connectivity(model, data.valid[:25], 12, whole=True)
    assert torch.all(whole[13:] > 0)


def test_connectivity_map_rows_are_single_predictions(data):
    learn = build("gru2", data, seed=0, device="cpu")
    stream = data.valid[:200]
    rows = connectivity_map(learn.model, stream, [40, 90], back=30)
    assert rows.shape == (2, 30)
    single = connectivity(learn.model, stream[90 - 29:91], 29)
    assert torch.allclose(rows[1], single, rtol=1e-4, atol=1e-7)


def test_neurons_correlates_each_unit_with_each_slot(data):
    learn = build("gru2", data, seed=0, device="cpu")
    stream = data.valid[:400]
    model = learn.model
    result = neurons(model, stream, data.vocab)
    H = result["states"].shape[1]
    assert result["slot_corr"].shape == (H, len(SLOTS))
    assert result["digit_corr"].shape == (H,)
    assert result["slots"][:4] == ["xxbos", "thousands", "thousand", "units"]
    # the correlation is that of the states themselves with the slot
    s = result["states"][:, 3]
    ind = torch.tensor([x == "thousand" for x in result["slots"]], dtype=s.dtype)
    expected = torch.corrcoef(torch.stack([s, ind]))[0, 1]
    assert torch.isclose(result["slot_corr"][3, SLOTS.index("thousand")], expected, atol=1e-5)


def test_coloured_text_colours_each_word():
    out = coloured_text(["eight", "thousand"], [0.5, -1.0], label="unit 3")
    assert out.count("<span") == 2 and "rgb(126,168,240)" in out and 'aria-label="unit 3"' in out
    with pytest.raises(ValueError, match="one value per word"):
        coloured_text(["a"], [1.0, 2.0])
