"""Train the book's models (every chapter): :func:`build`, :func:`train`, :func:`train_seeds`.

``train("gru2", seed=0)`` builds the data, the model and a :class:`~rnnbook.learner.Learner`
from the recipe (:mod:`rnnbook.recipes`) and runs one cycle with its settings; the CLI, the
chapters, the widgets and the benchmarks all go through it. While the book is built, the run
cache (:mod:`rnnbook.runs`) wraps the fit: a run an earlier chapter trained is loaded instead.
The results table that scores them all is :mod:`rnnbook.table`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch

from . import checks, runs
from .checks import door, maybe, positive_int
from .data import HumanNumbers, load_human_numbers
from .learner import History, Learner, Reporter, SilentReporter, default_device, set_seed
from .parallel import run_jobs
from .recipes import Recipe, get_recipe
from .seq2seq import translation_loaders
from .yardstick import VALID_ROWS

__all__ = ["build", "train", "train_runs", "train_seeds", "prefetch"]


def _recipe(name: str, value: object) -> Recipe:
    return get_recipe(value, name=name)


_seed = functools.partial(checks.integer, low=0, high=checks.MAX_SEED)
_data = maybe(functools.partial(checks.instance, types=HumanNumbers, what="a HumanNumbers or None"))
_reporter = maybe(functools.partial(checks.instance, types=Reporter,
                                    what="a Reporter (or None for the default)"))
_workers = positive_int


@door(recipe=_recipe, data=_data, seed=_seed, device=checks.device)
def build(recipe: Recipe | str, data: HumanNumbers | None = None, seed: int = 0,
          device=None) -> Learner:
    """A fresh, seeded :class:`Learner` for ``recipe`` (a :class:`Recipe` or its key)."""
    recipe = get_recipe(recipe)
    data = data if data is not None else load_human_numbers()
    if recipe.task == "translate":
        train_dl, valid_dl = translation_loaders(data.vocab, recipe.split, recipe.bs)
    else:
        train_dl, valid_dl = data.loaders(recipe.bs, recipe.bptt, recipe.drop_last,
                                          valid_bs=VALID_ROWS)
    set_seed(seed)
    model = recipe.make(len(data.vocab), recipe.hidden, **recipe.model_kwargs)
    return Learner(model, train_dl, valid_dl, device=device)


def _fit(learn: Learner, recipe: Recipe, seed: int, reporter: Reporter | None,
         should_stop: Callable[[], bool] | None) -> History:
    set_seed(seed)
    return learn.fit_one_cycle(recipe.epochs, recipe.lr, wd=recipe.wd, pct_start=recipe.pct_start,
                               reporter=reporter, should_stop=should_stop, clip=recipe.clip)


@door(recipe=_recipe, seed=_seed, data=_data, device=checks.device, reporter=_reporter,
      should_stop=functools.partial(checks.function, none=True))
def train(recipe: Recipe | str, seed: int = 0, data: HumanNumbers | None = None, device=None,
          reporter: Reporter | None = None, should_stop: Callable[[], bool] | None = None,
          **changes) -> tuple[Learner, History]:
    """Build and train ``recipe`` (with any settings in ``changes``); returns learner and history.

    ``reporter`` and ``should_stop`` are passed on to :meth:`Learner.fit_one_cycle`. While the
    book is built, the run cache wraps the fit: a run that an earlier chapter trained is loaded
    instead (:func:`rnnbook.runs.cached`).
    """
    recipe = get_recipe(recipe)
    if changes:
        recipe = recipe.with_(**changes)
    learn = build(recipe, data, seed, device)
    cache = runs.folder() is not None and should_stop is None and _is_the_data(data)
    fit = runs.cached(_fit) if cache else _fit
    return learn, fit(learn, recipe, seed, reporter, should_stop)


def _is_the_data(data: HumanNumbers | None) -> bool:
    """Whether ``data`` is the book's data (the run cache serves runs on nothing else)."""
    made = load_human_numbers()
    return data is None or data is made or (
        data.vocab.itos == made.vocab.itos and torch.equal(data.train, made.train)
        and torch.equal(data.valid, made.valid))


