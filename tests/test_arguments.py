"""Every public entry point refuses a bad argument where it enters (a property test).

For each argument of each public function, class and method of the package (what the API page
documents) and each option of each command-line command, hypothesis draws wrong values (wrong
types, zero, negatives, NaN, infinities, huge, empty, unknown names) and the test asserts that
the call gives a ``ValueError`` or ``TypeError`` whose one-line message names the argument and
shows the value given, never another exception and never a result. The exercise checkers
answer a wrong argument with a ✗ message instead (they never raise), and the command line with
one line on stderr and exit status 2. The last test checks that the table below covers every
public entry point and prints how many examples were tried.

The base calls are cheap: where a call would train, it trains one batch (``should_stop``) or
one small epoch, so a wrong value that slipped through costs little before the test fails.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import math
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnbook import checks

EXAMPLES = 12  # per argument
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# -- wrong values ---------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
ints = st.integers(-(10**30), 10**30)
floats = st.floats(allow_nan=True, allow_infinity=True)
short_text = st.text(max_size=6)
junk = st.sampled_from([None, "x", "", [], {}, (), b"\x00", object(), 1j, [1, 2], {"a": 1}])


def _or_none(strategy, none: bool):
    """``strategy`` without ``None`` when ``None`` is an allowed value."""
    return strategy.filter(lambda v: v is not None) if none else strategy


def no_empty(strategy):
    """``strategy`` without empty containers (where an empty list is a fine value)."""
    return strategy.filter(lambda v: not (isinstance(v, (list, tuple, dict)) and not v))


def not_int(none: bool = False):
    return _or_none(st.one_of(floats, short_text, st.booleans(), junk), none)


def bad_int(low: int | None = 1, high: int | None = None, none: bool = False):
    """Not an int, a bool, or an int out of ``low..high``."""
    parts = [not_int(none)]
    if low is not None:
        parts.append(st.integers(max_value=low - 1))
    if high is not None:
        parts.append(st.integers(min_value=high + 1))
    return st.one_of(*parts)


def not_number(none: bool = False):
    return _or_none(st.one_of(short_text, st.booleans(), junk), none)


def bad_number(
    low: float = -math.inf,
    high: float = math.inf,
    open_low: bool = False,
    open_high: bool = False,
    none: bool = False,
):
    """Not a number, NaN, an infinity, or a number out of the interval."""
    parts = [not_number(none), st.sampled_from([NAN, INF, -INF, 10**400, -(10**400)])]
    if low > -math.inf:
        parts.append(st.floats(max_value=low, exclude_max=not open_low, allow_nan=False))
        parts.append(st.integers(max_value=math.ceil(low) - 1 + (open_low and low == int(low))))
    if high < math.inf:
        parts.append(st.floats(min_value=high, exclude_min=not open_high, allow_nan=False))
    return st.one_of(*parts)


def bad_bool(none: bool = False):
    return _or_none(st.one_of(ints, floats, short_text, junk), none)


def bad_text(empty: bool = True, none: bool = False):
    parts = [
        _or_none(st.one_of(ints, floats, st.booleans(), junk.filter(lambda v: not isinstance(v, str))), none)
    ]
    if not empty:
        parts.append(st.sampled_from(["", "  "]))
    return st.one_of(*parts)


def bad_instance(none: bool = False):
    """Values of no class the package takes: numbers, text, containers."""
    return _or_none(st.one_of(ints, floats, short_text, st.booleans(), junk), none)


def bad_function(none: bool = False):
    return _or_none(st.one_of(ints, floats, short_text, junk), none)


def bad_path(none: bool = False):
    return _or_none(
        st.one_of(ints, floats, st.booleans(), st.sampled_from([None, "", "  ", [], b"x", "a\0b"])), none
    )


def bad_device(none: bool = True):
    names = st.sampled_from(["gpu", "", "cuda:x", "tpu", "cuda:999", "cpu cpu", "CUDA"])
    return st.one_of(names, _or_none(st.one_of(ints, floats, junk), none))


def bad_strings(empty: bool = False, none: bool = False):
    """One str (not a list of them), not a list, a list holding a non-str (or an empty list)."""
    parts = [
        short_text,
        _or_none(st.one_of(ints, floats, junk.filter(lambda v: isinstance(v, (tuple, list)) is False)), none),
        st.lists(st.one_of(ints, floats, st.none()), min_size=1, max_size=3),
    ]
    if not empty:
        parts.append(st.just([]))
    return st.one_of(*parts)


def bad_ids(dim: int | None = 1, below: int | None = 40, none: bool = False):
    """Token ids that are no token ids: floats, negatives, too large, the wrong shape, text."""
    shape = (4,) if dim in (1, None) else (2, 4)
    wrong_dim = [torch.zeros(2, 2, 2, dtype=torch.long)] if dim is not None else []
    tensors = [torch.full(shape, 0.5), torch.full(shape, -1), torch.ones(shape, dtype=torch.bool)] + wrong_dim
    if below is not None:
        tensors.append(torch.full(shape, below))
    return st.one_of(
        st.sampled_from(tensors),
        _or_none(st.one_of(short_text, floats, junk), none),
        st.lists(st.floats(allow_nan=True), min_size=1, max_size=3),
    )


def bad_tensor(dim: int | None = None, last: int | None = None, none: bool = False):
    """Not a float tensor, or one with the wrong number of dimensions or last size."""
    wrong = [torch.zeros(2, 3, dtype=torch.long)]
    if dim is not None:
        wrong.append(torch.zeros((1,) * (dim + 1)))
    if last is not None:
        wrong.append(torch.zeros((1,) * ((dim or 1) - 1) + (last + 1,)))
    return st.one_of(st.sampled_from(wrong), bad_instance(none))


def bad_figsize():
    return st.one_of(
        st.tuples(bad_number(0, 100, open_low=True), st.just(3.0)),
        st.sampled_from([(), (1.0,), (1.0, 2.0, 3.0), "ab", 5, None, [NAN, 1], (1e6, 1)]),
    )


def bad_grid():
    return st.one_of(
        bad_instance(),
        st.just([]),
        st.just([[0.5, 0.5], [0.5]]),
        st.just([[NAN, 0.1], [0.2, 0.3]]),
        st.just([[2.0, 0.1], [0.2, 0.3]]),
        st.just(["ab", "cd"]),
    )


def unknown_names(known):
    words = st.sampled_from(["hiden", "learning_rate", "epoch", "bptts", "lr_max", "n_hidden", "device_"])
    return words.filter(lambda w: w not in known)


# -- what the base calls need -------------------------------------------------------------------


@functools.cache
def objects():
    """Things the base calls pass: data, a small learner, a trained-looking history, ..."""
    from rnnbook import experiments, learner, models, playground, sweep
    from rnnbook.analysis import breakdown, state_projection
    from rnnbook.data import load_human_numbers

    data = load_human_numbers()
    learn = experiments.build("every", data=data)
    gru = experiments.build("gru2", data=data, device="cpu")
    learn_rows = [
        {"epoch": 0, "train_loss": 2.0, "valid_loss": 1.5, "accuracy": 0.5, "time": 0.1},
        {"epoch": 1, "train_loss": 1.0, "valid_loss": 1.2, "accuracy": 0.6, "time": 0.1},
    ]
    history = learner.History(
        rows=learn_rows, batch_losses=[2.0, 1.5, 1.2, 1.0], lrs=[1e-3] * 4, device="cpu", batches_per_epoch=2
    )
    results = sweep.SweepResults(
        "every",
        (5, 10),
        (8, 16),
        2,
        0,
        "cpu",
        histories={(b, h): history for b in (5, 10) for h in (8, 16)},
        seconds={(5, 8): 1.0},
    )
    x = data.valid[:41].view(1, -1)
    bd = breakdown(x[:, :-1].reshape(2, 20), x[:, :-1].reshape(2, 20), x[:, 1:].reshape(2, 20), data.vocab)
    small = models.GRU2(len(data.vocab), 8)
    folder = Path(tempfile.mkdtemp(prefix="rnnbook-arguments-"))
    pg_bytes = playground.encode(small, "small")
    (folder / "small.bin").write_bytes(pg_bytes)
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2)
    plt.close(fig)
    projection = state_projection(gru, n_tokens=20)
    return dict(
        data=data,
        vocab=data.vocab,
        learn=learn,
        gru=gru,
        history=history,
        results=results,
        bd=bd,
        small=small,
        folder=folder,
        pg_bytes=pg_bytes,
        fig=fig,
        ax1=ax1,
        ax2=ax2,
        projection=projection,
        stop=lambda: True,
        silent=learner.SilentReporter(),
        batch=data.valid[:80].view(4, 20),
        stream=data.valid[:200],
    )


@dataclass
class Entry:
    """One entry point: how to call it (``call(objects)`` gives a function of keyword
    arguments, ``base(objects)`` the valid ones) and a strategy of wrong values per argument.
    An argument whose name starts with ``**`` draws the name of an unknown keyword instead."""

    call: object
    base: object
    args: dict
    kind: str = "raise"  # "raise", "check" (an exercise checker) or "cli"


def _fn(path):
    """The object of a dotted name: a module's, or a class's attribute (``rnnbook.data.Vocab.textify``)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise LookupError(path)


