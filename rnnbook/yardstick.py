"""The yardstick (chapter "Results"): how every model of the book is scored, and the best
any model could score.

- :data:`VALID_ROWS`: every model is validated the lesson's way, on the validation stream
  cut into 64 rows, each read from an empty state, whatever batch size it trains with;
- :func:`one_row_accuracy`: the same model on the whole stream read as one row;
- :func:`ceiling`: the best accuracy any predictor can reach when each row starts from an
  empty state, and where its unavoidable errors sit; :func:`ceiling_for` gives it for what
  one recipe's model sees.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from . import checks
from .checks import positive_int
from .data import HumanNumbers, LMLoader, load_human_numbers
from .learner import Learner
from .models import StatefulMixin

if TYPE_CHECKING:
    from .experiments import Recipe

__all__ = ["VALID_ROWS", "one_row_accuracy", "ceiling", "ceiling_for"]

VALID_ROWS = 64
"""The rows every model is validated on: the lesson's batch size."""


def one_row_accuracy(learn: Learner, data: HumanNumbers | None = None) -> float:
    """The accuracy of a trained learner on the whole validation stream read as one row
    (one reset, at the start), with the windows of its validation batches."""
    checks.instance("learn", learn, Learner, "a Learner")
    _data(data)
    data = data if data is not None else load_human_numbers()
    dl = learn.valid_dl
    return learn.validate(LMLoader(data.valid, 1, dl.bptt, dl.drop_last))[1]


def ceiling_for(recipe: Recipe | str, rows: int = VALID_ROWS,
                data: HumanNumbers | None = None) -> float:
    """:func:`ceiling` for what ``recipe``'s model sees: its row from the
    start if it keeps its state, else only its current window (and, for a model that
    predicts the last token, scored once per window)."""
    from .experiments import _recipe  # here, not at the top: experiments imports this module

    recipe = _recipe(recipe)
    rows = positive_int("rows", rows)
    _data(data)
    stateful = isinstance(recipe.make, type) and issubclass(recipe.make, StatefulMixin)
    last_only = bool(getattr(recipe.make, "predicts_last", False))
    window = None if stateful else recipe.bptt
    if data is None:
        return _default_ceiling(window, last_only, rows)
    return ceiling(data.valid, rows, window, last_only)["accuracy"]


def _data(data: object) -> None:
    if data is not None:
        checks.instance("data", data, HumanNumbers, "a HumanNumbers or None")


@functools.cache
def _default_ceiling(window: int | None, last_only: bool, rows: int) -> float:
    return ceiling(load_human_numbers().valid, rows, window, last_only)["accuracy"]


def ceiling(stream: torch.Tensor | Sequence[int], rows: int = 64,
            window: int | None = None, last_only: bool = False) -> dict:
    """The best accuracy any predictor can reach on ``stream`` cut into ``rows`` rows.

    The stream is cut as :class:`~rnnbook.data.LMLoader` cuts it (``rows`` rows of
    ``(len - 1) // rows`` tokens, the rest dropped), and each row is read from an empty
    state. The predictor knows the whole stream, but not where it is in it: at each
    position it has seen only what the row has shown since its start, and it predicts
    the token that most often follows that context over *every* place of the stream
    where the context occurs. Where several tokens tie, it picks one of them at random,
    so it is right with probability one over the number of tied tokens. Nothing that
    sees only the row can do better on average over the places that look the same.

    ``window``: the state is also emptied every ``window`` tokens (a model that does
    not keep its state between batches); ``last_only``: only the last position of each
    window is scored (a model that reads ``window`` tokens and predicts the next; the
    rows are then trimmed to whole windows, as ``drop_last`` does).

    Returns ``accuracy``, ``tokens`` (scored), ``ties`` (scored positions with a tie)
    and ``right``: a (rows, scored positions per row) tensor of the chance that the
    best predictor is right there, to find where the unavoidable errors sit.
    """
    stream = checks.token_ids("stream", stream, dim=None).flatten()
    rows = positive_int("rows", rows)
    last_only = checks.boolean("last_only", last_only)
    if window is not None:
        window = positive_int("window", window)
    elif last_only:
        raise ValueError("last_only=True needs a window: the tokens the model reads")
    row_len = (len(stream) - 1) // rows
    if last_only:
        row_len -= row_len % window
    if row_len < 1:
        raise ValueError(f"stream: {len(stream)} tokens are too short for {rows} rows"
                         + (f" of whole windows of {window}" if last_only else ""))
    places, follows = stream[:-1], stream[1:]  # every place that has a next token
    vocab_size = int(stream.max()) + 1
    right, ties = [], 0
    for r in range(rows):
        start, cand, row = r * row_len, None, []
        for t in range(row_len):
            token = stream[start + t]
            if cand is None or (window is not None and t % window == 0):
                cand = torch.nonzero(places == token).flatten()  # the context's ends
            else:  # the context grows by one token: keep the places where it goes on
                cand = cand[cand + 1 < len(places)] + 1
                cand = cand[places[cand] == token]
            if last_only and t % window != window - 1:
                continue
            counts = torch.bincount(follows[cand], minlength=vocab_size)
            best = counts == counts.max()
            ties += int(best.sum()) > 1
            target = stream[start + t + 1]
            row.append(1.0 / int(best.sum()) if best[target] else 0.0)
        right.append(row)
    right = torch.tensor(right, dtype=torch.float64)
    return {"accuracy": right.mean().item(), "tokens": right.numel(), "ties": ties,
            "right": right}
