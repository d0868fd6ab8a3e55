"""The lesson's models, from one fully connected step to a 2-layer GRU, plus two LSTMs.

Layer names follow the course: ``i_h`` (input to hidden: the green arrow), ``h_h`` (hidden
to hidden: the brown arrow), ``h_o`` (hidden to output: the blue arrow) and ``bn``
(batchnorm). Every size is an argument; nothing is global.

Models that predict only the last token set ``predicts_last = True``; the learner then
scores only ``y[:, -1]``. Stateful models keep their hidden state between batches and have
a ``reset()`` method.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "FullyConnected3",
    "Loop3",
    "EveryToken",
    "Stateful",
    "StatefulRNN",
    "LoopNoBN",
    "RNNNoBN",
    "GRU2",
    "LSTM2",
    "RegularizedLSTM",
    "BatchNorm1dFlat",
    "StatefulMixin",
]


class BatchNorm1dFlat(nn.BatchNorm1d):
    """``BatchNorm1d`` over the last dimension of a (batch, time, features) tensor."""

    def __init__(self, num_features: int, *args, **kwargs):
        super().__init__(num_features, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return super().forward(x)
        return super().forward(x.reshape(-1, x.shape[-1])).view(x.shape)


class FullyConnected3(nn.Module):
    """Reads three tokens and predicts the fourth: the same layers, written out three
    times.

    It is the course's ``Model0`` as of course-v3 commit 53aecad, which read three-token
    windows and was scored on the token after them, as this model is (chapter "Three
    words in, one word out").
    """

    predicts_last = True

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__()
        self.i_h = nn.Embedding(vocab_size, n_hidden)  # green arrow
        self.h_h = nn.Linear(n_hidden, n_hidden)  # brown arrow
        self.h_o = nn.Linear(n_hidden, vocab_size)  # blue arrow
        self.bn = nn.BatchNorm1d(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1] == 3, "FullyConnected3 reads exactly 3 tokens"
        h = self.bn(F.relu(self.i_h(x[:, 0])))
        h = h + self.i_h(x[:, 1])
        h = self.bn(F.relu(self.h_h(h)))
        h = h + self.i_h(x[:, 2])
        h = self.bn(F.relu(self.h_h(h)))
        return self.h_o(h)


class Loop3(nn.Module):
    """The same net as a loop: start from a zero hidden state, fold in one token per
    step.

    It predicts the token after the last one it reads: the course's ``Model1``.
    """

    predicts_last = True

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__()
        self.n_hidden = n_hidden
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.h_h = nn.Linear(n_hidden, n_hidden)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.bn = nn.BatchNorm1d(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], self.n_hidden, device=x.device)
        for i in range(x.shape[1]):
            h = h + self.i_h(x[:, i])
            h = self.bn(F.relu(self.h_h(h)))
        return self.h_o(h)


class EveryToken(nn.Module):
    """Predicts after every token, not just the last one; the state restarts at each
    batch."""

    predicts_last = False

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__()
        self.n_hidden = n_hidden
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.h_h = nn.Linear(n_hidden, n_hidden)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.bn = nn.BatchNorm1d(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], self.n_hidden, device=x.device)
        outs = []
        for i in range(x.shape[1]):
            h = h + self.i_h(x[:, i])
            h = F.relu(self.h_h(h))
            outs.append(self.h_o(self.bn(h)))
        return torch.stack(outs, dim=1)


class StatefulMixin:
    """Keeps the hidden state between batches, detached (truncated backpropagation
    through time).

    The state starts as zeros; it is zeroed again by :meth:`reset` or when the batch
    size changes.
    """

    predicts_last = False
    h: torch.Tensor | tuple[torch.Tensor, ...] | None = None

    def reset(self) -> None:
        """Forget the hidden state: the next batch starts from zeros."""
        self.h = None

    def _state(self, x: torch.Tensor, shape: tuple[int, ...], n: int = 1
               ) -> tuple[torch.Tensor, ...]:
        """The kept state (``n`` tensors of ``shape`` with the batch size filled in), or
        zeros."""
        state = self.h if isinstance(self.h, tuple) else (self.h,)
        if state[0] is None or state[0].shape != shape or state[0].device != x.device:
            return tuple(torch.zeros(shape, device=x.device) for _ in range(n))
        return state

    def _keep(self, *state: torch.Tensor) -> None:
        detached = tuple(s.detach() for s in state)
        self.h = detached if len(detached) > 1 else detached[0]


class Stateful(StatefulMixin, nn.Module):
    """:class:`EveryToken` that carries its hidden state over to the next batch."""

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__()
        self.n_hidden = n_hidden
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.h_h = nn.Linear(n_hidden, n_hidden)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.bn = BatchNorm1dFlat(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h,) = self._state(x, (x.shape[0], self.n_hidden))
        hs = []
        for i in range(x.shape[1]):
            h = h + self.i_h(x[:, i])
            h = F.relu(self.h_h(h))
            hs.append(h)
        self._keep(h)
        return self.h_o(self.bn(torch.stack(hs, dim=1)))


class StatefulRNN(StatefulMixin, nn.Module):
    """The stateful loop written with PyTorch's ``nn.RNN`` (the loop runs in
    C++/CUDA); ``n_layers`` stacks layers, each reading the states of the one below."""

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 1):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.RNN(n_hidden, n_hidden, n_layers, batch_first=True)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.bn = BatchNorm1dFlat(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h,) = self._state(x, (self.n_layers, x.shape[0], self.n_hidden))
        res, h = self.rnn(self.i_h(x), h)
        self._keep(h)
        return self.h_o(self.bn(res))


class LoopNoBN(Stateful):
    """fastbook's ``LMModel4`` (chapter "Gates"): :class:`Stateful` without the
    batchnorm."""

    def __init__(self, vocab_size: int, n_hidden: int = 64):
        super().__init__(vocab_size, n_hidden)
        self.bn = nn.Identity()


class RNNNoBN(StatefulRNN):
    """fastbook's ``LMModel5`` (chapter "Gates"): :class:`StatefulRNN` without the
    batchnorm."""

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 1):
        super().__init__(vocab_size, n_hidden, n_layers)
        self.bn = nn.Identity()


class GRU2(StatefulMixin, nn.Module):
    """A stateful 2-layer GRU: gates decide how much of the old state to keep."""

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.GRU(n_hidden, n_hidden, n_layers, batch_first=True)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.bn = BatchNorm1dFlat(n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h,) = self._state(x, (self.n_layers, x.shape[0], self.n_hidden))
        res, h = self.rnn(self.i_h(x), h)
        self._keep(h)
        return self.h_o(self.bn(res))


class LSTM2(StatefulMixin, nn.Module):
    """A stateful 2-layer LSTM (fastbook's ``LMModel6``): a cell state beside the hidden
    state."""

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.LSTM(n_hidden, n_hidden, n_layers, batch_first=True)
        self.h_o = nn.Linear(n_hidden, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (self.n_layers, x.shape[0], self.n_hidden)
        res, (h, c) = self.rnn(self.i_h(x), self._state(x, shape, n=2))
        self._keep(h, c)
        return self.h_o(res)


class RegularizedLSTM(StatefulMixin, nn.Module):
    """fastbook's ``LMModel7``: a 2-layer LSTM with dropout, AR, TAR and weight tying.

    - dropout ``p`` on the LSTM's output;
    - activation regularisation (AR): ``alpha`` times the mean square of the dropped-out
      output, so activations stay small;
    - temporal activation regularisation (TAR): ``beta`` times the mean square of the
      change of the raw output from one step to the next, so activations change
      smoothly;
    - weight tying: ``h_o`` shares its weight matrix with the embedding ``i_h``.

    In training mode, ``forward`` leaves the AR + TAR penalty in ``self.extra_loss``;
    the learner adds it to the loss.
    """

    def __init__(self, vocab_size: int, n_hidden: int = 64, n_layers: int = 2,
                 p: float = 0.4, alpha: float = 2.0, beta: float = 1.0):
        super().__init__()
        self.n_hidden, self.n_layers = n_hidden, n_layers
        self.alpha, self.beta = alpha, beta
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.LSTM(n_hidden, n_hidden, n_layers, batch_first=True)
        self.drop = nn.Dropout(p)
        self.h_o = nn.Linear(n_hidden, vocab_size)
        self.h_o.weight = self.i_h.weight  # weight tying
        self.extra_loss = torch.tensor(0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (self.n_layers, x.shape[0], self.n_hidden)
        raw, (h, c) = self.rnn(self.i_h(x), self._state(x, shape, n=2))
        self._keep(h, c)
        out = self.drop(raw)
        if self.training:
            ar = out.pow(2).mean()
            if raw.shape[1] > 1:
                tar = (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
            else:
                tar = raw.new_zeros(())
            self.extra_loss = self.alpha * ar + self.beta * tar
        return self.h_o(out)