def direct(where, base=lambda o: {}, /, **args):
    """An entry point called as ``where(**kwargs)`` (``where``: its dotted name)."""
    return Entry(lambda o: _fn(where), base, args)


def method(make, name, base=lambda o: {}, /, **args):
    """A method ``name`` of the object ``make(objects)``."""
    return Entry(lambda o: getattr(make(o), name), base, args)


def _seq2seq():
    return _fn("rnnbook.seq2seq.Seq2Seq")(VOCAB, 4, attention=True)


def models_gru():
    return _fn("rnnbook.models.GRU2")(VOCAB, 4)


LEARN_DL = st.one_of(bad_instance(none=True), st.just("abc"))
VOCAB = 40


def _recipe_settings():
    """``train(..., **changes)``: every setting of a recipe, and unknown names."""
    from rnnbook.recipes import Recipe

    return dict(
        bptt=bad_int(1),
        epochs=bad_int(1),
        lr=bad_number(0, open_low=True),
        bs=bad_int(1),
        hidden=bad_int(1, checks.MAX_UNITS),
        wd=bad_number(0),
        pct_start=bad_number(0, 1, True, True),
        drop_last=bad_bool(),
        model_kwargs=bad_instance(),
        reference=bad_number(0, 1, none=True),
        reference_source=bad_text(),
        key=bad_text(empty=False),
        title=bad_text(),
        make=bad_function(),
        **{"**changes": unknown_names(Recipe.__dataclass_fields__)},
    )


def _train_base(o):
    return dict(recipe="every", data=o["data"], epochs=1, should_stop=o["stop"], reporter=o["silent"])


