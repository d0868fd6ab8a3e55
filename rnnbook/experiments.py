"""The book's models and the hyperparameters it trains them with, in one table.

``train("gru2", seed=0)`` builds the data, the model and a :class:`~rnnbook.learner.Learner`
and runs one cycle with the recipe's settings; the CLI, the chapters, the widgets and the
benchmarks all go through it.

Every recipe is validated on the book's one yardstick, :data:`~rnnbook.yardstick.VALID_ROWS`
rows whatever batch size it trains with; :func:`compare` scores it there, on one row, and
against its ceiling and loss floor (:mod:`rnnbook.yardstick`), and by how many numbers
it counts on by itself (:func:`rnnbook.generation.count_table`).
"""

from __future__ import annotations

import inspect
import math
import multiprocessing
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from . import checks, models, runs
from .copy_gru import CopyGRU
from .data import HumanNumbers, load_human_numbers
from .generation import count_table
from .learner import History, Learner, Reporter, SilentReporter, default_reporter, set_seed
from .modern import CausalTransformer, MinGRU, MinLSTM
from .yardstick import VALID_ROWS, ceiling_for, loss_floor_for, one_row_accuracy

__all__ = ["Recipe", "RECIPES", "get_recipe", "build", "train", "train_seeds", "compare",
           "format_row", "MAX_SEEDS"]

MAX_SEEDS = 1000
"""The most seeds :func:`compare` trains each model with."""


@dataclass(frozen=True)
class Recipe:
    """A model of the book with its training settings and the published figure to compare."""

    key: str
    title: str
    make: Callable[..., nn.Module]
    bptt: int
    epochs: int
    lr: float
    bs: int = 64
    hidden: int = 64
    wd: float = 0.01
    pct_start: float = 0.25
    drop_last: bool = False
    clip: float | None = None
    model_kwargs: dict = field(default_factory=dict)
    reference: float | None = None
    reference_source: str = ""

    def __post_init__(self) -> None:
        checks.text("key", self.key, empty=False)
        checks.text("title", self.title)
        checks.function("make", self.make)
        checks.positive_int("bptt", self.bptt)
        checks.positive_int("epochs", self.epochs)
        checks.positive_number("lr", self.lr)
        checks.positive_int("bs", self.bs)
        checks.positive_int("hidden", self.hidden, at_most=checks.MAX_UNITS)
        checks.non_negative_number("wd", self.wd)
        checks.number("pct_start", self.pct_start, 0.0, 1.0, open_low=True, open_high=True)
        checks.boolean("drop_last", self.drop_last)
        if self.clip is not None:
            checks.positive_number("clip", self.clip)
        checks.instance("model_kwargs", self.model_kwargs, dict, "a dict of the model's arguments")
        try:  # the model's arguments: vocab_size, hidden, then model_kwargs
            inspect.signature(self.make).bind(1, 1, **self.model_kwargs)
        except TypeError as e:
            raise ValueError(f"model_kwargs {checks.show(self.model_kwargs)} do not fit "
                             f"{getattr(self.make, '__name__', 'make')}: {e}") from None
        except ValueError:  # no signature to read (a built-in)
            pass
        if self.reference is not None:
            checks.number("reference", self.reference, 0.0, 1.0)
        checks.text("reference_source", self.reference_source)

    def with_(self, **changes) -> Recipe:
        """A copy with some settings changed, e.g. ``recipe.with_(epochs=3)``."""
        checks.settings("recipe setting", changes, self.__dataclass_fields__)
        return replace(self, **changes)


_LESSON = "course lesson 7"
_FASTBOOK = "fastbook ch. 12"

RECIPES: dict[str, Recipe] = {r.key: r for r in [
    Recipe("fc3", "3 tokens, fully connected", models.FullyConnected3, bptt=3, epochs=6, lr=1e-4,
           drop_last=True, reference=0.409, reference_source=_LESSON),
    Recipe("loop3", "3 tokens, as a loop", models.Loop3, bptt=3, epochs=6, lr=1e-4,
           drop_last=True, reference=0.393, reference_source=_LESSON),
    Recipe("every", "predict every token", models.EveryToken, bptt=20, epochs=10, lr=1e-4,
           pct_start=0.1, reference=0.350, reference_source=_LESSON),
    Recipe("stateful", "keep the state", models.Stateful, bptt=20, epochs=20, lr=3e-3,
           reference=0.443, reference_source=_LESSON),
    Recipe("rnn", "nn.RNN", models.StatefulRNN, bptt=20, epochs=30, lr=3e-3,
           reference=0.615, reference_source=_LESSON),
    Recipe("gru2", "2-layer GRU", models.GRU2, bptt=20, epochs=10, lr=1e-2,
           reference=0.807, reference_source=_LESSON),
    Recipe("lstm2", "2-layer LSTM", models.LSTM2, bptt=16, epochs=30, lr=1e-2,
           reference=0.759, reference_source=_FASTBOOK),
    Recipe("lstm2_reg", "regularised LSTM", models.RegularizedLSTM, bptt=16, epochs=30, lr=3e-3,
           wd=0.1, reference=0.869, reference_source=_FASTBOOK),
    Recipe("copy_gru", "GRU + copy head", CopyGRU, bptt=20, epochs=16, lr=1e-2,
           reference=None),
    Recipe("mingru", "3-layer minGRU", MinGRU, bptt=20, epochs=16, lr=1e-2, hidden=52,
           model_kwargs={"n_layers": 3}),  # picked by benchmarks/tune_modern.py
    Recipe("minlstm", "3-layer minLSTM", MinLSTM, bptt=20, epochs=16, lr=1e-2, hidden=52,
           model_kwargs={"n_layers": 3}),
    Recipe("transformer", "causal transformer", CausalTransformer, bptt=20, epochs=8, lr=3e-3,
           model_kwargs={"context": 20}),
]}


