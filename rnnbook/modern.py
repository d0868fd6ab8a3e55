"""RNNs today (chapter "RNNs today"): minGRU and minLSTM, trained with a parallel scan
and run step by step, and a small causal transformer, all on the book's task.

minGRU and minLSTM are the recurrent cells of Feng et al., "Were RNNs All We Needed?"
(2024). Their gates read only the current input ``x_t``, never the state, so one layer
is the linear recurrence ``h_t = a_t * h_{t-1} + b_t`` with ``a_t`` and ``b_t`` computed
from ``x_t`` alone. A recurrence of that form can be computed for all ``t`` at once:

- :func:`parallel_scan` combines neighbouring steps in ``log2(T)`` rounds (a
  Hillis-Steele scan). It only multiplies and adds numbers in ``[0, 1]`` and the values
  themselves, never divides, so a long run of small ``a_t`` rounds to zero, as it
  should, instead of overflowing (the closed form ``h_t = A_t (h_0 + sum_s b_s / A_s)``,
  with ``A_t`` the product of the ``a``'s, divides by numbers that underflow after a few
  hundred steps);
- :func:`log_scan` is the paper's form (Heinsen's scan in log space, for positive
  ``h``): safe from underflow too, but its float32 error grows with the summed
  log-decay, which the chapter measures.

Training runs :func:`parallel_scan` over the window; inference (evaluation mode) runs
the same cell one step at a time, and every model carries its state from one window to
the next like the lesson's stateful models.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import door, maybe, tensor
from .models import StatefulMixin

__all__ = ["g", "log_g", "parallel_scan", "log_scan", "sequential_scan", "MinLayer",
           "MinGRULayer", "MinLSTMLayer", "MinGRU", "MinLSTM", "CausalTransformer",
           "Attention", "Block", "MAX_CONTEXT"]


@door(x=tensor)
def g(x: torch.Tensor) -> torch.Tensor:
    """The paper's positive activation for the candidate state: ``x + 0.5`` for
    ``x >= 0``, ``sigmoid(x)`` below (continuous, always > 0, so ``h`` stays
    positive)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