ENTRIES: dict[str, Entry] = {
    # data
    "rnnbook.data.number_to_words": direct(
        "rnnbook.data.number_to_words", lambda o: dict(n=5), n=bad_int(1, 9999)
    ),
    "rnnbook.data.number_lines": direct(
        "rnnbook.data.number_lines",
        lambda o: dict(numbers=[1]),
        numbers=st.one_of(no_empty(bad_instance()), st.lists(bad_int(1, 9999), min_size=1, max_size=3)),
    ),
    "rnnbook.data.write_human_numbers": direct(
        "rnnbook.data.write_human_numbers", lambda o: dict(path=o["folder"] / "data"), path=bad_path()
    ),
    "rnnbook.data.read_human_numbers": direct(
        "rnnbook.data.read_human_numbers",
        lambda o: dict(file=o["folder"] / "missing.txt"),
        file=st.one_of(bad_path(), st.just("no/such/file.txt")),
    ),
    "rnnbook.data.tokenize": direct(
        "rnnbook.data.tokenize", lambda o: dict(lines=["one"]), lines=bad_strings(empty=True)
    ),
    "rnnbook.data.Vocab": direct(
        "rnnbook.data.Vocab",
        lambda o: dict(itos=["xxunk", "a"]),
        itos=st.one_of(bad_strings(), st.just(["a", "xxunk"]), st.just(["xxunk", "a", "a"])),
    ),
    "rnnbook.data.Vocab.from_tokens": direct(
        "rnnbook.data.Vocab.from_tokens",
        lambda o: dict(tokens=["a"]),
        tokens=bad_strings(empty=True),
        pad_to=bad_int(1, 1024),
    ),
    "rnnbook.data.Vocab.numericalize": method(
        lambda o: o["vocab"], "numericalize", lambda o: dict(tokens=["one"]), tokens=bad_strings(empty=True)
    ),
    "rnnbook.data.Vocab.textify": method(
        lambda o: o["vocab"], "textify", lambda o: dict(ids=[1]), ids=bad_ids(dim=None)
    ),
    "rnnbook.data.HumanNumbers": direct(
        "rnnbook.data.HumanNumbers",
        lambda o: dict(train=o["stream"], valid=o["stream"], vocab=o["vocab"]),
        train=bad_ids(),
        valid=bad_ids(),
        vocab=bad_instance(),
    ),
    "rnnbook.data.HumanNumbers.loaders": method(
        lambda o: o["data"],
        "loaders",
        lambda o: {},
        bs=bad_int(1),
        bptt=bad_int(1),
        drop_last=bad_bool(),
        valid_bs=bad_int(1, none=True),
    ),
    "rnnbook.data.load_human_numbers": direct(
        "rnnbook.data.load_human_numbers",
        lambda o: {},
        path=st.one_of(bad_path(none=True), st.just("no/such/folder")),
    ),
    "rnnbook.data.LMLoader": direct(
        "rnnbook.data.LMLoader",
        lambda o: dict(stream=o["stream"], bs=4, bptt=5),
        stream=bad_ids(below=None),
        bs=bad_int(1, 198),
        bptt=bad_int(1, 49),
        drop_last=bad_bool(),
    ),
    "rnnbook.data.LMLoader.to": method(
        lambda o: o["learn"].valid_dl, "to", lambda o: dict(device="cpu"), device=bad_device(none=False)
    ),
    "rnnbook.data.show_batch": direct(
        "rnnbook.data.show_batch",
        lambda o: dict(x=o["batch"], vocab=o["vocab"]),
        x=bad_ids(dim=2),
        vocab=bad_instance(),
        rows=bad_int(1),
        width=bad_int(4, none=True),
    ),
    "rnnbook.data.batch_text": direct(
        "rnnbook.data.batch_text",
        lambda o: dict(data=o["data"], bs=4, bptt=5),
        data=bad_instance(),
        bs=bad_int(1, 13016),
        bptt=bad_int(1, 3254),
        n_batches=bad_int(1),
        rows=bad_int(1),
        width=bad_int(4),
    ),
    # models
    # learner
    "rnnbook.learner.set_seed": direct(
        "rnnbook.learner.set_seed", lambda o: dict(seed=0), seed=bad_int(0, checks.MAX_SEED)
    ),
    "rnnbook.learner.History": direct(
        "rnnbook.learner.History",
        lambda o: {},
        rows=bad_instance(),
        batch_losses=bad_instance(),
        lrs=bad_instance(),
        device=bad_text(),
        batches_per_epoch=bad_int(0),
        stopped=bad_bool(),
    ),
    "rnnbook.learner.History.column": method(
        lambda o: o["history"],
        "column",
        lambda o: dict(name="accuracy"),
        name=st.one_of(short_text, bad_instance()),
    ),
    "rnnbook.learner.TextReporter": direct(
        "rnnbook.learner.TextReporter", lambda o: {}, file=bad_instance(none=True), bar=bad_bool()
    ),
    "rnnbook.learner.NotebookReporter": direct(
        "rnnbook.learner.NotebookReporter", lambda o: {}, min_interval=bad_number(0)
    ),
    "rnnbook.learner.Learner": direct(
        "rnnbook.learner.Learner",
        lambda o: dict(
            model=o["small"], train_dl=o["learn"].train_dl, valid_dl=o["learn"].valid_dl, device="cpu"
        ),
        model=bad_instance(),
        train_dl=LEARN_DL,
        valid_dl=LEARN_DL,
        device=bad_device(),
    ),
    "rnnbook.learner.Learner.validate": method(lambda o: o["learn"], "validate", dl=LEARN_DL),
    "rnnbook.learner.Learner.predict": method(lambda o: o["learn"], "predict", dl=LEARN_DL),
    "rnnbook.learner.Learner.fit_one_cycle": method(
        lambda o: o["learn"],
        "fit_one_cycle",
        lambda o: dict(epochs=1, lr=1e-3, reporter=o["silent"], should_stop=o["stop"]),
        epochs=bad_int(1),
        lr=bad_number(0, open_low=True),
        wd=bad_number(0),
        pct_start=bad_number(0, 1, True, True),
        div=bad_number(0, open_low=True),
        final_div=bad_number(0, open_low=True),
        reporter=bad_instance(none=True),
        should_stop=bad_function(none=True),
    ),
    "rnnbook.learner.loss_and_correct": direct(
        "rnnbook.learner.loss_and_correct",
        lambda o: dict(model=o["small"], out=torch.zeros(2, 3, VOCAB), y=torch.zeros(2, 3, dtype=torch.long)),
        model=bad_instance(),
        out=bad_instance(),
        y=bad_instance(),
    ),
    # experiments
    "rnnbook.recipes.Recipe": direct(
        "rnnbook.recipes.Recipe",
        lambda o: dict(key="k", title="t", make=lambda *a: None, bptt=5, epochs=1, lr=1e-3),
        **{k: v for k, v in _recipe_settings().items() if not k.startswith("**")},
    ),
    "rnnbook.recipes.Recipe.with_": method(
        lambda o: _fn("rnnbook.recipes.RECIPES")["every"], "with_", **_recipe_settings()
    ),
    "rnnbook.recipes.get_recipe": direct(
        "rnnbook.recipes.get_recipe",
        lambda o: dict(recipe="gru2"),
        recipe=st.one_of(short_text, bad_instance()),
    ),
    "rnnbook.experiments.build": direct(
        "rnnbook.experiments.build",
        lambda o: dict(recipe="every", data=o["data"]),
        recipe=st.one_of(bad_instance(), st.just("gru3")),
        data=bad_instance(none=True),
        seed=bad_int(0, checks.MAX_SEED),
        device=bad_device(),
    ),
    "rnnbook.experiments.train": direct(
        "rnnbook.experiments.train",
        _train_base,
        recipe=st.one_of(bad_instance(), st.just("gru3")),
        seed=bad_int(0, checks.MAX_SEED),
        data=bad_instance(none=True),
        device=bad_device(),
        reporter=bad_instance(none=True),
        should_stop=bad_function(none=True),
        **_recipe_settings(),
    ),
    "rnnbook.table.compare": direct(
        "rnnbook.table.compare",
        lambda o: dict(keys=["fc3"], seeds=1),
        keys=st.one_of(bad_strings(), st.just(["gru3"])),
        seeds=bad_int(1, 1000),
        device=bad_device(),
        progress=bad_function(none=True),
        workers=bad_int(1),
    ),
    "rnnbook.experiments.train_seeds": direct(
        "rnnbook.experiments.train_seeds",
        lambda o: dict(recipe="every", seeds=[]),  # no seed: nothing trains
        recipe=st.one_of(bad_instance(), st.just("gru3")),
        seeds=st.one_of(
            bad_instance().filter(lambda v: not isinstance(v, (list, tuple, dict))),
            st.lists(bad_int(0, checks.MAX_SEED), min_size=1, max_size=2),
        ),
        device=bad_device(),
        workers=bad_int(1),
        **_recipe_settings(),
    ),
    "rnnbook.experiments.train_runs": direct(
        "rnnbook.experiments.train_runs",
        lambda o: dict(jobs=[]),  # no job: nothing trains
        jobs=st.one_of(bad_instance().filter(lambda v: not isinstance(v, (list, tuple, dict))),
                       st.sampled_from([[("gru3", 0)], [("every", -1)], [("every",)], ["every"]])),
        device=bad_device(),
        workers=bad_int(1),
        data=bad_instance(none=True),
        progress=bad_function(none=True),
    ),
    "rnnbook.experiments.prefetch": direct(
        "rnnbook.experiments.prefetch",
        lambda o: dict(jobs=[]),
        jobs=st.one_of(bad_instance().filter(lambda v: not isinstance(v, (list, tuple, dict))),
                       st.sampled_from([[("gru3", 0)], [("every", -1)], [("every",)], ["every"]])),
        device=bad_device(),
        workers=bad_int(1),
    ),
    # yardstick
    "rnnbook.yardstick.one_row_accuracy": direct(
        "rnnbook.yardstick.one_row_accuracy",
        lambda o: dict(learn=o["learn"]),
        learn=bad_instance(),
        data=bad_instance(none=True),
    ),
    "rnnbook.yardstick.ceiling_for": direct(
        "rnnbook.yardstick.ceiling_for",
        lambda o: dict(recipe="every"),
        recipe=st.one_of(bad_instance(), st.just("gru3")),
        rows=st.one_of(bad_int(1), st.integers(13017, 10**9)),
        data=bad_instance(none=True),
    ),
    "rnnbook.yardstick.ceiling": direct(
        "rnnbook.yardstick.ceiling",
        lambda o: dict(stream=[0, 1, 0, 2, 0], rows=1),
        stream=bad_ids(dim=None, below=None),
        rows=bad_int(1, 4),
        window=bad_int(1, none=True),
        last_only=bad_bool(),
    ),
    "rnnbook.yardstick.loss_floor": direct(
        "rnnbook.yardstick.loss_floor",
        lambda o: dict(stream=[0, 1, 0, 2, 0], rows=1),
        stream=bad_ids(dim=None, below=None),
        rows=bad_int(1, 4),
        window=bad_int(1, none=True),
        last_only=bad_bool(),
    ),
    "rnnbook.yardstick.loss_floor_for": direct(
        "rnnbook.yardstick.loss_floor_for",
        lambda o: dict(recipe="every"),
        recipe=st.one_of(bad_instance(), st.just("gru3")),
        rows=st.one_of(bad_int(1), st.integers(13017, 10**9)),
        data=bad_instance(none=True),
    ),
    # analysis
    "rnnbook.analysis.slot_labels": direct(
        "rnnbook.analysis.slot_labels",
        lambda o: dict(ids=o["stream"][:5], vocab=o["vocab"]),
        ids=bad_ids(),
        vocab=bad_instance(),
    ),
    "rnnbook.analysis.breakdown": direct(
        "rnnbook.analysis.breakdown",
        lambda o: dict(
            x=o["batch"][:, :-1], preds=o["batch"][:, :-1], targets=o["batch"][:, 1:], vocab=o["vocab"]
        ),
        x=bad_ids(dim=2),
        preds=bad_ids(dim=2),
        targets=bad_ids(dim=2),
        vocab=bad_instance(),
    ),
    "rnnbook.analysis.error_breakdown": direct(
        "rnnbook.analysis.error_breakdown",
        lambda o: dict(learn=o["learn"]),
        learn=bad_instance(),
        vocab=bad_instance(none=True),
    ),
    "rnnbook.analysis.plot_error_breakdown": Entry(
        lambda o: lambda breakdowns, **kw: _fn("rnnbook.analysis.plot_error_breakdown")(*breakdowns, **kw),
        lambda o: dict(breakdowns=(o["bd"],)),
        dict(
            breakdowns=st.one_of(st.just(()), st.tuples(bad_instance()), st.just(({"tokens": 3},))),
            names=st.one_of(bad_strings(none=True), st.just(["a", "b"])),
            top=bad_int(1, 100),
            figsize=bad_figsize(),
        ),
    ),
    "rnnbook.analysis.state_projection": direct(
        "rnnbook.analysis.state_projection",
        lambda o: dict(learn=o["gru"]),
        learn=bad_instance(),
        stream=bad_ids(none=True),
        vocab=bad_instance(none=True),
        start=bad_int(0),
        n_tokens=bad_int(3),
    ),
    "rnnbook.analysis.plot_state_projection": direct(
        "rnnbook.analysis.plot_state_projection",
        lambda o: dict(projection=o["projection"]),
        projection=st.one_of(bad_instance(), st.just({"coords": 1})),
        title=bad_text(),
        figsize=bad_figsize(),
    ),
    # plotting
    "rnnbook.plotting.smooth": direct(
        "rnnbook.plotting.smooth",
        lambda o: dict(values=[1.0]),
        values=st.one_of(
            bad_instance().filter(lambda v: not isinstance(v, (list, tuple))),
            st.lists(bad_number(), min_size=1, max_size=3),
        ),
        beta=bad_number(0, 1, open_high=True),
    ),
    "rnnbook.plotting.draw_history": direct(
        "rnnbook.plotting.draw_history",
        lambda o: dict(
            ax_loss=o["ax1"], ax_acc=o["ax2"], history=o["history"], train={}, valid={}, accuracy={}
        ),
        ax_loss=bad_instance(),
        ax_acc=bad_instance(),
        history=bad_instance(),
        train=bad_instance().filter(lambda v: not isinstance(v, dict)),
        valid=bad_instance().filter(lambda v: not isinstance(v, dict)),
        accuracy=bad_instance().filter(lambda v: not isinstance(v, dict)),
    ),
    "rnnbook.plotting.plot_history": direct(
        "rnnbook.plotting.plot_history",
        lambda o: dict(history=o["history"]),
        history=bad_instance(),
        title=bad_text(),
        figsize=bad_figsize(),
    ),
    "rnnbook.plotting.plot_histories": direct(
        "rnnbook.plotting.plot_histories",
        lambda o: dict(histories={"a": o["history"]}),
        histories=st.one_of(bad_instance(), st.just({"a": 1}), st.just({1: 2})),
        figsize=bad_figsize(),
        legend=bad_bool(),
    ),
    "rnnbook.plotting.png_bytes": direct(
        "rnnbook.plotting.png_bytes",
        lambda o: dict(fig=o["fig"], dpi=10),
        fig=bad_instance(),
        dpi=bad_int(1, 600),
    ),
    "rnnbook.plotting.curves_png": direct(
        "rnnbook.plotting.curves_png",
        lambda o: dict(history=o["history"], dpi=10),
        history=bad_instance(none=True),
        others=st.one_of(bad_instance().filter(lambda v: v not in ([], ())), st.just([1])),
        title=bad_text(),
        epochs=bad_int(1, none=True),
        loss_max=bad_number(0, open_low=True, none=True),
        figsize=bad_figsize(),
        dpi=bad_int(1, 600),
    ),
    "rnnbook.plotting.heatmap_png": direct(
        "rnnbook.plotting.heatmap_png",
        lambda o: dict(grid=[[0.5, 0.6], [0.7, 0.8]], bptts=[5, 10], hiddens=[8, 16], epochs=1, dpi=10),
        grid=bad_grid(),
        bptts=st.one_of(bad_strings(), st.just([10, 5]), st.just([0, 5])),
        hiddens=st.one_of(bad_strings(), st.just([8, 8])),
        epochs=bad_int(1),
        dpi=bad_int(1, 600),
    ),
    # diagrams
    "rnnbook.diagrams.draw_unrolled": direct(
        "rnnbook.diagrams.draw_unrolled",
        lambda o: dict(n_steps=2),
        n_steps=bad_int(1, 24),
        outputs=st.one_of(short_text, bad_instance()),
        words=st.one_of(bad_strings(none=True), st.just(["a"])),
        carry_in=bad_bool(),
        title=bad_text(),
    ),
    "rnnbook.diagrams.draw_rolled": direct(
        "rnnbook.diagrams.draw_rolled",
        lambda o: {},
        outputs=st.one_of(short_text, bad_instance()),
        title=bad_text(),
    ),
    "rnnbook.diagrams.count_parts": direct(
        "rnnbook.diagrams.count_parts", lambda o: dict(fig=o["fig"]), fig=bad_instance()
    ),
    # explorer
    "rnnbook.explorer.WidgetReporter": direct(
        "rnnbook.explorer.WidgetReporter",
        lambda o: dict(progress=_fn("ipywidgets.IntProgress")()),
        progress=bad_instance(),
        on_epoch=bad_function(none=True),
        min_interval=bad_number(0),
    ),
    "rnnbook.explorer.Explorer": direct(
        "rnnbook.explorer.Explorer",
        lambda o: dict(data=o["data"]),
        data=bad_instance(none=True),
        device=bad_device(),
        model=st.one_of(short_text, bad_instance(), st.just("fc3")),
        bptt=bad_int(2, 70),
        hidden=st.one_of(bad_int(8, 256), st.just(12)),
        bs=st.one_of(bad_int(1), st.just(7), st.just(1024)),
        epochs=bad_int(1, 30),
        seed=bad_int(0, 10**6),
    ),
    "rnnbook.explorer.explorer": direct(
        "rnnbook.explorer.explorer",
        lambda o: dict(data=o["data"]),
        data=bad_instance(none=True),
        device=bad_device(),
        **{"**settings": unknown_names(("model", "bptt", "hidden", "bs", "epochs", "seed"))},
    ),
    "rnnbook.explorer.Explorer.run": method(lambda o: _explorer(), "run", block=bad_bool()),
    "rnnbook.explorer.Explorer.wait": method(lambda o: _explorer(), "wait", timeout=bad_number(0, none=True)),
    # sweep
    "rnnbook.sweep.SweepResults": direct(
        "rnnbook.sweep.SweepResults",
        lambda o: dict(model="every", bptts=(5,), hiddens=(8,), epochs=1, seed=0, device="cpu"),
        model=bad_text(empty=False),
        bptts=bad_strings(),
        hiddens=st.one_of(bad_strings(), st.just((8, 8))),
        epochs=bad_int(1),
        seed=bad_int(0, checks.MAX_SEED),
        device=bad_text(),
        bs=bad_int(1),
        histories=bad_instance().filter(lambda v: not isinstance(v, dict)),
        seconds=bad_instance().filter(lambda v: not isinstance(v, dict)),
    ),
    "rnnbook.sweep.SweepResults.accuracy": method(
        lambda o: o["results"],
        "accuracy",
        lambda o: dict(bptt=5, hidden=8),
        bptt=st.one_of(bad_int(), st.just(6)),
        hidden=st.one_of(bad_int(), st.just(9)),
    ),
    "rnnbook.sweep.SweepResults.table": method(
        lambda o: o["results"], "table", what=st.one_of(short_text, bad_instance())
    ),
    "rnnbook.sweep.sweep": direct(
        "rnnbook.sweep.sweep",
        lambda o: dict(model="every", bptts=(5,), hiddens=(8,), epochs=1, data=o["data"]),
        model=st.one_of(bad_instance(), st.just("gru3")),
        bptts=st.one_of(bad_strings(), st.just((10, 5)), st.just((5, 5)), st.just((10**6,))),
        hiddens=st.one_of(bad_strings(), st.just((16, 8)), st.just((10**6,))),
        epochs=bad_int(1),
        seed=bad_int(0, checks.MAX_SEED),
        data=bad_instance(none=True),
        device=bad_device(),
        threads=bad_int(1, checks.MAX_THREADS, none=True),
        progress=bad_function(none=True),
        workers=bad_int(1),
    ),
    "rnnbook.sweep.setting_png": direct(
        "rnnbook.sweep.setting_png",
        lambda o: dict(results=o["results"], bptt=5, hidden=8, dpi=10),
        results=bad_instance(),
        bptt=st.one_of(bad_int(), st.just(6)),
        hidden=st.one_of(bad_int(), st.just(9)),
        dpi=bad_int(1, 600),
    ),
    "rnnbook.sweep.setting_heatmap_png": direct(
        "rnnbook.sweep.setting_heatmap_png",
        lambda o: dict(results=o["results"], dpi=10),
        results=bad_instance(),
        dpi=bad_int(1, 600),
    ),
    "rnnbook.sweep.setting_alt": direct(
        "rnnbook.sweep.setting_alt",
        lambda o: dict(results=o["results"], bptt=5, hidden=8),
        results=bad_instance(),
        bptt=st.one_of(bad_int(), st.just(6)),
        hidden=st.one_of(bad_int(), st.just(9)),
    ),
    "rnnbook.sweep.heatmap_alt": direct(
        "rnnbook.sweep.heatmap_alt", lambda o: dict(results=o["results"]), results=bad_instance()
    ),
    "rnnbook.sweep.static_explorer": direct(
        "rnnbook.sweep.static_explorer",
        lambda o: dict(results=o["results"]),
        results=bad_instance(),
        bptt=st.one_of(bad_int(none=True), st.just(6)),
        hidden=st.one_of(bad_int(none=True), st.just(9)),
    ),
    "rnnbook.sweep.static_batches": direct(
        "rnnbook.sweep.static_batches",
        lambda o: dict(data=o["data"], bptts=(5,)),
        data=bad_instance(),
        bptts=st.one_of(bad_strings(), st.just((5, 3))),
        bs=bad_int(1, 13016),
        rows=bad_int(1),
        width=bad_int(4),
    ),
    # playground
    "rnnbook.playground.encode": direct(
        "rnnbook.playground.encode",
        lambda o: dict(model=o["small"], key="k"),
        model=bad_instance(),
        key=st.one_of(bad_text(), st.just(""), st.just("-a")),
        vocab=bad_instance(none=True),
        seed=bad_int(0, checks.MAX_SEED, none=True),
        accuracy=bad_number(0, 1, none=True),
        title=bad_text(none=True),
    ),
    "rnnbook.playground.export_model": direct(
        "rnnbook.playground.export_model",
        lambda o: dict(learn_or_model=o["small"], folder=o["folder"], key="k"),
        learn_or_model=bad_instance(),
        folder=bad_path(),
        key=st.one_of(bad_text(), st.just("a/b")),
        seed=bad_int(0, checks.MAX_SEED, none=True),
        accuracy=bad_number(0, 1, none=True),
        vocab=bad_instance(none=True),
        title=bad_text(none=True),
    ),
    "rnnbook.playground.load_model": direct(
        "rnnbook.playground.load_model",
        lambda o: dict(source=o["folder"] / "small.bin"),
        source=st.one_of(bad_path(), st.just(b"RNNB"), st.just("no/such.bin")),
    ),
    "rnnbook.playground.predict": direct(
        "rnnbook.playground.predict",
        lambda o: dict(model=o["small"], tokens=["one"], vocab=o["vocab"]),
        model=bad_instance(),
        tokens=bad_strings(),
        vocab=bad_instance(),
        k=bad_int(1, VOCAB),
    ),
    "rnnbook.playground.playground": direct(
        "rnnbook.playground.playground",
        lambda o: dict(learn_or_model=o["small"]),
        learn_or_model=bad_instance(),
        key=st.one_of(bad_text(), st.just("")),
        vocab=bad_instance(none=True),
        text=bad_text(none=True),
        accuracy=bad_number(0, 1, none=True),
        seed=bad_int(0, checks.MAX_SEED, none=True),
        height=bad_int(200, 10_000),
    ),
    "rnnbook.playground.Playground": direct(
        "rnnbook.playground.Playground",
        lambda o: dict(data=o["pg_bytes"], key="k"),
        data=st.one_of(bad_instance(), st.just(b"RNNB")),
        key=bad_text(empty=False),
        text=bad_text(none=True),
        height=bad_int(200, 10_000),
    ),
    "rnnbook.playground.export_translator": direct(
        "rnnbook.playground.export_translator",
        lambda o: dict(learn_or_model=_seq2seq(), folder=o["folder"]),
        learn_or_model=st.one_of(bad_instance(), st.builds(lambda: _fn("rnnbook.seq2seq.Seq2Seq")(VOCAB, 4))),
        folder=bad_path(),
        key=st.one_of(bad_text(), st.just("a/b"), st.just("")),
        seed=bad_int(0, checks.MAX_SEED, none=True),
    ),
    "rnnbook.playground.translator_box": direct(
        "rnnbook.playground.translator_box",
        key=st.one_of(bad_text(), st.just("a/b")),
        script=bad_text(empty=False),
    ),
    # book
    "rnnbook.book.describe_device": direct(
        "rnnbook.book.describe_device", lambda o: dict(device="cpu"), device=bad_device(none=False)
    ),
    "rnnbook.book.setup": direct(
        "rnnbook.book.setup",
        lambda o: dict(device="cpu"),
        seed=bad_int(0, checks.MAX_SEED),
        device=bad_device(),
        threads=bad_int(1, checks.MAX_THREADS, none=True),
    ),
    "rnnbook.book.show_source": direct(
        "rnnbook.book.show_source",
        lambda o: dict(obj=checks.show),
        obj=st.one_of(bad_instance(), st.just(len)),
    ),
    "rnnbook.book.glue": direct(
        "rnnbook.book.glue", lambda o: dict(name="n", value=1), name=bad_text(empty=False), display=bad_bool()
    ),
    "rnnbook.book.describe_machine": direct(
        "rnnbook.book.describe_machine",
        lambda o: dict(machine=_fn("rnnbook.book.build_machine")()),
        machine=st.one_of(bad_instance(), st.just({"device": "cpu"})),
    ),
    "rnnbook.book.chapter_times": direct("rnnbook.book.chapter_times", lambda o: {}, path=bad_path()),
    # modern
    **{
        f"rnnbook.modern.{name}": direct(
            f"rnnbook.modern.{name}", lambda o: dict(x=torch.zeros(3)), x=bad_tensor()
        )
        for name in ("g", "log_g")
    },
    **{
        f"rnnbook.modern.{name}": direct(
            f"rnnbook.modern.{name}",
            lambda o: dict(a=torch.full((2, 5, 3), 0.5), b=torch.full((2, 5, 3), 0.5)),
            a=bad_tensor(3),
            b=bad_tensor(3),  # a b of another shape than a fails the function's assert
            h0=bad_tensor(2, none=True),
        )
        for name in ("parallel_scan", "sequential_scan")
    },
    "rnnbook.modern.log_scan": direct(
        "rnnbook.modern.log_scan",
        lambda o: dict(log_a=torch.full((2, 5, 3), -0.5), log_b=torch.full((2, 5, 3), -0.5)),
        log_a=bad_tensor(3),
        log_b=bad_tensor(3),
        h0=bad_tensor(2, none=True),
    ),
    "rnnbook.lengths.length_costs": direct(
        "rnnbook.lengths.length_costs",
        lambda o: dict(lengths=(2,), n_hidden=4, repeats=1, mixers=("mingru",)),
        lengths=st.sampled_from([(), (4, 2), (0,), (2**17,), (1.5,), "ab", 5, None, [True]]),
        batch=bad_int(1, 1024),
        n_hidden=bad_int(1, checks.MAX_UNITS),
        repeats=bad_int(1),
        device=bad_device(none=False),
        mixers=st.one_of(bad_strings(), st.just(["lstm"])),
        budget=bad_number(0, open_low=True),
    ),
    "rnnbook.lengths.plot_length_costs": direct(
        "rnnbook.lengths.plot_length_costs",
        lambda o: dict(rows=[{"mixer": "gru", "length": 2, "per_token": 1.0}]),
        rows=st.one_of(bad_instance(), st.just([{"mixer": "gru"}])),
        title=bad_text(),
    ),
    # inside the models
    "rnnbook.bptt.manual_grads": direct(
        "rnnbook.bptt.manual_grads",
        lambda o: dict(model=_fn("rnnbook.bptt.SimpleRNN")(VOCAB, 4),
                       x=torch.zeros(2, 4, dtype=torch.long), y=torch.zeros(2, 4, dtype=torch.long)),
        model=bad_instance(),
        x=bad_ids(2, None),
        y=bad_ids(2, None),
        h0=bad_tensor(2, none=True),
        window=bad_int(1, none=True),
    ),
    "rnnbook.bptt.state_jacobians": direct(
        "rnnbook.bptt.state_jacobians",
        lambda o: dict(w_hh=torch.eye(3), states=torch.zeros(4, 3)),
        w_hh=bad_tensor(2),
        states=bad_tensor(2),
    ),
    "rnnbook.seq2seq.split_numbers": direct(
        "rnnbook.seq2seq.split_numbers", lambda o: dict(split="random"),
        split=st.one_of(bad_instance(), st.sampled_from(["Random", "lesson", ""])),
    ),
    "rnnbook.seq2seq.translation_loaders": direct(
        "rnnbook.seq2seq.translation_loaders",
        lambda o: dict(vocab=o["vocab"], split="extrapolate", bs=64),
        vocab=bad_instance(), split=st.one_of(bad_instance(), st.just("both")), bs=bad_int(1),
        label=bad_function(),
    ),
    "rnnbook.seq2seq.decode": direct(
        "rnnbook.seq2seq.decode",
        lambda o: dict(model=_seq2seq(), src=torch.full((2, 6), 1), beam=2),
        model=st.one_of(bad_instance(), st.just(models_gru())),
        src=st.one_of(bad_ids(2), st.just(torch.ones(2, 5, dtype=torch.long))),
        beam=bad_int(1, 13),
    ),
    "rnnbook.seq2seq.exact_match": direct(
        "rnnbook.seq2seq.exact_match",
        lambda o: dict(model=_seq2seq(), loader=_fn("rnnbook.seq2seq.TranslationLoader")(
            [1, 2], o["vocab"], 2, False), beam=1),
        model=bad_instance(), loader=st.one_of(bad_instance(), st.just([(1, 2)])), beam=bad_int(1, 13),
    ),
    "rnnbook.seq2seq.words_to_number": direct(
        "rnnbook.seq2seq.words_to_number", lambda o: dict(words="eight thousand forty two"),
        words=st.one_of(bad_text(empty=False), st.sampled_from(
            ["eight thousand forty two x", "thousand eight", "zero", "ten thousand", "four ,"])),
    ),
    "rnnbook.seq2seq.TranslationLoader.to": method(
        lambda o: _fn("rnnbook.seq2seq.TranslationLoader")([1, 2], o["vocab"], 2, False), "to",
        lambda o: dict(device="cpu"), device=bad_device(none=False),
    ),
    "rnnbook.seq2seq.translate": direct(
        "rnnbook.translate", lambda o: dict(model_or_learn=_seq2seq(), words="four", beam=1),
        model_or_learn=bad_instance(), words=st.one_of(bad_text(empty=False), st.just("forty forty")),
        beam=bad_int(1, 13),
    ),
    "rnnbook.inside.connectivity": direct(
        "rnnbook.inside.connectivity",
        lambda o: dict(model=o["small"], tokens=torch.tensor([2, 9, 10, 11]), position=2),
        model=bad_instance(),
        tokens=bad_ids(1, VOCAB),
        position=bad_int(0, 3),
        whole=bad_bool(),
    ),
    "rnnbook.inside.connectivity_map": direct(
        "rnnbook.inside.connectivity_map",
        lambda o: dict(model=o["small"], stream=torch.arange(2, 12), positions=[5], back=3),
        model=bad_instance(),
        stream=bad_ids(1, VOCAB),
        positions=st.one_of(bad_instance(), st.just([1]), st.just([10])),
        back=bad_int(1, 10),
    ),
    "rnnbook.inside.neurons": direct(
        "rnnbook.inside.neurons",
        lambda o: dict(model=o["small"], stream=o["data"].valid[:20], vocab=o["data"].vocab),
        model=bad_instance(),
        stream=bad_ids(1, VOCAB),
        vocab=bad_instance(),
    ),
    "rnnbook.inside.coloured_text": direct(
        "rnnbook.inside.coloured_text",
        lambda o: dict(words=["eight", "thousand"], values=[0.5, -1.0]),
        words=bad_strings(empty=True),
        values=st.one_of(st.just([1.0]), st.just([float("nan"), 1.0]), st.just(["a", "b"])),
        label=bad_text(),
    ),
    # generation (an untrained small GRU: it writes wrong words, cheaply)
    "rnnbook.generation.generate": direct(
        "rnnbook.generation.generate",
        lambda o: dict(learn_or_model=o["small"], prompt="eight ,", n_words=1),
        learn_or_model=bad_instance(),
        prompt=st.one_of(bad_text(), st.sampled_from(["", "  ", "eight zillion ,"])),
        n_words=bad_int(1),
        temperature=bad_number(0),
        seed=bad_int(0, checks.MAX_SEED),
        vocab=bad_instance(none=True),
        window=bad_int(1, none=True),
    ),
    "rnnbook.generation.counting_prompt": direct(
        "rnnbook.generation.counting_prompt",
        lambda o: dict(start=8001),
        start=bad_int(1, 9999),
        n=st.one_of(bad_int(1), st.just(2000)),
    ),
    "rnnbook.generation.numbers_counted": direct(
        "rnnbook.generation.numbers_counted",
        lambda o: dict(learn_or_model=o["small"], start=8001, max_numbers=1),
        learn_or_model=bad_instance(),
        start=st.one_of(bad_int(1, 9999), st.just(9999)),
        prompt_numbers=bad_int(1, 9999),
        max_numbers=bad_int(1),
        vocab=bad_instance(none=True),
        window=bad_int(1, none=True),
    ),
    "rnnbook.generation.count_table": direct(
        "rnnbook.generation.count_table",
        lambda o: dict(learn_or_model=o["small"], starts=[8001], max_numbers=1),
        learn_or_model=bad_instance(),
        starts=st.one_of(
            bad_instance().filter(lambda v: not isinstance(v, (list, tuple)) or not v),
            st.lists(bad_int(1, 9999), min_size=1, max_size=2),
        ),
        **{"**kwargs": unknown_names(("prompt_numbers", "max_numbers", "vocab", "window"))},
    ),
    "rnnbook.generation.valid_count_rate": direct(
        "rnnbook.generation.valid_count_rate",
        lambda o: dict(learn_or_model=o["small"], temperatures=[1.0], starts=[8001], numbers=1),
        learn_or_model=bad_instance(),
        temperatures=st.one_of(
            bad_instance().filter(lambda v: not isinstance(v, (list, tuple, dict))),
            st.lists(bad_number(0, open_low=True), min_size=1, max_size=2),
        ),
        starts=st.one_of(no_empty(bad_instance()).filter(lambda v: v != [1, 2]), st.just([])),
        numbers=bad_int(1),
        vocab=bad_instance(none=True),
        window=bad_int(1, none=True),
    ),
    "rnnbook.generation.next_word_probs": direct(
        "rnnbook.generation.next_word_probs",
        lambda o: dict(learn_or_model=o["small"], prompt="eight ,", temperatures=[1.0]),
        learn_or_model=bad_instance(),
        prompt=st.one_of(bad_text(), st.sampled_from(["", "eight zillion ,"])),
        temperatures=st.one_of(
            bad_instance().filter(lambda v: not isinstance(v, (list, tuple, dict))),
            st.lists(bad_number(0, open_low=True), min_size=1, max_size=2),
        ),
        vocab=bad_instance(none=True),
        window=bad_int(1, none=True),
    ),
    # train in the browser
    "rnnbook.train_here.browser_recipes": direct(
        "rnnbook.train_here.browser_recipes",
        lambda o: {},
        models=st.one_of(bad_strings(), st.just(["fc3"])),
    ),
    "rnnbook.train_here.train_panel": direct(
        "rnnbook.train_here.train_panel",
        lambda o: {},
        model=st.one_of(bad_instance(), st.just("fc3")),
        models=st.one_of(bad_strings(), st.just(["fc3"])),
        script=bad_text(empty=False),
    ),
    # cli (as functions)
    "rnnbook.cli.format_table": direct(
        "rnnbook.cli.format_table",
        lambda o: dict(rows=[]),
        rows=st.one_of(bad_instance().filter(lambda v: v not in ([], ())), st.just([{"model": "x"}])),
    ),
    "rnnbook.cli.format_ceiling": direct(
        "rnnbook.cli.format_ceiling",
        lambda o: dict(rows=64),
        rows=st.one_of(bad_int(1), st.integers(13017, 10**9)),
    ),
    "rnnbook.cli.main": direct(
        "rnnbook.cli.main",
        lambda o: dict(argv=["ceiling"]),
        argv=st.one_of(bad_strings(empty=True, none=True), st.just("train")),
    ),
    # exercises: a wrong answer gives a ✗ message, never an exception
    # the run cache (no cache folder while the tests run: nothing is written)
    "rnnbook.runs.run_key": direct(
        "rnnbook.runs.run_key",
        lambda o: dict(recipe=_fn("rnnbook.recipes.RECIPES")["every"], seed=0, device="cpu"),
        recipe=st.one_of(bad_instance(), st.just("every")),
        seed=bad_int(0, checks.MAX_SEED),
        device=bad_device(none=False),
    ),
    "rnnbook.runs.has": direct(
        "rnnbook.runs.has",
        lambda o: dict(key="abc123"),
        key=st.one_of(bad_text(), st.sampled_from(["", "../x", "a b"])),
    ),
    "rnnbook.runs.load": direct(
        "rnnbook.runs.load",
        lambda o: dict(key="abc123", learn=o["learn"]),
        key=st.one_of(bad_text(), st.sampled_from(["", "../x", "a b"])),
        learn=bad_instance(),
    ),
    "rnnbook.runs.save": direct(
        "rnnbook.runs.save",
        lambda o: dict(key="abc123", learn=o["learn"], history=o["history"]),
        key=st.one_of(bad_text(), st.sampled_from(["", "../x", "a b"])),
        learn=bad_instance(),
        history=bad_instance(),
    ),
    "rnnbook.runs.record": direct(
        "rnnbook.runs.record",
        lambda o: dict(recipe=_fn("rnnbook.recipes.RECIPES")["every"], seed=0, seconds=1.0, loaded=False),
        recipe=st.one_of(bad_instance(), st.just("every")),
        seed=bad_int(0, checks.MAX_SEED),
        seconds=bad_number(0),
        loaded=bad_bool(),
    ),
    "rnnbook.runs.replay": direct(
        "rnnbook.runs.replay",
        lambda o: dict(history=o["history"], reporter=o["silent"]),
        history=bad_instance(),
        reporter=bad_instance(),
    ),
    "rnnbook.runs.build_runs": direct(
        "rnnbook.runs.build_runs", lambda o: dict(base=o["folder"]), base=bad_path()
    ),
    "rnnbook.table.format_row": direct(
        "rnnbook.table.format_row",
        lambda o: dict(row={}),
        row=st.one_of(bad_instance(), st.just({"model": "x"})),
    ),
    "rnnbook.exercises.Check": direct(
        "rnnbook.exercises.Check",
        lambda o: dict(passed=True, message="m"),
        passed=bad_bool(),
        message=bad_text(),
    ),
}