def as_recipe(recipe: object) -> Recipe:
    """``recipe`` if it is a :class:`Recipe`, the recipe of that key if it is a key."""
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"unknown model {recipe!r}: recipe must be a Recipe or a model key; "
                             f"the models are: {', '.join(RECIPES)}")
        return RECIPES[recipe]
    return checks.instance("recipe", recipe, Recipe, f"a Recipe or a model key ({', '.join(RECIPES)})")


def get_recipe(key: str) -> Recipe:
    """The recipe registered under ``key``; ``ValueError`` lists the keys if there is none."""
    checks.text("key", key)
    try:
        return RECIPES[key]
    except KeyError:
        raise ValueError(f"unknown model key {key!r}; the models are: {', '.join(RECIPES)}") from None


def build(recipe: Recipe | str, data: HumanNumbers | None = None, seed: int = 0,
          device=None) -> Learner:
    """A fresh, seeded :class:`Learner` for ``recipe`` (a :class:`Recipe` or its key)."""
    recipe = as_recipe(recipe)
    if data is not None:
        checks.instance("data", data, HumanNumbers, "a HumanNumbers or None")
    seed = checks.non_negative_int("seed", seed, at_most=checks.MAX_SEED)
    device = checks.device("device", device)
    data = data if data is not None else load_human_numbers()
    train_dl, valid_dl = data.loaders(recipe.bs, recipe.bptt, recipe.drop_last, valid_bs=VALID_ROWS)
    set_seed(seed)
    model = recipe.make(len(data.vocab), recipe.hidden, **recipe.model_kwargs)
    return Learner(model, train_dl, valid_dl, device=device)


def train(recipe: Recipe | str, seed: int = 0, data: HumanNumbers | None = None, device=None,
          reporter: Reporter | None = None, should_stop: Callable[[], bool] | None = None,
          **changes) -> tuple[Learner, History]:
    """Build and train ``recipe`` (with any settings in ``changes``); returns learner and history.

    ``reporter`` and ``should_stop`` are passed on to :meth:`Learner.fit_one_cycle`. While the
    book is built, a run that an earlier chapter trained is loaded instead (:mod:`rnnbook.runs`).
    """
    recipe = as_recipe(recipe)
    if changes:
        recipe = recipe.with_(**changes)
    if reporter is not None:
        checks.instance("reporter", reporter, Reporter, "a Reporter (or None for the default)")
    checks.function("should_stop", should_stop, none=True)
    start = time.perf_counter()
    learn = build(recipe, data, seed, device)
    cached = runs.folder() is not None and should_stop is None and _is_the_data(data)
    key = runs.run_key(recipe, seed, learn.device) if cached else None
    history = runs.load(key, learn) if key is not None else None
    loaded = history is not None
    if loaded:
        runs.replay(history, reporter if reporter is not None else default_reporter())
    else:
        set_seed(seed)
        history = learn.fit_one_cycle(recipe.epochs, recipe.lr, wd=recipe.wd,
                                      pct_start=recipe.pct_start, reporter=reporter,
                                      should_stop=should_stop, clip=recipe.clip)
        if key is not None:
            runs.save(key, learn, history)
    if key is not None:
        runs.record(recipe, seed, time.perf_counter() - start, loaded)
    return learn, history


def _is_the_data(data: HumanNumbers | None) -> bool:
    """Whether ``data`` is the book's data (the run cache serves runs on nothing else)."""
    made = load_human_numbers()
    return data is None or data is made or (
        data.vocab.itos == made.vocab.itos and torch.equal(data.train, made.train)
        and torch.equal(data.valid, made.valid))


def _history_of(key: str, seed: int, changes: dict, device, threads: int | None) -> History:
    """One run of :func:`train_seeds` (module-level, so a worker process can run it)."""
    if threads is not None:
        torch.set_num_threads(threads)
    return train(key, seed=seed, device=device, reporter=SilentReporter(), **changes)[1]


