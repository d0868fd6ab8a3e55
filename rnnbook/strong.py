"""Beyond the lesson: a GRU that can look back and copy.

When we count, the next number is mostly the previous one said again: "eight thousand one
hundred twelve , eight thousand one hundred thirteen". A GRU has to carry "eight" in its
state across the whole number and, worse, has never seen "eight thousand" in training, so
it guesses. :class:`CopyGRU` adds a pointer: at each position it attends to the positions it
has already read (those of the current window and a detached memory of the previous
window) and proposes to copy the token that *followed* the position it attends to. Copying
does not care which word it copies, so it works for words the model never saw in that slot.
A learned gate mixes the copy proposal with the GRU's own prediction (which handles what
changes from one number to the next: the units word, the carries).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .models import StatefulMixin

__all__ = ["CopyGRU"]


class CopyGRU(StatefulMixin, nn.Module):
    """A stateful GRU with a copy head (pointer-generator) over the recent tokens.

    - ``i_h``, ``rnn``, ``h_o``: the GRU language model of the lesson (the *generator*);
    - ``q``, ``k``: a query from the state at position ``t`` and keys from the states at
      earlier positions ``s``; the weights ``softmax(q·k / sqrt(d) + bias[t - s])`` say which
      earlier position is "the same place in the previous number";
    - the copy distribution puts each weight on the token that followed ``s`` (token
      ``s + 1 <= t``, so a prediction never sees its own target);
    - ``gate``: how much to trust the copy, from the state and the copied token.

    The output is the log of the mixed probabilities (rows sum to one), so the learner's
    cross-entropy and argmax work unchanged. ``mem_len`` positions of the previous window
    (states detached, tokens) are kept so attention at the start of a window still sees
    the previous number; ``reset()`` forgets them with the GRU state.
    """

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 1, d_key: int = 32,
                 mem_len: int = 24, p: float = 0.1):
        super().__init__()
        self.n_hidden, self.n_layers, self.mem_len = n_hidden, n_layers, mem_len
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.GRU(n_hidden, n_hidden, n_layers, batch_first=True)
        self.drop = nn.Dropout(p)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.q = nn.Linear(2 * n_hidden, d_key)
        self.k = nn.Linear(2 * n_hidden, d_key)
        self.dist_bias = nn.Parameter(torch.zeros(mem_len + 1))
        self.sink = nn.Parameter(torch.zeros(()))  # logit of "attend nowhere"
        self.gate = nn.Linear(3 * n_hidden, 1)
        self.mem: tuple[torch.Tensor, torch.Tensor] | None = None

    def reset(self) -> None:
        """Forget the GRU state and the memory of the previous window."""
        super().reset()
        self.mem = None

    def _memory(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The kept (tokens, features) of the previous window, or empty ones."""
        if self.mem is None or self.mem[0].shape[0] != x.shape[0] or self.mem[0].device != x.device:
            return x.new_zeros(x.shape[0], 0), torch.zeros(x.shape[0], 0, 2 * self.n_hidden, device=x.device)
        return self.mem

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bs, T = x.shape
        (h,) = self._state(x, (self.n_layers, bs, self.n_hidden))
        emb = self.i_h(x)
        res, h = self.rnn(emb, h)
        self._keep(h)
        res = self.drop(res)
        feats = torch.cat([res, emb], -1)  # (bs, T, 2H): what the model knows at each position
        mem_tok, mem_feats = self._memory(x)
        M = mem_tok.shape[1]
        toks = torch.cat([mem_tok, x], 1)  # (bs, M+T)
        all_feats = torch.cat([mem_feats, feats], 1)
        self.mem = (toks[:, -self.mem_len:], all_feats[:, -self.mem_len:].detach())

        # Position s (in memory + window) proposes token s+1; t (at M+t) may use s < M+t only.
        nxt = toks[:, 1:]  # (bs, M+T-1): the token that followed each position
        keys = self.k(all_feats[:, :-1])
        query = self.q(feats)
        scores = query @ keys.transpose(1, 2) / keys.shape[-1] ** 0.5  # (bs, T, M+T-1)
        t_pos = torch.arange(T, device=x.device)[:, None] + M
        s_pos = torch.arange(M + T - 1, device=x.device)[None, :]
        dist = t_pos - s_pos  # >= 1 where allowed
        allowed = (dist >= 1) & (dist <= self.mem_len)
        scores = scores + self.dist_bias[dist.clamp(0, self.mem_len)]
        scores = scores.masked_fill(~allowed, float("-inf"))
        sink = self.sink.expand(bs, T, 1)
        attn = torch.softmax(torch.cat([sink, scores], -1), -1)[..., 1:]  # weights on the sink dropped
        vocab = self.h_o.out_features
        copy = torch.zeros(bs, T, vocab, device=x.device).scatter_add_(
            2, nxt[:, None, :].expand(bs, T, -1), attn)
        copy = copy / attn.sum(-1, keepdim=True).clamp_min(1e-8)  # a distribution over the vocab
        copied = copy @ self.i_h.weight  # the (expected) embedding of the copied token
        g = torch.sigmoid(self.gate(torch.cat([res, emb, copied], -1))) * attn.sum(-1, keepdim=True)
        probs = g * copy + (1 - g) * F.softmax(self.h_o(res), -1)
        return torch.log(probs.clamp_min(1e-8))