@functools.cache
def _explorer():
    from rnnbook.explorer import Explorer

    return Explorer(data=objects()["data"])


def _exercises():
    from rnnbook import exercises

    for name in exercises.__all__:
        if name.startswith("check_"):
            param = next(iter(inspect.signature(getattr(exercises, name)).parameters))
            ENTRIES[f"rnnbook.exercises.{name}"] = Entry(
                lambda o, name=name: getattr(exercises, name),
                lambda o: {},
                {param: st.one_of(ints, floats, short_text, junk.filter(lambda v: not callable(v)))},
                kind="check",
            )


_exercises()

# the command line: every option of every command, given as text
POSITIVE_TEXT = st.one_of(
    st.sampled_from(["", "x", "0", "-3", "1.5", "nan", "inf", "1e3", "0x10"]),
    st.integers(max_value=0).map(str),
)
CLI = {
    "train": (
        ["train", "--model", "every", "--epochs", "1"],
        {
            "--model": st.one_of(
                st.sampled_from(["", "gru3", "GRU2", "fc 3"]),
                short_text.filter(
                    lambda t: t not in _fn("rnnbook.recipes.RECIPES") and not t.startswith("-")
                ),
            ),
            "--bptt": st.one_of(POSITIVE_TEXT, st.integers(783, 10**12).map(str)),
            "--hidden": st.one_of(POSITIVE_TEXT, st.integers(checks.MAX_UNITS + 1, 10**12).map(str)),
            "--bs": st.one_of(POSITIVE_TEXT, st.integers(50079, 10**12).map(str)),
            "--epochs": POSITIVE_TEXT,
            "--lr": st.one_of(
                st.sampled_from(["", "x", "0", "-1", "nan", "inf", "-inf", "1e999"]),
                st.floats(max_value=0).map(repr),
            ),
            "--seed": st.one_of(
                st.sampled_from(["", "x", "1.5", str(2**64)]), st.integers(max_value=-1).map(str)
            ),
            "--device": st.sampled_from(["gpu", "", "cuda:x", "tpu", "cuda:999", "CUDA"]),
            "--threads": st.one_of(POSITIVE_TEXT, st.integers(checks.MAX_THREADS + 1, 10**12).map(str)),
            "**option": st.sampled_from(["--hiden", "--lrate", "--gpu", "--size"]),
        },
    ),
    "table": (
        ["table", "--models", "fc3", "--seeds", "1"],
        {
            "--models": st.sampled_from(["", ",", "gru3", "gru2,nope", " , ", "fc3,,x"]),
            "--seeds": st.one_of(POSITIVE_TEXT, st.integers(1001, 10**12).map(str)),
            "--workers": POSITIVE_TEXT,
            "--device": st.sampled_from(["gpu", "", "cuda:x", "tpu", "cuda:999"]),
            "--threads": st.one_of(POSITIVE_TEXT, st.integers(checks.MAX_THREADS + 1, 10**12).map(str)),
            "**option": st.sampled_from(["--lr", "--epochs", "--hidden"]),  # (--seed would be --seeds)
        },
    ),
    "ceiling": (
        ["ceiling"],
        {
            "--rows": st.one_of(POSITIVE_TEXT, st.integers(13017, 10**12).map(str)),
            "**option": st.sampled_from(["--device", "--threads", "--seed"]),
        },
    ),
}
for command, (argv, options) in CLI.items():
    ENTRIES[f"python -m rnnbook {command}"] = Entry(None, lambda o, argv=argv: argv, options, kind="cli")