def train_seeds(recipe: str, seeds: Sequence[int], device=None, workers: int = 1,
                **changes) -> dict[int, History]:
    """Train ``recipe`` (with any settings in ``changes``) once per seed in ``seeds``,
    without an epoch table; the :class:`History` of each run by seed. ``workers > 1``
    trains that many at once, as :func:`compare` does (chapter "Gates": the clipping
    runs)."""
    # fail on a bad key or setting before any training
    as_recipe(checks.text("recipe", recipe)).with_(**changes)
    workers = checks.positive_int("workers", workers)
    seeds = [checks.integer(f"seeds[{i}]", s, 0, checks.MAX_SEED)
             for i, s in enumerate(checks.iterable("seeds", seeds, "a list of seeds"))]
    checks.device("device", device)
    if workers == 1:
        return {s: _history_of(recipe, s, changes, device, None) for s in seeds}
    device = str(device) if device is not None else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {s: pool.submit(_history_of, recipe, s, changes, device, 1) for s in seeds}
        return {s: f.result() for s, f in futures.items()}


def _run_one(key: str, seed: int, device, threads: int | None) -> dict:
    """One run of :func:`compare` (module-level, so a worker process can run it): accuracy,
    loss and perplexity at :data:`VALID_ROWS` rows, accuracy at one row, numbers counted
    (mean and median over the starting points), seconds per epoch, device."""
    if threads is not None:
        torch.set_num_threads(threads)
    learn, history = train(key, seed=seed, device=device, reporter=SilentReporter())
    counted = count_table(learn)
    return {"accuracy": history.accuracy, "loss": history.rows[-1]["valid_loss"],
            "perplexity": history.perplexity, "one_row": one_row_accuracy(learn),
            "counted": counted["mean"], "counted_median": counted["median"],
            "seconds": history.seconds_per_epoch, "device": str(learn.device)}


def _runs(jobs: list[tuple[str, int]], device, workers: int):
    """Yield ``((key, seed), result)`` of :func:`_run_one` for each job: one after another in
    this process, or ``workers`` at a time in spawned processes (one CPU thread each)."""
    if workers == 1:
        for job in jobs:
            yield job, _run_one(*job, device, None)
        return
    device = str(device) if device is not None else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, *job, device, 1): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


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
    ``device``.
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
    for i, k in enumerate(keys):  # fail on a bad key before any training
        if k not in RECIPES:
            raise ValueError(f"keys[{i}]: unknown model {k!r}; "
                             f"the models are: {', '.join(RECIPES)}")
    recipes = [get_recipe(k) for k in keys]
    jobs = [(r.key, seed) for r in recipes for seed in range(seeds)]
    results: dict[tuple[str, int], dict] = {}
    for (key, seed), result in _runs(jobs, device, workers):
        results[key, seed] = result
        if progress is not None:
            progress(key, seed, result["accuracy"])
    rows = []
    for recipe in recipes:
        runs = [results[recipe.key, seed] for seed in range(seeds)]

        def mean(name: str, runs=runs) -> float:
            return statistics.fmean(r[name] for r in runs)

        accs = [r["accuracy"] for r in runs]
        floor = loss_floor_for(recipe)
        rows.append({
            "model": recipe.key,
            "accuracy": mean("accuracy"),
            "accuracy_sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "accuracy_one_row": mean("one_row"),
            "ceiling": ceiling_for(recipe),
            "ceiling_one_row": ceiling_for(recipe, rows=1),
            "loss": mean("loss"),
            "perplexity": mean("perplexity"),
            "loss_floor": floor,
            "perplexity_floor": math.exp(floor),
            "counted": mean("counted"),
            "counted_median": mean("counted_median"),
            "reference": recipe.reference,
            "seconds_per_epoch": statistics.median(r["seconds"] for r in runs),
            "device": runs[0]["device"],
        })
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
    the numbers counted (mean), the published figure (``-`` if none), seconds per epoch and
    the device."""
    check_row("row", row)
    sd, ref = row["accuracy_sd"], row["reference"]
    return {
        "model": row["model"],
        "accuracy": f"{row['accuracy']:.3f} ± " + (f"{sd:.3f}" if sd >= 5e-4 else "<0.001"),
        "one_row": f"{row['accuracy_one_row']:.3f}",
        "ceiling": f"{row['ceiling']:.3f}",
        "gap": f"{100 * (row['accuracy'] - row['ceiling']):+.1f}",
        "perplexity": f"{row['perplexity']:.3f}",
        "perplexity_floor": f"{row['perplexity_floor']:.3f}",
        "counted": f"{row['counted']:.1f}",
        "reference": f"{ref:.3f}" if ref is not None else "-",
        "seconds_per_epoch": f"{row['seconds_per_epoch']:.2f}",
        "device": row["device"],
    }
