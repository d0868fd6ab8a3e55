"""The build's run cache (page "Build report"): no run is trained twice in one build.

Several chapters train the same run: the gates chapter trains ``gru2`` with seed 0, the
errors chapter trains it again to study its mistakes, and the results chapter trains every
recipe with seeds 0, 1 and 2. When the book is built, its Sphinx extension points the
environment variable ``RNNBOOK_RUN_CACHE`` at a folder (``_build/runs``), and
:func:`~rnnbook.experiments.train` asks this module first: a run already trained in the
build is loaded (its weights and its :class:`~rnnbook.learner.History`, whose epoch table is
shown again as it was recorded), anything else is trained and saved.

A run is known by its key: the recipe with every setting, the seed, the device, the CPU
threads, the versions of torch and rnnbook, and a hash of the package's source, so a change
to the code never serves an old run. Outside a build (Colab, Binder, your own notebook) the
variable is unset and every run trains.

Every run of a build, trained or loaded, is logged with its chapter; the Build report page
lists them (:func:`build_runs`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
import types
from collections.abc import Callable
from pathlib import Path

import torch

from . import __version__, checks
from .checks import door
from .learner import History, Learner, Reporter, default_reporter
from .recipes import Recipe

__all__ = ["ENV", "folder", "cached", "run_key", "has", "load", "save", "record", "replay", "build_runs"]

ENV = "RNNBOOK_RUN_CACHE"
"""The environment variable that names the cache's folder; unset or empty: no cache."""
CHAPTER_ENV, BUILD_ENV = "RNNBOOK_CHAPTER", "RNNBOOK_BUILD"
"""Set by the book's extension: the chapter being executed, and the build's id."""


_recipe = functools.partial(checks.instance, types=Recipe, what="a Recipe")
_seed = functools.partial(checks.non_negative_int, at_most=checks.MAX_SEED)
_learn = functools.partial(checks.instance, types=Learner, what="a Learner")


def _key(name: str, key: object) -> str:
    if not isinstance(key, str) or not key.isalnum():
        checks.refuse(name, key, "a run key (letters and digits, from run_key())",
                      wrong_type=not isinstance(key, str))
    return key


def folder() -> Path | None:
    """The cache's folder, or ``None`` when no build asked for one."""
    value = os.environ.get(ENV, "")
    return Path(value) if value else None


@functools.cache
def source_hash() -> str:
    """A hash of the package's source files: a run trained by other code is another run."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _code_hash(code: types.CodeType, digest) -> None:
    digest.update(code.co_code + repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_hash(const, digest)
        else:
            digest.update(repr(const).encode())


def outside_code(make: object) -> str:
    """A hash of the code of a model class defined outside the package (in a chapter, say),
    which :func:`source_hash` does not see: its methods and those of its bases outside
    rnnbook and torch. Empty for the package's own classes."""
    digest, seen = hashlib.sha256(), False
    for klass in getattr(make, "__mro__", (make,)):
        if getattr(klass, "__module__", "").split(".")[0] in ("rnnbook", "torch", "builtins"):
            continue
        for name, value in sorted(vars(klass).items()):
            code = getattr(value, "__code__", None)
            if isinstance(code, types.CodeType):
                digest.update(name.encode())
                _code_hash(code, digest)
                seen = True
    return digest.hexdigest()[:16] if seen else ""


def settings(recipe: Recipe) -> dict:
    """The recipe's settings as plain JSON values (the model class by its import path, and
    the hash of its code when a chapter defined it)."""
    out = {}
    for f in dataclasses.fields(recipe):
        value = getattr(recipe, f.name)
        if f.name == "make":
            code = outside_code(value)
            value = f"{value.__module__}.{value.__qualname__}" + (f"@{code}" if code else "")
        out[f.name] = value
    return out


Fit = Callable[[Learner, Recipe, int, "Reporter | None", "Callable[[], bool] | None"], History]