CASES = [(name, arg) for name, entry in ENTRIES.items() for arg in entry.args]
TRIED: Counter = Counter()
ERRORS: Counter = Counter()


def _named(message: str, name: str) -> bool:
    """Whether ``message`` names ``name`` as a word (``bs`` in "bs=3", not in "subset")."""
    return re.search(rf"(?<!\w){re.escape(name.lstrip('-'))}(?!\w)", message) is not None


def _shown(value) -> str | None:
    """What the message must show of a scalar value (None: nothing checked)."""
    if isinstance(value, (int, float, str)) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else None
    return None


def _run_python(entry: Entry, arg: str, value) -> None:
    o = objects()
    if arg.startswith("**"):
        name, kwargs = value, {**entry.base(o), value: 32}
    else:
        name, kwargs = arg, {**entry.base(o), arg: value}
    func = entry.call(o)
    if entry.kind == "check":
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            result = func(**kwargs)
        assert not result and result.message.startswith("✗"), result
        assert result.message in err.getvalue()
        assert "must be a function or a class" in result.message, result.message
        ERRORS["✗ message"] += 1
        return
    try:
        func(**kwargs)
    except (TypeError, ValueError) as e:
        message = str(e)
        ERRORS[type(e).__name__] += 1
    except Exception as e:  # noqa: BLE001 (the point: no other exception)
        pytest.fail(
            f"{type(e).__name__} instead of a ValueError or TypeError for {name}={checks.show(value)}: {e}"
        )
    else:
        pytest.fail(f"{name}={checks.show(value)} was accepted")
    assert "\n" not in message, f"a message of more than one line: {message!r}"
    assert _named(message, name.split("[")[0]), f"the message does not name {name!r}: {message}"
    shown = _shown(value)
    if shown is not None and not arg.startswith("**"):
        assert shown in message, f"the message does not show the value {shown}: {message}"


