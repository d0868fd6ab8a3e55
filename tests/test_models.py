import pytest
import torch

from rnnbook import models
from rnnbook.recipes import RECIPES

V, H, BS = 40, 16, 4


def make(key, **kw):
    return RECIPES[key].make(V, H, **kw)


@pytest.mark.parametrize("key", ["fc3", "loop3"])
def test_last_token_models_give_one_prediction_per_row(key):
    m = make(key)
    assert m.predicts_last
    assert m(torch.randint(0, V, (BS, 3))).shape == (BS, V)


def test_fully_connected_refuses_other_lengths():
    with pytest.raises(AssertionError, match="exactly 3 tokens"):
        make("fc3")(torch.randint(0, V, (BS, 5)))


@pytest.mark.parametrize("key", ["every", "stateful", "rnn", "gru2", "lstm2", "lstm2_reg"])
def test_every_token_models_predict_each_position(key):
    m = make(key)
    assert not m.predicts_last
    assert m(torch.randint(0, V, (BS, 7))).shape == (BS, 7, V)


def test_layer_names_follow_the_lesson():
    names = {n.split(".")[0] for n, _ in make("stateful").named_parameters()}
    assert names == {"i_h", "h_h", "h_o", "bn"}
    assert {"i_h", "rnn", "h_o", "bn"} == {n.split(".")[0] for n, _ in make("gru2").named_parameters()}


def test_the_loop_computes_the_unrolled_steps():
    torch.manual_seed(0)
    loop = make("loop3").eval()
    x = torch.randint(0, V, (BS, 3))
    h = torch.zeros(BS, H)
    for i in range(3):  # written out by hand, one step per token
        h = loop.bn(torch.relu(loop.h_h(h + loop.i_h(x[:, i]))))
    assert torch.allclose(loop(x), loop.h_o(h), atol=1e-6)


@pytest.mark.parametrize("key", ["stateful", "rnn", "gru2", "lstm2", "lstm2_reg"])
def test_state_carries_across_batches_and_is_detached(key):
    torch.manual_seed(0)
    m = make(key).eval()
    x1, x2 = torch.randint(0, V, (BS, 5)), torch.randint(0, V, (BS, 5))
    m.reset()
    m(x1)
    state = m.h if isinstance(m.h, tuple) else (m.h,)
    assert all(s is not None and not s.requires_grad and s.grad_fn is None for s in state)
    carried = m(x2)
    m.reset()
    fresh = m(x2)
    assert not torch.allclose(carried, fresh), "the second batch should see the first batch's state"
    m.reset()
    assert torch.allclose(m(x2), fresh), "reset should give back the zero state"


def test_state_restarts_when_the_batch_size_changes():
    m = make("gru2").eval()
    m(torch.randint(0, V, (BS, 5)))
    assert m(torch.randint(0, V, (BS + 1, 5))).shape == (BS + 1, 5, V)


def test_regularized_lstm_ties_weights_and_adds_a_penalty_only_in_training():
    m = make("lstm2_reg")
    assert m.h_o.weight is m.i_h.weight
    m.train()
    m(torch.randint(0, V, (BS, 6)))
    assert m.extra_loss.item() > 0 and m.extra_loss.requires_grad
    with pytest.raises(ValueError, match="dropout"):
        models.RegularizedLSTM(V, H, p=1.5)


def test_batchnorm_flat_normalises_features_over_batch_and_time():
    bn = models.BatchNorm1dFlat(3)
    x = torch.randn(4, 5, 3) * 7 + 2
    y = bn(x)
    assert y.shape == x.shape
    assert torch.allclose(y.reshape(-1, 3).mean(0), torch.zeros(3), atol=1e-5)
