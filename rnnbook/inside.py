"""What a trained model looks back at, and what its units track (chapter "Inside the models").

- :func:`connectivity`: for one prediction, how much each earlier input mattered: the norm
  of the gradient of the predicted word's log-probability with respect to each input
  embedding (Distill's "Visualizing memorization in RNNs" calls it connectivity).
  :func:`connectivity_map` averages it over many predictions, each read from an empty state.
- :func:`neurons`: how strongly each hidden unit's activation follows the slot of the
  current word (thousands digit, "thousand", hundreds digit, ...) and the thousands digit
  of the number being read; :func:`coloured_text` shows one unit's activation over a text, a
  colour per word, as Karpathy's "The Unreasonable Effectiveness of Recurrent Neural
  Networks" does.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence

import torch
from torch import nn

from . import checks
from .analysis import SLOTS, slot_labels
from .checks import door
from .data import Vocab

__all__ = ["connectivity", "connectivity_map", "neurons", "coloured_text"]

LAST_ONLY_WINDOW = 3
"""The tokens a model that predicts the last token of a window (``fc3``, ``loop3``) reads."""


def _model(name: str, value: object) -> nn.Module:
    model = getattr(value, "model", value)  # a Learner, or its model
    if not isinstance(model, nn.Module) or not isinstance(getattr(model, "i_h", None), nn.Embedding):
        checks.refuse(name, value, "a model of the book (or its Learner): an nn.Module whose "
                      "input embedding is i_h", wrong_type=True)
    return model


def _embedding_grads(model: nn.Module, x: torch.Tensor, position: int) -> torch.Tensor:
    """The norm of d(log p of the predicted word at ``position``)/d(embedding) at every
    input of every row of ``x`` (N, T): (N, T). Each row is read from an empty state."""
    model.eval()
    reset = getattr(model, "reset", None)
    if callable(reset):
        reset()
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []  # (token ids, embeddings) per call
    hook = model.i_h.register_forward_hook(lambda m, inputs, out: calls.append((inputs[0], out)))
    try:
        with torch.enable_grad():
            out = model(x)  # (N, T, vocab), or (N, vocab) for a last-token model
            scores = out if out.dim() == 2 else out[:, position]
            best = scores.log_softmax(-1).max(-1).values.sum()  # rows are independent
            grads = torch.autograd.grad(best, [e for _, e in calls], allow_unused=True)
    finally:
        hook.remove()
        if callable(reset):
            reset()
    N, T = x.shape
    grad = torch.zeros(N, T, model.i_h.embedding_dim)
    steps = []
    for (ids, e), g in zip(calls, grads, strict=True):
        g = torch.zeros_like(e) if g is None else g
        if ids.dim() == 1:  # one call per step (the loops): (N, H) each, in order
            steps.append(g)
        elif ids.shape == x.shape:  # the whole window at once (a model may embed it twice)
            grad += g
        else:  # the window cut into pieces and padded (the transformer)
            grad += g.reshape(N, -1, g.shape[-1])[:, :T]
    if steps:
        grad += torch.stack(steps, 1)
    return grad.norm(dim=-1).detach()


@door(model=_model, whole=checks.boolean)
def connectivity(model: nn.Module, tokens: torch.Tensor | Sequence[int], position: int,
                 whole: bool = False) -> torch.Tensor:
    """For the prediction a model makes after reading ``tokens[:position + 1]`` (from an
    empty state): the norm of the gradient of its log-probability with respect to each
    input embedding, shape ``(position + 1,)`` (``whole``: one value for every token of
    ``tokens``, those after ``position`` included, which a causal model never reads, so
    they are zero). A model that reads a window and predicts its last token (``fc3``,
    ``loop3``) reads the three tokens ending at ``position``."""
    model = getattr(model, "model", model)
    tokens = checks.token_ids("tokens", tokens, below=model.i_h.num_embeddings)
    position = checks.integer("position", position, 0, len(tokens) - 1)
    if getattr(model, "predicts_last", False):
        start = max(0, position + 1 - LAST_ONLY_WINDOW)
        g = torch.zeros(len(tokens))
        window = tokens[None, start:position + 1]  # (1, up to 3)
        g[start:position + 1] = _embedding_grads(model, window, -1)[0]
    else:
        g = _embedding_grads(model, tokens[None], position)[0]
    return g if whole else g[:position + 1]


@door(model=_model)
def connectivity_map(model: nn.Module, stream: torch.Tensor, positions: Sequence[int],
                     back: int = 30) -> torch.Tensor:
    """:func:`connectivity` for the prediction after each of ``positions`` of ``stream``,
    each reading the ``back`` tokens that end there (from an empty state), in one batch:
    (len(positions), back); column ``back - 1`` is the token just read."""
    model = getattr(model, "model", model)
    stream = checks.token_ids("stream", stream, below=model.i_h.num_embeddings)
    back = checks.integer("back", back, 1, len(stream))
    positions = [checks.integer(f"positions[{i}]", p, back - 1, len(stream) - 1)
                 for i, p in enumerate(checks.iterable("positions", positions, "a list of positions"))]
    if not positions:
        checks.refuse("positions", positions, "a list of at least one position")
    rows = torch.stack([stream[p + 1 - back:p + 1] for p in positions])  # (N, back)
    if getattr(model, "predicts_last", False):
        out = torch.zeros(len(positions), back)
        out[:, -LAST_ONLY_WINDOW:] = _embedding_grads(model, rows[:, -LAST_ONLY_WINDOW:], -1)
        return out
    return _embedding_grads(model, rows, back - 1)


def _states(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The top layer's states (T, H) as ``model`` reads ``x`` (1, T) from an empty state."""
    model.eval()
    reset = getattr(model, "reset", None)
    if callable(reset):
        reset()
    seen: list[torch.Tensor] = []
    rnn = getattr(model, "rnn", None)
    hook = rnn.register_forward_hook(lambda m, i, out: seen.append(out[0])) if rnn is not None else None
    try:
        with torch.no_grad():
            model(x)
    finally:
        if hook is not None:
            hook.remove()
        if callable(reset):
            reset()
    states = seen[0] if seen else getattr(model, "hidden", None)
    if states is None:
        raise ValueError(f"model: a {type(model).__name__} has no recurrent layer (rnn) "
                         "or hidden states to read")
    return states[0].detach()