def _run_cli(command: str, arg: str, text: str) -> None:
    from rnnbook.cli import main

    argv = CLI[command][0] + ([text, "3"] if arg.startswith("**") else [arg, text])
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2, f"{argv}: exit status {e.value.code}"
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, f"{argv}: stderr is not one line: {err.getvalue()!r}"
    assert lines[0].startswith(f"python -m rnnbook {command}: error: "), lines[0]
    option = text if arg.startswith("**") else arg
    assert _named(lines[0], option), f"{argv}: the message does not name {option}: {lines[0]}"
    if "expected one argument" not in lines[0]:  # argparse takes "-inf" for an option, not a value
        assert text.strip() in lines[0] or repr(text) in lines[0], (
            f"{argv}: the value is not shown: {lines[0]}"
        )
    ERRORS["exit 2"] += 1


@pytest.mark.parametrize("name,arg", CASES, ids=[f"{n}:{a}" for n, a in CASES])
def test_a_bad_argument_is_refused_where_it_enters(name, arg):
    entry = ENTRIES[name]

    @HYPOTHESIS
    @given(value=entry.args[arg])
    def check(value):
        TRIED[name, arg] += 1
        if entry.kind == "cli":
            _run_cli(name.split()[-1], arg, value)
        else:
            _run_python(entry, arg, value)

    check()