def cached(fit: Fit) -> Fit:
    """``fit(learn, recipe, seed, reporter, should_stop)`` with the cache around it: the run is
    loaded into ``learn`` if this build trained it already, else fitted and saved; either way
    it is logged (:func:`~rnnbook.experiments.train` wraps its fit in this while a book is
    built)."""

    @functools.wraps(fit)
    def fit_or_load(learn: Learner, recipe: Recipe, seed: int, reporter: Reporter | None,
                    should_stop: Callable[[], bool] | None) -> History:
        start = time.perf_counter()
        key = run_key(recipe, seed, learn.device)
        history = load(key, learn)
        loaded = history is not None
        if loaded:
            replay(history, reporter if reporter is not None else default_reporter())
        else:
            history = fit(learn, recipe, seed, reporter, should_stop)
            save(key, learn, history)
        record(recipe, seed, time.perf_counter() - start, loaded)
        return history

    return fit_or_load


@door(recipe=_recipe, seed=_seed, device=functools.partial(checks.device, none=False))
def run_key(recipe: Recipe, seed: int, device: torch.device) -> str:
    """The key of one run: everything that can change what it learns."""
    what = {"recipe": settings(recipe), "seed": seed, "device": str(device),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "rnnbook": __version__, "source": source_hash()}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:20]


@door(key=_key)
def has(key: str) -> bool:
    """Whether the cache holds run ``key``."""
    base = folder()
    return base is not None and (base / f"{key}.pt").exists()


@door(key=_key, learn=_learn)
def load(key: str, learn: Learner) -> History | None:
    """Load run ``key`` into ``learn``'s model and return its history; ``None`` if not cached."""
    if not has(key):
        return None
    saved = torch.load(folder() / f"{key}.pt", map_location=learn.device, weights_only=False)
    learn.model.load_state_dict(saved["model"])
    learn.model.eval()  # as training leaves it: the last thing it did was validate
    return History(**saved["history"])


@door(key=_key, learn=_learn,
      history=functools.partial(checks.instance, types=History, what="a History"))
def save(key: str, learn: Learner, history: History) -> None:
    """Save a finished run (weights and history) under ``key``, if there is a cache."""
    base = folder()
    if base is None or history.stopped:
        return
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f"{key}.{os.getpid()}.tmp"
    torch.save({"model": learn.model.state_dict(), "history": dataclasses.asdict(history)}, tmp)
    os.replace(tmp, base / f"{key}.pt")  # atomic: a reader sees the whole file or none


@door(recipe=_recipe, seed=_seed, seconds=checks.non_negative_number, loaded=checks.boolean)
def record(recipe: Recipe, seed: int, seconds: float, loaded: bool) -> None:
    """Log one run of the build (what the Build report page lists)."""
    base = folder()
    if base is None:
        return
    base.mkdir(parents=True, exist_ok=True)
    entry = {"build": os.environ.get(BUILD_ENV, ""), "chapter": os.environ.get(CHAPTER_ENV, ""),
             "recipe": recipe.key, "bs": recipe.bs, "bptt": recipe.bptt, "hidden": recipe.hidden,
             "epochs": recipe.epochs, "lr": recipe.lr, "seed": seed,
             "seconds": round(seconds, 2), "status": "loaded" if loaded else "trained",
             "time": time.time()}
    with open(base / "log.jsonl", "a", encoding="utf-8") as f:  # one short line: one write
        f.write(json.dumps(entry) + "\n")


@door(history=functools.partial(checks.instance, types=History, what="a History"),
      reporter=functools.partial(checks.instance, types=Reporter, what="a Reporter"))
def replay(history: History, reporter: Reporter) -> None:
    """Show a loaded run's epoch table through ``reporter``, as it was shown when it trained."""
    reporter.begin(len(history.rows), history.batches_per_epoch)
    for k in range(len(history.rows)):
        reporter.epoch(dataclasses.replace(history, rows=history.rows[:k + 1]))
    reporter.end(history)


def build_runs(base: str | Path) -> list[dict]:
    """The runs of the newest build of each chapter in ``base``'s log, in the order they ran.

    With Jupyter Book's cache, a rebuild executes only the chapters that changed; the others
    keep the runs of the build that last executed them.
    """
    path = checks.path("base", base) / "log.jsonl"
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    newest: dict[str, str] = {}
    for e in entries:  # the log is in time order: the last build seen per chapter wins
        newest[e["chapter"]] = e["build"]
    return [e for e in entries if newest[e["chapter"]] == e["build"]]