def _corr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of each column of ``a`` (T, H) with ``b`` (T,): (H,)."""
    b = b.to(a.dtype)
    a, b = a - a.mean(0), b - b.mean()
    return (a * b[:, None]).sum(0) / (a.norm(dim=0) * b.norm()).clamp_min(1e-12)


@door(model=_model, vocab=functools.partial(checks.instance, types=Vocab, what="a Vocab"))
def neurons(model: nn.Module, stream: torch.Tensor, vocab: Vocab) -> dict:
    """What each hidden unit of ``model``'s top layer tracks as it reads ``stream`` (a 1-D
    stream of the book's token ids, from an empty state).

    Returns ``states`` (T, H), ``slots`` (the slot of each token, :data:`~rnnbook.analysis.SLOTS`),
    ``slot_corr`` (H, slots): the correlation of each unit's activation with "the current
    word is in this slot" (1 or 0), and ``digit_corr`` (H,): its correlation with the
    thousands digit of the number being read, as a number (1 to 9; 0 before the first)."""
    model = getattr(model, "model", model)
    stream = checks.token_ids("stream", stream, below=len(vocab))
    states = _states(model, stream[None])  # (T, H)
    slots = slot_labels(stream, vocab)
    digits, digit = [], 0
    for word, slot in zip(vocab.textify(stream.tolist()).split(), slots, strict=True):
        if slot == "thousands":
            digit = _DIGIT[word]
        digits.append(digit)
    slot_corr = torch.stack([_corr(states, torch.tensor([s == name for s in slots]))
                             for name in SLOTS], 1)  # (H, slots)
    digit_corr = _corr(states, torch.tensor(digits, dtype=torch.float))
    return {"states": states, "slots": slots, "slot_corr": torch.nan_to_num(slot_corr),
            "digit_corr": torch.nan_to_num(digit_corr)}


_DIGIT = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}


def coloured_text(words: Sequence[str], values: torch.Tensor | Sequence[float],
                  label: str = "") -> str:
    """HTML: each word of ``words`` on a background coloured by its value in ``values``
    (-1 blue, 0 white, +1 orange, scaled to the largest size), in dark text: light chips
    that read in light and dark mode; the value in each word's title."""
    words = checks.strings("words", words, empty=True)
    label = checks.text("label", label)
    values = values.tolist() if isinstance(values, torch.Tensor) else values
    values = [checks.number(f"values[{i}]", v, -1e9, 1e9)
              for i, v in enumerate(checks.iterable("values", values, "a list of numbers"))]
    if len(values) != len(words):
        checks.refuse("values", values, f"one value per word ({len(words)})")
    top = max((abs(v) for v in values), default=1.0) or 1.0
    spans = []
    for w, v in zip(words, values, strict=True):
        a = 0.6 * min(1.0, abs(v) / top)  # at most 60% colour on white: dark text reads
        rgb = (230, 120, 20) if v > 0 else (40, 110, 230)
        bg = ",".join(str(round(255 * (1 - a) + c * a)) for c in rgb)
        spans.append(f'<span style="background:rgb({bg});color:#111;padding:0 1px" '
                     f'title="{v:+.2f}">{html.escape(w)}</span>')
    aria = f' aria-label="{html.escape(label)}"' if label else ""
    return f'<p class="rnnbook-coloured"{aria} style="line-height:1.9">{" ".join(spans)}</p>'