# Public callables that take no argument of their own, or that are not entry points.
_MODEL = ("a model class: it trusts its caller (Recipe, build and train check the sizes at "
          "the door), as the chapters show it")
EXCUSED = {
    **{f"rnnbook.models.{c}": _MODEL for c in (
        "FullyConnected3", "Loop3", "EveryToken", "Stateful", "StatefulRNN", "LoopNoBN",
        "RNNNoBN", "GRU2", "LSTM2", "RegularizedLSTM", "BatchNorm1dFlat")},
    **{f"rnnbook.modern.{c}": _MODEL for c in (
        "MinGRULayer", "MinLSTMLayer", "MinGRU", "MinLSTM", "CausalTransformer", "Attention",
        "Block")},
    "rnnbook.copy_gru.CopyGRU": _MODEL,
    "rnnbook.bptt.SimpleRNN": _MODEL,
    "rnnbook.seq2seq.Seq2Seq": _MODEL,
    "rnnbook.seq2seq.ManyToOne": _MODEL,
    "rnnbook.seq2seq.BidirectionalLM": _MODEL,
    "rnnbook.seq2seq.TranslationLoader": "built by translation_loaders, which checks its arguments",
    "rnnbook.runs.cached": "wraps the package's own fit function (train uses it)",
    **{f"rnnbook.facts.facts_{k}": "writes the package's own facts (a dict that facts() made)"
       for k in ("json", "js", "h")},
    "rnnbook.parallel.run_jobs": "the package's plumbing: train_runs and compare check what they give it",
    "rnnbook.learner.Reporter": "no arguments; its hooks are called by the Learner",
    "rnnbook.learner.SilentReporter": "no arguments",
    "rnnbook.models.StatefulMixin": "no arguments (a mixin)",
    "rnnbook.modern.MinLayer": "no arguments (the base of MinGRULayer and MinLSTMLayer)",
}
# Public methods with arguments that are not entry points: called by the package itself.
EXCUSED_METHODS = {
    "begin",
    "batch",
    "epoch",
    "end",  # Reporter hooks: called by Learner.fit_one_cycle
    "forward",
    "attention",  # called on every batch; shapes are torch's to check
    "reset",
    "coefficients",
    "feed_forward",  # the layers of a model: called by its forward
    "encode",
    "step",  # Seq2Seq's halves: called by its forward and by seq2seq.decode
}