def _history_of(recipe: Recipe, seed: int, device: str | None,
                data: HumanNumbers | None) -> History:
    """One run, with no epoch table (module-level, so a worker process can run it)."""
    return train(recipe, seed=seed, data=data, device=device, reporter=SilentReporter())[1]


@door(jobs=lambda name, jobs: _jobs(name, jobs), device=checks.device, workers=_workers,
      data=_data, progress=functools.partial(checks.function, none=True))
def train_runs(jobs: Sequence[tuple[Recipe | str, int]], device=None, workers: int = 1,
               data: HumanNumbers | None = None,
               progress: Callable[[int, History], None] | None = None) -> list[History]:
    """Train each ``(recipe, seed)`` of ``jobs`` without an epoch table; their
    :class:`History`, in the order of ``jobs``. ``workers > 1`` trains that many at once, in
    worker processes of one CPU thread each (:func:`~rnnbook.parallel.run_jobs`); each run
    seeds itself, so the results are the same. ``progress(i, history)`` is called as run
    ``i`` ends (chapters "Gates" and "Widgets")."""
    device = str(device) if device is not None else None
    given = data if data is not None and not _is_the_data(data) else None  # workers load the book's
    done: dict[int, History] = {}
    for i, history in run_jobs(_history_of, [(r, s, device, given) for r, s in jobs], workers):
        done[i] = history
        if progress is not None:
            progress(i, history)
    return [done[i] for i in range(len(jobs))]


def _jobs(name: str, jobs: object) -> list[tuple[Recipe, int]]:
    """``jobs`` as (recipe, seed) pairs, each checked."""
    pairs = []
    for i, job in enumerate(checks.iterable(name, jobs, "a list of (recipe, seed) pairs")):
        if not isinstance(job, tuple) or len(job) != 2:
            checks.refuse(f"{name}[{i}]", job, "a (recipe, seed) pair", wrong_type=True)
        pairs.append((get_recipe(job[0], name=f"{name}[{i}][0]"), _seed(f"{name}[{i}][1]", job[1])))
    return pairs


@door(recipe=_recipe, device=checks.device, workers=_workers,
      seeds=lambda name, seeds: [_seed(f"{name}[{i}]", s) for i, s in
                                 enumerate(checks.iterable(name, seeds, "a list of seeds"))])
def train_seeds(recipe: Recipe | str, seeds: Sequence[int], device=None, workers: int = 1,
                **changes) -> dict[int, History]:
    """Train ``recipe`` (a :class:`Recipe` or its key, with any settings in ``changes``) once
    per seed in ``seeds``, without an epoch table; the :class:`History` of each run by seed.
    ``workers > 1`` trains that many at once, as :func:`~rnnbook.table.compare` does
    (chapter "Gates": the clipping runs)."""
    recipe = get_recipe(recipe)
    if changes:
        recipe = recipe.with_(**changes)
    return dict(zip(seeds, train_runs([(recipe, s) for s in seeds], device, workers), strict=True))


@door(jobs=lambda name, jobs: _jobs(name, jobs), device=checks.device, workers=_workers)
def prefetch(jobs: Sequence[tuple[Recipe | str, int]], device=None, workers: int = 2) -> int:
    """While the book is built: train the runs ``jobs`` (``(recipe, seed)`` pairs) that the
    run cache does not hold yet, ``workers`` at a time, so that a chapter's own calls of
    :func:`train` load them instead of training them one after another. Returns how many
    it trained; outside a build (no run cache) it does nothing and returns 0."""
    if runs.folder() is None:
        return 0
    where = device if device is not None else default_device()
    pairs = [(get_recipe(r), s) for r, s in jobs]
    missing = [(r, s) for r, s in pairs if not runs.has(runs.run_key(r, s, torch.device(where)))]
    train_runs(missing, where, workers)
    return len(missing)
