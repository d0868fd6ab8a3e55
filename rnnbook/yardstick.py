"""The yardstick (chapter "Results"): how every model of the book is scored, and the best
any model could score.

- :data:`VALID_ROWS`: every model is validated the lesson's way, on the validation stream
  cut into 64 rows, each read from an empty state, whatever batch size it trains with;
- :func:`one_row_accuracy`: the same model on the whole stream read as one row;
- :func:`ceiling`: the best accuracy any predictor can reach when each row starts from an
  empty state, and where its unavoidable errors sit; :func:`ceiling_for` gives it for what
  one recipe's model sees;
- :func:`loss_floor`: its twin for the loss, the lowest mean cross-entropy (and so the
  lowest perplexity) the same predictor reaches; :func:`loss_floor_for` for one recipe.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence

import torch

from . import checks
from .checks import positive_int
from .data import HumanNumbers, LMLoader, load_human_numbers
from .learner import Learner
from .models import StatefulMixin
from .recipes import Recipe, get_recipe

__all__ = ["VALID_ROWS", "one_row_accuracy", "ceiling", "ceiling_for", "loss_floor",
           "loss_floor_for"]

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
    window, last_only = _sees(recipe)
    rows = positive_int("rows", rows)
    _data(data)
    if data is None:
        return _default_ceiling(window, last_only, rows)
    return ceiling(data.valid, rows, window, last_only)["accuracy"]


def loss_floor_for(recipe: Recipe | str, rows: int = VALID_ROWS,
                   data: HumanNumbers | None = None) -> float:
    """:func:`loss_floor` (the mean cross-entropy) for what ``recipe``'s model sees, as
    :func:`ceiling_for`."""
    window, last_only = _sees(recipe)
    rows = positive_int("rows", rows)
    _data(data)
    if data is None:
        return _default_floor(window, last_only, rows)
    return loss_floor(data.valid, rows, window, last_only)["loss"]


def _sees(recipe: Recipe | str) -> tuple[int | None, bool]:
    """``window`` and ``last_only`` of :func:`ceiling` for what ``recipe``'s model sees."""
    recipe = get_recipe(recipe)
    stateful = isinstance(recipe.make, type) and issubclass(recipe.make, StatefulMixin)
    last_only = bool(getattr(recipe.make, "predicts_last", False))
    return (None if stateful else recipe.bptt), last_only


def _data(data: object) -> None:
    if data is not None:
        checks.instance("data", data, HumanNumbers, "a HumanNumbers or None")


@functools.cache
def _default_ceiling(window: int | None, last_only: bool, rows: int) -> float:
    return ceiling(load_human_numbers().valid, rows, window, last_only)["accuracy"]


@functools.cache
def _default_floor(window: int | None, last_only: bool, rows: int) -> float:
    return loss_floor(load_human_numbers().valid, rows, window, last_only)["loss"]


def _scores(stream: torch.Tensor | Sequence[int], rows: int, window: int | None,
            last_only: bool) -> Iterator[tuple[int, float, bool, float]]:
    """For each scored position of each row: ``(row, right, tie, loss)`` of the predictor of
    :func:`ceiling`: the chance its best guess is right, whether best guesses tie, and the
    cross-entropy of the distribution of what follows the places of the stream that match
    what the row has shown so far (the place itself among them)."""
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
    for r in range(rows):
        start, cand = r * row_len, None
        for t in range(row_len):
            token = stream[start + t]
            if cand is None or (window is not None and t % window == 0):
                cand = torch.nonzero(places == token).flatten()  # the context's ends
            elif len(cand) > 1:  # the context grows by one token: keep the places where it goes on
                cand = cand[cand + 1 < len(places)] + 1
                cand = cand[places[cand] == token]
            else:  # one place only, the row's own: it stays so until the state is emptied
                cand = cand + 1
            if last_only and t % window != window - 1:
                continue
            if len(cand) == 1:  # the row's own place: its next token, for sure
                yield r, 1.0, False, 0.0
                continue
            counts = torch.bincount(follows[cand], minlength=vocab_size).tolist()
            target = int(stream[start + t + 1])
            top = max(counts)
            n_best = counts.count(top)
            right = 1.0 / n_best if counts[target] == top else 0.0
            yield r, right, n_best > 1, -math.log(counts[target] / len(cand))


def _per_row(values: list[tuple[int, float]], rows: int) -> torch.Tensor:
    out: list[list[float]] = [[] for _ in range(rows)]
    for r, v in values:
        out[r].append(v)
    return torch.tensor(out, dtype=torch.float64)


def ceiling(stream: torch.Tensor | Sequence[int], rows: int = 64,
            window: int | None = None, last_only: bool = False) -> dict:
    """The best accuracy any predictor can reach on ``stream`` cut into ``rows`` rows.

    The stream is cut as :class:`~rnnbook.data.LMLoader` cuts it (``rows`` rows of
    ``(len - 1) // rows`` tokens, the rest dropped), and each row is read from an empty
    state. The predictor knows the whole stream, but not where it is in it: at each
    position it has seen only what the row has shown since its start, and it predicts
    the token that most often follows that context over *every* place of the stream
    where the context occurs. Where ``k`` tokens tie, it picks one of them at random,
    so it is right with probability ``1 / k``. Nothing that sees only the row can do
    better on average over the places that look the same (the statistics are the
    stream's own).

    ``window``: the state is also emptied every ``window`` tokens (a model that does
    not keep its state between batches); ``last_only``: only the last position of each
    window is scored (a model that reads ``window`` tokens and predicts the next; the
    rows are then trimmed to whole windows, as ``drop_last`` does).

    Returns ``accuracy``, ``tokens`` (scored), ``ties`` (scored positions with a tie)
    and ``right``: a (rows, scored positions per row) tensor of the chance that the
    best predictor is right there, to find where the unavoidable errors sit.
    """
    right, ties = [], 0
    for r, p, tie, _ in _scores(stream, rows, window, last_only):
        ties += tie
        right.append((r, p))
    right = _per_row(right, rows)
    return {"accuracy": right.mean().item(), "tokens": right.numel(), "ties": ties,
            "right": right}


def loss_floor(stream: torch.Tensor | Sequence[int], rows: int = 64,
               window: int | None = None, last_only: bool = False) -> dict:
    """The lowest mean cross-entropy the predictor of :func:`ceiling` reaches on
    ``stream`` cut into ``rows`` rows, and the perplexity that goes with it.

    At each position the predictor gives, as its distribution of the next token, how
    often each token follows the places of the stream that match what the row has shown
    so far: the distribution that makes the mean cross-entropy over those places as low
    as it can be. The place itself is among them, so no target has probability zero.
    ``window`` and ``last_only`` as for :func:`ceiling`.

    Returns ``loss`` (mean, in nats), ``perplexity`` (its exponential), ``tokens`` and
    ``losses``: a (rows, scored positions per row) tensor of the loss at each position.
    """
    losses = [(r, loss) for r, _, _, loss in _scores(stream, rows, window, last_only)]
    losses = _per_row(losses, rows)
    loss = losses.mean().item()
    return {"loss": loss, "perplexity": math.exp(loss), "tokens": losses.numel(),
            "losses": losses}