def _public_modules():
    text = (Path(__file__).resolve().parent.parent / "book" / "api.md").read_text()
    return [importlib.import_module(m) for m in re.findall(r"automodule:: (rnnbook\.\w+)", text)]


def test_every_public_entry_point_is_in_the_table():
    """Every public function, class and method with arguments (of every module on the API
    page) is covered above, or excused with a reason."""
    missing = []
    for module in _public_modules():
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            path = f"{module.__name__}.{name}"
            if not callable(obj) or path in EXCUSED or path in ENTRIES:
                if inspect.isclass(obj):
                    missing += _missing_methods(obj, path)
                continue
            if obj.__module__ != module.__name__ or module.__name__ == "rnnbook.checks":
                continue  # re-exported from elsewhere (covered there), or the checks themselves
            params = [p for p in inspect.signature(obj).parameters if p != "self"]
            if params:
                missing.append(path)
            if inspect.isclass(obj):
                missing += _missing_methods(obj, path)
    assert not missing, f"public entry points without bad-argument cases: {missing}"


def _missing_methods(cls, path):
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_") or name in EXCUSED_METHODS:
            continue
        func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if not inspect.isfunction(func):
            continue
        params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
        if params and f"{path}.{name}" not in ENTRIES:
            out.append(f"{path}.{name}")
    return out


def test_zz_summary(capsys):
    """How much was covered and tried (runs last; skipped when the cases did not run)."""
    if not TRIED:
        pytest.skip("the cases did not run in this session")
    entries = {n for n, _ in CASES}
    untried = [c for c in CASES if TRIED[c] == 0]
    assert not untried, f"never tried: {untried}"
    with capsys.disabled():
        print(
            f"\nbad-argument property: {len(entries)} entry points, {len(CASES)} arguments, "
            f"{sum(TRIED.values())} examples tried (hypothesis, up to {EXAMPLES} per argument); "
            f"answers: {dict(ERRORS)}"
        )
