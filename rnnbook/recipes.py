"""The book's models and the settings it trains them with, in one table (chapter "Results").

:class:`Recipe` is one model with its training settings and the published figure to compare;
:data:`RECIPES` holds the book's; :func:`get_recipe` looks one up. Every door of the package
that takes a model (``train``, ``compare``, the CLI, the widgets) goes through
:func:`get_recipe`, so a wrong name gets the same message everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from torch import nn

from . import checks, models
from .copy_gru import CopyGRU
from .modern import CausalTransformer, MinGRU, MinLSTM
from .seq2seq import SPLITS, SRC_LEN, TGT_LEN, Seq2Seq

__all__ = ["Recipe", "RECIPES", "TASKS", "get_recipe", "lm_keys"]

TASKS = ("lm", "translate")
"""What a recipe's model does: predict the next word of the stream (``lm``), or write a
number's digits from its words (``translate``, chapter "Words to digits")."""


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
    task: str = "lm"
    split: str = "random"  # translate only: which numbers train (rnnbook.seq2seq.split_numbers)

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
        checks.one_of("task", self.task, TASKS)
        checks.one_of("split", self.split, SPLITS)

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
    # words to digits; bptt: the length of a packed row (words, then the digits read)
    Recipe("seq2seq", "encoder-decoder GRU", Seq2Seq, bptt=SRC_LEN + TGT_LEN, epochs=6,
           lr=1e-2, bs=128, task="translate"),
    Recipe("seq2seq_attn", "encoder-decoder GRU + attention", Seq2Seq, bptt=SRC_LEN + TGT_LEN,
           epochs=6, lr=1e-2, bs=128, model_kwargs={"attention": True}, task="translate"),
]}


def lm_keys() -> list[str]:
    """The keys of the recipes whose models predict the next word (every chapter but
    "Words to digits")."""
    return [k for k, r in RECIPES.items() if r.task == "lm"]


def get_recipe(recipe: Recipe | str, *, name: str = "recipe") -> Recipe:
    """``recipe`` itself if it is a :class:`Recipe`, else the recipe of :data:`RECIPES` of that
    key. Anything else is refused with a ``ValueError`` that lists the keys (``name``: the
    argument's name in that message)."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, str) and recipe in RECIPES:
        return RECIPES[recipe]
    if isinstance(recipe, str):
        raise ValueError(f"{name}: unknown model {recipe!r}; the models are: {', '.join(RECIPES)}")
    checks.refuse(name, recipe, f"a Recipe or a model key ({', '.join(RECIPES)})", wrong_type=True)