@door(x=tensor)
def log_g(x: torch.Tensor) -> torch.Tensor:
    """``log(g(x))``, computed without taking the log of a small number."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def _bth(name: str, value: object) -> torch.Tensor:
    return tensor(name, value, 3)  # (B, T, H)


def _bh(name: str, value: object) -> torch.Tensor:
    return tensor(name, value, 2)  # (B, H)


@door(**{n: _bth for n in ("a", "b", "log_a", "log_b")}, h0=maybe(_bh))
def parallel_scan(a: torch.Tensor, b: torch.Tensor,
                  h0: torch.Tensor | None = None) -> torch.Tensor:
    """All ``h_t = a_t * h_{t-1} + b_t`` of ``a``, ``b`` (B, T, H) along time, in
    ``ceil(log2(T))`` rounds; ``h0`` (B, H) is the state before the first step (zeros if
    None). Round ``k`` turns each step into the composite of the ``2**k`` steps ending
    at it: two steps ``(a1, b1)`` then ``(a2, b2)`` make ``(a1 * a2, a2 * b1 + b2)``."""
    assert a.shape == b.shape  # (B, T, H)
    if h0 is not None:
        b = torch.cat([b[:, :1] + a[:, :1] * h0[:, None], b[:, 1:]], 1)
    span = 1
    while span < a.shape[1]:
        # (B, T - span, H): the composite ending span steps earlier, then this one
        b = torch.cat([b[:, :span], a[:, span:] * b[:, :-span] + b[:, span:]], 1)
        a = torch.cat([a[:, :span], a[:, span:] * a[:, :-span]], 1)
        span *= 2
    return b


@door(**{n: _bth for n in ("a", "b", "log_a", "log_b")}, h0=maybe(_bh))
def log_scan(log_a: torch.Tensor, log_b: torch.Tensor,
             h0: torch.Tensor | None = None) -> torch.Tensor:
    """The paper's scan in log space (Heinsen 2023), for positive ``b`` and ``h0``:
    ``h_t = exp(A_t + logcumsumexp(log b_s - A_s))`` with ``A_t = cumsum log a``."""
    assert log_a.shape == log_b.shape  # (B, T, H)
    if h0 is not None:
        log_b = torch.cat([torch.log(h0)[:, None], log_b], 1)
        log_a = F.pad(log_a, (0, 0, 1, 0))
    a_star = log_a.cumsum(1)  # (B, T, H)
    h = torch.exp(a_star + (log_b - a_star).logcumsumexp(1))
    return h if h0 is None else h[:, 1:]


@door(**{n: _bth for n in ("a", "b", "log_a", "log_b")}, h0=maybe(_bh))
def sequential_scan(a: torch.Tensor, b: torch.Tensor,
                    h0: torch.Tensor | None = None) -> torch.Tensor:
    """The same recurrence one step at a time (the reference for the scans)."""
    assert a.shape == b.shape  # (B, T, H)
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, 1)


class MinLayer(nn.Module):
    """A layer whose step is ``h_t = a_t * h_{t-1} + b_t``, ``a`` and ``b`` from ``x_t``
    alone (subclasses say how, in :meth:`coefficients`)."""

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``a`` (keep) and ``b`` (write) of each step of ``x``, both (B, T, H)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None,
                parallel: bool = True) -> torch.Tensor:
        """The states after each step of ``x`` (B, T, n_in): (B, T, H); ``parallel``:
        by :func:`parallel_scan`, else one step at a time."""
        a, b = self.coefficients(x)
        return (parallel_scan if parallel else sequential_scan)(a, b, h0)


class MinGRULayer(MinLayer):
    """One minGRU layer: ``z_t = sigmoid(lin_z(x_t))``, ``h~_t = g(lin_h(x_t))``,
    ``h_t = (1 - z_t) h_{t-1} + z_t h~_t``. Neither reads ``h_{t-1}``."""

    def __init__(self, n_in: int, n_hidden: int):
        super().__init__()
        self.lin_z = nn.Linear(n_in, n_hidden)
        self.lin_h = nn.Linear(n_in, n_hidden)

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.sigmoid(self.lin_z(x))
        return 1 - z, z * g(self.lin_h(x))


class MinLSTMLayer(MinLayer):
    """One minLSTM layer: forget and input gates from ``x_t`` alone, normalised to sum
    to one, ``h_t = f'_t h_{t-1} + i'_t h~_t`` with ``f' = f / (f + i)`` and
    ``i' = i / (f + i)``."""

    def __init__(self, n_in: int, n_hidden: int):
        super().__init__()
        self.lin_f = nn.Linear(n_in, n_hidden)
        self.lin_i = nn.Linear(n_in, n_hidden)
        self.lin_h = nn.Linear(n_in, n_hidden)

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # log f - log i from the logits (f = sigmoid(lin_f(x)), i likewise): no division
        diff = F.softplus(-self.lin_f(x)) - F.softplus(-self.lin_i(x))
        return torch.sigmoid(-diff), torch.sigmoid(diff) * g(self.lin_h(x))


class MinGRU(StatefulMixin, nn.Module):
    """A stateful language model of ``n_layers`` minGRU blocks.

    Each block is a pre-norm residual block, as in :class:`CausalTransformer` (and, with
    an RMSNorm and a wider cell, in the language model of minGRU-pytorch, the reference
    implementation): ``x + cell(ln1(x))``, then ``x + mlp(ln2(x))`` (an MLP of width
    ``2 * n_hidden``), so the two models differ mainly in how a position learns about
    earlier ones: a minGRU cell here, attention there. Then the output layer. The
    chapter's recipe stacks 3 blocks of width 52 (``benchmarks/tune_modern.py``).

    Training mode runs each cell's parallel scan over the window; evaluation mode runs
    the cells step by step (``parallel`` overrides that). The cells' last states are
    kept for the next window, as in every stateful model of the book."""

    layer = MinGRULayer

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.blocks = nn.ModuleList(
            [Block(n_hidden, self.layer(n_hidden, n_hidden), mlp=2)
             for _ in range(n_layers)])
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.parallel: bool | None = None  # None: parallel when training

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h,) = self._state(x, (self.n_layers, x.shape[0], self.n_hidden))
        parallel = self.training if self.parallel is None else self.parallel
        res, last = self.i_h(x), []  # (B, T, H)
        for block, h0 in zip(self.blocks, h, strict=True):
            states = block.mixer(block.ln1(res), h0, parallel=parallel)  # (B, T, H)
            last.append(states[:, -1])
            res = block.feed_forward(res + states)
        self._keep(torch.stack(last))  # (n_layers, B, H)
        self.hidden = states  # the top cell's states, for the playground
        return self.h_o(res)


