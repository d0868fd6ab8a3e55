"""The results table (chapter "Results"): every model of the book scored on one yardstick.

:func:`compare` trains each recipe with several seeds and scores it at
:data:`~rnnbook.yardstick.VALID_ROWS` rows, on one row, against its ceiling and loss floor
(:mod:`rnnbook.yardstick`), and by how many numbers it counts on by itself
(:func:`rnnbook.generation.count_table`); :func:`format_row` writes a row as the table shows it
(the chapter and ``python -m rnnbook table`` print the same).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from . import checks
from .experiments import train
from .generation import count_table
from .learner import SilentReporter
from .parallel import run_jobs
from .recipes import get_recipe
from .seq2seq import exact_match
from .yardstick import ceiling_for, loss_floor_for, one_row_accuracy

__all__ = ["compare", "format_row", "ROW_KEYS", "MAX_SEEDS"]

MAX_SEEDS = 1000
"""The most seeds :func:`compare` trains each model with."""


def _run_one(key: str, seed: int, device) -> dict:
    """One run of :func:`compare` (module-level, so a worker process can run it): accuracy,
    loss and perplexity at :data:`VALID_ROWS` rows, accuracy at one row, numbers counted
    (mean and median over the starting points), seconds per epoch, device. A translation
    model has its exact match instead of the language models' yardsticks."""
    learn, history = train(key, seed=seed, device=device, reporter=SilentReporter())
    row = {"accuracy": history.accuracy, "loss": history.rows[-1]["valid_loss"],
           "perplexity": history.perplexity, "seconds": history.seconds_per_epoch,
           "device": str(learn.device)}
    if get_recipe(key).task == "translate":
        return row | {"exact_match": exact_match(learn.model, learn.valid_dl)}
    counted = count_table(learn)
    return row | {"one_row": one_row_accuracy(learn), "counted": counted["mean"],
                  "counted_median": counted["median"]}


def compare(keys: Sequence[str], seeds: int = 3, device=None,
            progress: Callable[[str, int, float], None] | None = None,
            workers: int = 1) -> list[dict]:
    """Train each model with seeds ``0..seeds-1``; one row per model with
    ``model``, ``accuracy`` (mean at 64 rows), ``accuracy_sd`` (sample sd; 0 for one
    seed), ``accuracy_one_row`` (mean, the stream read as one row), ``ceiling`` and
    ``ceiling_one_row`` (the best any predictor can do, see :func:`ceiling_for`),
    ``loss`` and ``perplexity`` (means at 64 rows), ``loss_floor`` and
    ``perplexity_floor`` (see :func:`loss_floor_for`), ``counted`` and
    ``counted_median`` (numbers counted greedily from the starting points of
    :func:`~rnnbook.generation.count_table`: the mean over the seeds of each run's mean
    and median), ``reference``, ``seconds_per_epoch`` (median over the runs) and
    ``device``. A translation model (chapter "Words to digits") has ``exact_match``
    (mean) and ``None`` for the language models' yardsticks (one row, ceiling, floor,
    counted).
    ``progress(key, seed, accuracy)`` is called after each run.

    ``workers > 1`` trains that many runs at once, in separate processes with one CPU
    thread each (on a CPU with that many cores this divides the time; each run is seeded
    on its own, so the results are the same as with one worker).
    """
    keys = checks.strings("keys", keys)
    seeds = checks.positive_int("seeds", seeds, at_most=MAX_SEEDS)
    workers = checks.positive_int("workers", workers)
    device = checks.device("device", device)
    checks.function("progress", progress, none=True)
    recipes = [get_recipe(k, name=f"keys[{i}]")  # a bad key: refused before training
               for i, k in enumerate(keys)]
    device = str(device) if device is not None else None
    jobs = [(r.key, seed, device) for r in recipes for seed in range(seeds)]
    results: dict[tuple[str, int], dict] = {}
    for i, result in run_jobs(_run_one, jobs, workers):
        key, seed, _ = jobs[i]
        results[key, seed] = result
        if progress is not None:
            progress(key, seed, result["accuracy"])
    rows = []
    for recipe in recipes:
        done = [results[recipe.key, seed] for seed in range(seeds)]

        def mean(name: str, done=done) -> float | None:
            return statistics.fmean(r[name] for r in done) if name in done[0] else None

        accs = [r["accuracy"] for r in done]
        lm = recipe.task == "lm"  # the yardsticks of the language models
        floor = loss_floor_for(recipe) if lm else None
        row = {
            "model": recipe.key,
            "accuracy": mean("accuracy"),
            "accuracy_sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "accuracy_one_row": mean("one_row"),
            "ceiling": ceiling_for(recipe) if lm else None,
            "ceiling_one_row": ceiling_for(recipe, rows=1) if lm else None,
            "loss": mean("loss"),
            "perplexity": mean("perplexity"),
            "loss_floor": floor,
            "perplexity_floor": math.exp(floor) if lm else None,
            "counted": mean("counted"),
            "counted_median": mean("counted_median"),
            "reference": recipe.reference,
            "seconds_per_epoch": statistics.median(r["seconds"] for r in done),
            "device": done[0]["device"],
        }
        if not lm:
            row["exact_match"] = mean("exact_match")
        rows.append(row)
    return rows


ROW_KEYS = ("model", "accuracy", "accuracy_sd", "accuracy_one_row", "ceiling", "perplexity",
            "perplexity_floor", "counted", "reference", "seconds_per_epoch", "device")
"""The keys of a row of :func:`compare` that :func:`format_row` shows."""


def check_row(name: str, row: object) -> None:
    """Refuse ``row`` (named ``name`` in the message) unless it is a dict with the keys of a
    row of :func:`compare`."""
    if not isinstance(row, dict) or not set(ROW_KEYS) <= set(row):
        checks.refuse(name, row, f"a dict as compare() returns (with {', '.join(ROW_KEYS)})",
                      wrong_type=not isinstance(row, dict))


def format_row(row: dict) -> dict[str, str]:
    """One row of :func:`compare` as the text of the table's cells (chapter "Results"; the
    results chapter and ``python -m rnnbook table`` show the same): the accuracy at 64 rows as
    mean ± sd (an sd under 0.0005 as ``<0.001``), at one row, the ceiling, the gap to it in
    points (100 × accuracy minus ceiling), the perplexity and the floor of the perplexity,
    the numbers counted (mean), the exact match of a translation model, the published figure,
    seconds per epoch and the device (``-``: not measured for this model)."""
    check_row("row", row)
    sd, ref = row["accuracy_sd"], row["reference"]

    def cell(value: float | None, fmt: str = ".3f") -> str:  # "-": not measured for this model
        return "-" if value is None else format(value, fmt)

    ceiling = row["ceiling"]
    return {
        "model": row["model"],
        "accuracy": f"{row['accuracy']:.3f} ± " + (f"{sd:.3f}" if sd >= 5e-4 else "<0.001"),
        "one_row": cell(row["accuracy_one_row"]),
        "ceiling": cell(ceiling),
        "gap": cell(None if ceiling is None else 100 * (row["accuracy"] - ceiling), "+.1f"),
        "perplexity": f"{row['perplexity']:.3f}",
        "perplexity_floor": cell(row["perplexity_floor"]),
        "counted": cell(row["counted"], ".1f"),
        "exact_match": cell(row.get("exact_match")),
        "reference": cell(ref),
        "seconds_per_epoch": f"{row['seconds_per_epoch']:.2f}",
        "device": row["device"],
    }
