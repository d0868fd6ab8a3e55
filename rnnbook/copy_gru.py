"""Beyond the lesson: a GRU that can look back and copy.

When we count, the next number mostly repeats the previous one: "eight thousand one hundred
twelve , eight thousand one hundred thirteen". The lesson's GRU must carry "eight" in its
state through the whole number and has never seen "eight thousand" in training (1..7999), so
after "," it guesses the thousands digit, and after "eight" it expects "hundred".

:class:`CopyGRU` adds a copy head, an *induction head*: at each position it looks for an
earlier position that reads the same (same token, same token before it), such as the "," or
the "eight" that began the previous number, and proposes to copy the token that followed
it. The match compares tokens with tokens, whatever they are, so it works for words the
model never saw in that place. A learned gate mixes the copy with the GRU's own prediction,
which handles what changes from one number to the next (the units word, the carries).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .models import StatefulMixin

__all__ = ["CopyGRU"]


class CopyGRU(StatefulMixin, nn.Module):
    """A stateful GRU language model with a copy head over the last ``mem_len`` tokens.

    - ``i_h``, ``rnn``, ``h_o``: the GRU of the lesson, the *generator*;
    - ``q``, ``k``: the query at position ``t`` and the key at an earlier position ``s``
      are made of two blocks, one from the token and one from the token before it; a
      block only meets its own kind (token with token, previous with previous), and a
      learned bias per distance ``t - s`` breaks ties in favour of the previous number;
    - the copy puts the attention weight of ``s`` on the token that *followed* ``s``.
      Only ``s < t`` are attended, so that token is at or before ``t``: a prediction
      never sees its target. A "sink" lets the head attend nowhere (say, at the very
      first token);
    - ``gate``: how much to trust the copy, from the GRU output, the token and the
      copied token; the generator also sees the copied token (``c_h``), so it can, say,
      turn a copied "thirty" into "forty" at the "one hundred" that follows "one hundred
      thirty nine ,".

    The output is the log of the mixed probabilities (each row sums to one), so the
    learner's cross-entropy and accuracy work unchanged. The last ``mem_len + 1`` tokens
    read are kept from one batch to the next, so the head at the start of a window still
    sees the previous number; ``reset()`` forgets them with the GRU state.
    """

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 1,
                 d_key: int = 32, mem_len: int = 24, p: float = 0.1):
        super().__init__()
        self.n_hidden, self.n_layers, self.mem_len = n_hidden, n_layers, mem_len
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.GRU(n_hidden, n_hidden, n_layers, batch_first=True)
        self.drop = nn.Dropout(p)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.c_h = nn.Linear(n_hidden, n_hidden)
        # one block for the token, one for the token before it
        self.q = nn.ModuleList([nn.Linear(n_hidden, d_key), nn.Linear(n_hidden, d_key)])
        self.k = nn.ModuleList([nn.Linear(n_hidden, d_key), nn.Linear(n_hidden, d_key)])
        self.dist_bias = nn.Parameter(torch.zeros(mem_len + 1))
        self.sink = nn.Parameter(torch.zeros(()))  # the score of "attend nowhere"
        self.gate = nn.Linear(3 * n_hidden, 1)
        self.mem: torch.Tensor | None = None  # the last tokens read

    def reset(self) -> None:
        """Forget the GRU state and the memory of the previous window."""
        super().reset()
        self.mem = None

    def _memory(self, x: torch.Tensor) -> torch.Tensor:
        """The kept tokens of the previous windows (none after a reset or a new batch
        size)."""
        mem = self.mem
        if mem is None or mem.shape[0] != x.shape[0] or mem.device != x.device:
            return x.new_zeros(x.shape[0], 0)
        return mem

    def attention(self, toks: torch.Tensor, n_queries: int) -> torch.Tensor:
        """Copy-head weights (bs, n_queries, len - 1) of the last ``n_queries``
        positions of ``toks`` (bs, len) over the positions before them. Weight
        ``[b, t, s]`` goes to the token ``toks[b, s + 1]``; the weights of a row sum to
        at most one (the rest: nowhere)."""
        bs, n = toks.shape
        emb = self.i_h(toks)
        # the token before each token (zeros: unknown)
        prev = torch.cat([torch.zeros_like(emb[:, :1]), emb[:, :-1]], 1)
        blocks = (emb, prev)
        query = torch.cat([q(e[:, n - n_queries:])
                           for q, e in zip(self.q, blocks, strict=True)], -1)
        keys = torch.cat([k(e[:, :-1])
                          for k, e in zip(self.k, blocks, strict=True)], -1)
        # (bs, n_queries, n - 1)
        scores = query @ keys.transpose(1, 2) / keys.shape[-1] ** 0.5
        pos = torch.arange(n, device=toks.device)
        dist = pos[n - n_queries:, None] - pos[None, :-1]  # t - s
        scores = scores + self.dist_bias[dist.clamp(0, self.mem_len)]
        scores = scores.masked_fill((dist < 1) | (dist > self.mem_len), float("-inf"))
        sink = self.sink.expand(bs, n_queries, 1)
        return torch.softmax(torch.cat([sink, scores], -1), -1)[..., 1:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bs, T = x.shape
        (h,) = self._state(x, (self.n_layers, bs, self.n_hidden))
        emb = self.i_h(x)
        res, h = self.rnn(emb, h)
        self._keep(h)
        res = self.drop(res)
        toks = torch.cat([self._memory(x), x], 1)  # memory, then this window
        # one token more than the head reaches back, to know the token before the
        # oldest key
        self.mem = toks[:, -self.mem_len - 1:]

        attn = self.attention(toks, T)
        mass = attn.sum(-1, keepdim=True)
        copy = torch.zeros(bs, T, self.h_o.out_features, device=x.device).scatter_add_(
            2, toks[:, None, 1:].expand(bs, T, -1), attn)
        copy = copy / mass.clamp_min(1e-8)  # sums to one
        copied = copy @ self.i_h.weight  # the (expected) embedding of the copied token
        g = torch.sigmoid(self.gate(torch.cat([res, emb, copied], -1))) * mass
        gen = F.softmax(self.h_o(res + self.c_h(copied)), -1)
        return torch.log((g * copy + (1 - g) * gen).clamp_min(1e-8))