class MinLSTM(MinGRU):
    """:class:`MinGRU` with minLSTM cells."""

    layer = MinLSTMLayer


class CausalTransformer(nn.Module):
    """A small decoder-only transformer whose context is its window.

    Token embedding plus a learned embedding per position (``context`` positions), then
    ``n_layers`` pre-norm blocks (causal multi-head self-attention, then a ReLU MLP of
    width ``4 * n_hidden``, each added to its input), a final LayerNorm and the output
    layer. Position ``t`` attends to positions ``0..t`` of its window only. It keeps no
    state: a longer input is cut into windows of ``context`` tokens, each read from
    scratch, exactly as training and validation hand it windows of ``bptt`` tokens.
    """

    predicts_last = False

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2,
                 n_heads: int = 4, context: int = 20, p: float = 0.1):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        assert n_hidden % n_heads == 0, "n_hidden must be a multiple of n_heads"
        self.n_heads, self.context = n_heads, context
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.pos = nn.Embedding(context, n_hidden)
        self.blocks = nn.ModuleList([Block(n_hidden, Attention(n_hidden, n_heads), p)
                                     for _ in range(n_layers)])
        self.norm = nn.LayerNorm(n_hidden)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.drop = nn.Dropout(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bs, T = x.shape
        n = math.ceil(T / self.context)
        pad = n * self.context - T  # the last window's tail (no earlier token sees it)
        x = F.pad(x, (0, pad)).view(bs * n, self.context)  # (B * windows, context)
        res = self.drop(self.i_h(x) + self.pos.weight)  # (B * windows, context, H)
        for block in self.blocks:
            res = block(res)
        res = self.norm(res).view(bs, n * self.context, -1)[:, :T]  # (B, T, H)
        self.hidden = res  # for the playground
        return self.h_o(res)


MAX_CONTEXT = 4096
"""The longest window a :class:`CausalTransformer` reads (the book's read 20)."""


class Attention(nn.Module):
    """Causal multi-head self-attention: position ``t`` reads positions ``0..t``."""

    def __init__(self, n_hidden: int, n_heads: int):
        super().__init__()
        assert n_hidden % n_heads == 0, "n_hidden must be a multiple of n_heads"
        self.n_heads = n_heads
        self.qkv = nn.Linear(n_hidden, 3 * n_hidden)
        self.proj = nn.Linear(n_hidden, n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bs, T, H = x.shape
        # (B, heads, T, H / heads) each
        q, k, v = (t.view(bs, T, self.n_heads, -1).transpose(1, 2)
                   for t in self.qkv(x).chunk(3, -1))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(bs, T, H))


class Block(nn.Module):
    """A pre-norm residual block: ``x + mixer(ln1(x))``, then ``x + mlp(ln2(x))``. The
    mixer (attention, or a minGRU/minLSTM cell) is what lets a position read earlier
    ones; the MLP (width ``mlp * n_hidden``, ReLU) works on each position alone."""

    def __init__(self, n_hidden: int, mixer: nn.Module, p: float = 0.0, mlp: int = 4):
        super().__init__()
        self.mixer = mixer
        self.ln1, self.ln2 = nn.LayerNorm(n_hidden), nn.LayerNorm(n_hidden)
        self.mlp = nn.Sequential(nn.Linear(n_hidden, mlp * n_hidden), nn.ReLU(),
                                 nn.Linear(mlp * n_hidden, n_hidden))
        self.drop = nn.Dropout(p)

    def feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x + mlp(ln2(x))``."""
        return x + self.drop(self.mlp(self.ln2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.feed_forward(x + self.drop(self.mixer(self.ln1(x))))
