"""Backpropagation through time by hand (chapter "Inside the models").

:class:`SimpleRNN` is the smallest language model of the book's kind: an embedding, one
``tanh`` cell and an output layer,

    a_t = E[x_t] + W h_{t-1} + b        h_t = tanh(a_t)        z_t = V h_t + c

and :func:`manual_grads` computes the gradient of its mean cross-entropy with the chain
rule alone, no autograd: one loop backwards through time, as Karpathy's min-char-rnn does.
The loop carries ``dh``, the gradient reaching ``h_t`` from the steps after it; each step
multiplies it by the Jacobian ``diag(1 - h_t^2) W`` on its way back, which is why the
gradient reaching far back is a product of many such matrices (:func:`state_jacobians`).
``window`` cuts that loop every ``window`` steps, which is exactly what ``detach`` does to
the state between two batches.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .checks import door, maybe, positive_int

__all__ = ["SimpleRNN", "manual_grads", "state_jacobians"]


class SimpleRNN(nn.Module):
    """Embedding, one ``tanh`` cell, output layer (chapter "Inside the models")."""

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__()
        self.i_h = nn.Embedding(vocab_size, n_hidden)  # E: the input, added to h
        self.h_h = nn.Linear(n_hidden, n_hidden)  # W, b: the state to the next state
        self.h_o = nn.Linear(n_hidden, vocab_size)  # V, c: the state to the scores

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None,
                window: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores (B, T, vocab) and the last state (B, H) for tokens ``x`` (B, T),
        from state ``h`` (zeros if None); ``window``: detach the state every ``window``
        steps."""
        h = torch.zeros(x.shape[0], self.h_h.in_features, dtype=self.h_h.weight.dtype,
                        device=x.device) if h is None else h
        hs = []
        for t in range(x.shape[1]):
            if window is not None and t and t % window == 0:
                h = h.detach()  # truncated backpropagation through time
            h = torch.tanh(self.i_h(x[:, t]) + self.h_h(h))  # (B, H)
            hs.append(h)
        return self.h_o(torch.stack(hs, 1)), h


_ids = functools.partial(checks.token_ids, dim=2)  # (B, T)
_state = maybe(functools.partial(checks.tensor, dim=2))  # (B, H)


@door(model=functools.partial(checks.instance, types=SimpleRNN, what="a SimpleRNN"),
      x=_ids, y=_ids, h0=_state, window=maybe(positive_int))
def manual_grads(model: SimpleRNN, x: torch.Tensor, y: torch.Tensor,
                 h0: torch.Tensor | None = None,
                 window: int | None = None) -> dict[str, torch.Tensor]:
    """The gradient of the mean cross-entropy of ``model`` on tokens ``x`` and targets
    ``y`` (both (B, T)) over every position, by the chain rule, keyed like
    ``model.named_parameters()``. ``h0`` is the state before the first step, taken as a
    constant (a state carried over from the last batch, detached); ``window`` drops the
    terms that reach back across every ``window``-th step, as :meth:`SimpleRNN.forward`
    does with ``detach``."""
    E, W, b = model.i_h.weight, model.h_h.weight, model.h_h.bias
    V, c = model.h_o.weight, model.h_o.bias
    B, T = x.shape
    with torch.no_grad():
        # forward, keeping every state: hs[t + 1] is h_t, hs[0] the state before
        hs = [torch.zeros(B, W.shape[0], dtype=W.dtype) if h0 is None else h0]
        for t in range(T):
            hs.append(torch.tanh(E[x[:, t]] + hs[-1] @ W.T + b))  # (B, H)
        h = torch.stack(hs[1:], 1)  # (B, T, H)
        z = h @ V.T + c  # (B, T, vocab)
        # backward: d(mean loss)/dz is (softmax - one-hot) / (B T)
        dz = (F.softmax(z, -1) - F.one_hot(y, z.shape[-1]).to(z.dtype)) / (B * T)
        grads = {"h_o.weight": torch.einsum("btv,bth->vh", dz, h),  # (vocab, H)
                 "h_o.bias": dz.sum((0, 1)), "i_h.weight": torch.zeros_like(E),
                 "h_h.weight": torch.zeros_like(W), "h_h.bias": torch.zeros_like(b)}
        dh_next = torch.zeros_like(hs[0])  # what reaches h_t from the steps after t
        for t in reversed(range(T)):
            dh = dz[:, t] @ V + dh_next  # (B, H): through the scores, and h_{t+1}
            da = dh * (1 - hs[t + 1] ** 2)  # through tanh
            grads["h_h.weight"] += da.T @ hs[t]
            grads["h_h.bias"] += da.sum(0)
            grads["i_h.weight"].index_add_(0, x[:, t], da)
            dh_next = da @ W  # to h_{t-1}: the Jacobian diag(1 - h_t^2) W, transposed
            if window is not None and t % window == 0:
                dh_next = torch.zeros_like(dh_next)  # h_{t-1} was detached
    return grads


@door(w_hh=functools.partial(checks.tensor, dim=2), states=functools.partial(checks.tensor, dim=2))
def state_jacobians(w_hh: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """The norms (largest singular values) of ``d h_T / d h_{T-k}`` for ``k = 0 .. T - 1``,
    for a ``tanh`` cell with recurrent matrix ``w_hh`` (H, H) that went through
    ``states`` (T, H): the product of one ``diag(1 - h_s^2) w_hh`` per step in between."""
    J = torch.eye(w_hh.shape[0], dtype=w_hh.dtype)  # d h_T / d h_T
    norms = [torch.linalg.matrix_norm(J, 2)]
    for s in range(states.shape[0] - 1, 0, -1):
        J = J @ (torch.diag(1 - states[s] ** 2) @ w_hh)  # d h_T / d h_{s-1}
        norms.append(torch.linalg.matrix_norm(J, 2))
    return torch.stack(norms)
