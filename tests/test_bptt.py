"""rnnbook.bptt: the gradient written with the chain rule equals autograd's."""

import pytest
import torch
import torch.nn.functional as F

from rnnbook.bptt import SimpleRNN, manual_grads, state_jacobians


def _model(vocab=11, hidden=7, seed=0):
    torch.manual_seed(seed)
    return SimpleRNN(vocab, hidden).double()


def _autograd(model, x, y, h0=None, window=None):
    model.zero_grad()
    out, _ = model(x, h0, window)
    F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1)).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def _close(a, b):
    assert a.keys() == b.keys()
    for n in a:
        scale = b[n].abs().max().clamp_min(1e-300)
        assert (a[n] - b[n]).abs().max() / scale < 1e-10, n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_manual_grads_equal_autograd(seed):
    model = _model(seed=seed)
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randint(11, (4, 9), generator=g), torch.randint(11, (4, 9), generator=g)
    _close(manual_grads(model, x, y), _autograd(model, x, y))


def test_a_carried_detached_state_and_truncation_match_autograd():
    model = _model()
    g = torch.Generator().manual_seed(3)
    x, y = torch.randint(11, (3, 12), generator=g), torch.randint(11, (3, 12), generator=g)
    with torch.no_grad():  # the state the last window ended with, carried over detached
        _, h0 = model(torch.randint(11, (3, 5), generator=g))
    _close(manual_grads(model, x, y, h0=h0), _autograd(model, x, y, h0=h0))
    _close(manual_grads(model, x, y, window=4), _autograd(model, x, y, window=4))


def test_truncation_drops_terms_that_full_backprop_keeps():
    model = _model()
    g = torch.Generator().manual_seed(4)
    x, y = torch.randint(11, (3, 12), generator=g), torch.randint(11, (3, 12), generator=g)
    full, cut = manual_grads(model, x, y), manual_grads(model, x, y, window=4)
    assert (full["h_h.weight"] - cut["h_h.weight"]).abs().max() > 1e-6  # something dropped
    assert torch.equal(full["h_o.weight"], cut["h_o.weight"])  # the output layer: no time


def test_state_jacobians_match_autograd_jacobians():
    torch.manual_seed(0)
    w = torch.randn(5, 5, dtype=torch.double) * 0.5
    xs = torch.randn(6, 5, dtype=torch.double)
    h0 = torch.zeros(5, dtype=torch.double)

    def run(h_start, start):
        h = h_start
        for t in range(start, 6):
            h = torch.tanh(xs[t] + w @ h)
        return h

    states, h = [], h0
    for t in range(6):
        h = torch.tanh(xs[t] + w @ h)
        states.append(h)
    states = torch.stack(states)
    norms = state_jacobians(w, states)
    assert len(norms) == 6 and norms[0] == 1
    for k in range(1, 6):  # d h_5 / d h_{5-k}, by autograd
        J = torch.autograd.functional.jacobian(lambda s, k=k: run(s, 6 - k), states[5 - k])
        assert torch.isclose(norms[k], torch.linalg.matrix_norm(J, 2), rtol=1e-10)
