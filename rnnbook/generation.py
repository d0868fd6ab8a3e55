"""Let the model count (chapter "A model that learns to copy", section "Let it count").

- :func:`generate`: the model reads a prompt from an empty state, then feeds its own
  guesses back, greedily (``temperature=0``) or by sampling from
  ``softmax(logits / temperature)``;
- :func:`numbers_counted`: the yardstick *numbers counted*: from a prompt of five
  written numbers, how many numbers in a row the model writes right before its first
  wrong word;
- :func:`count_table`: that yardstick over starting points spread across the validation
  range (mean, median and each start);
- :func:`valid_count_rate`: how often a sampled continuation is still the right count.

A model that keeps its state (it has ``reset()``) reads the prompt once and then one
word at a time. Any other model reads, for each word it writes, the last ``window``
words from an empty state (its ``bptt``: 3 for ``fc3`` and ``loop3``, 20 for ``every``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import torch
from torch import nn

from . import checks
from .checks import positive_int
from .data import VALID_RANGE, Vocab, load_human_numbers, number_to_words
from .learner import Learner
from .models import StatefulMixin

__all__ = ["generate", "counting_prompt", "numbers_counted", "count_table",
           "valid_count_rate", "next_word_probs", "COUNT_STARTS"]

COUNT_STARTS = tuple(range(VALID_RANGE.start, VALID_RANGE.stop, 100))
"""Where the yardstick starts counting: every 100th number of 8,001..9,999."""


def _model_and_window(learn_or_model: Learner | nn.Module, window: int | None
                      ) -> tuple[nn.Module, int | None]:
    """The model, and the words a model without a kept state reads (None for a stateful
    one)."""
    checks.instance("learn_or_model", learn_or_model, (Learner, nn.Module),
                    "a Learner or a model (nn.Module)")
    if window is not None:
        window = positive_int("window", window)
    if isinstance(learn_or_model, Learner):
        model = learn_or_model.model
        if window is None:
            window = learn_or_model.valid_dl.bptt
    else:
        model = learn_or_model
    if isinstance(model, StatefulMixin):  # it keeps its state: it reads each word once
        return model, None
    if window is None:  # a transformer knows its context
        window = getattr(model, "context", None)
    if window is None:
        raise ValueError("a model without a kept state reads a fixed "
                         "window of words: pass a Learner, or window=<its bptt>")
    return model, positive_int("window", window)


def _vocab(vocab: object) -> Vocab:
    """``vocab``, checked, or the book's."""
    if vocab is None:
        return load_human_numbers().vocab
    return checks.instance("vocab", vocab, Vocab, "a Vocab or None")


def _starts(starts: object) -> list[int]:
    """``starts``, checked: numbers to count from (at least one)."""
    starts = checks.iterable("starts", starts, "a list of starting numbers")
    if not starts:
        checks.refuse("starts", starts, "at least one starting point")
    return [positive_int(f"starts[{i}]", s, 9999) for i, s in enumerate(starts)]


def _temperatures(temperatures: object) -> list[float]:
    """``temperatures``, checked: numbers > 0."""
    ts = checks.iterable("temperatures", temperatures, "a list of temperatures")
    for i, t in enumerate(ts):
        checks.number(f"temperatures[{i}]", t, 0.0, open_low=True,
                      allowed="a number > 0 (each temperature)")
    return ts


def _prompt_ids(prompt: str, vocab: Vocab) -> list[int]:
    checks.text("prompt", prompt)
    words = prompt.split()
    if not words:
        checks.refuse("prompt", prompt, "at least one word of the vocabulary, e.g. "
                      "'eight thousand one ,' (the prompt is empty)")
    unknown = [w for w in words if w not in vocab.stoi]
    if unknown:
        checks.refuse("prompt", prompt, "number words and ',' (the prompt has word(s) "
                      "not in the vocabulary: "
                      f"{', '.join(repr(w) for w in dict.fromkeys(unknown))})")
    return [vocab.stoi[w] for w in words]


class _Reader:
    """Reads words one at a time and gives the next-word logits (V,) after each."""

    def __init__(self, model: nn.Module, window: int | None, device: torch.device):
        self.model, self.window, self.device = model, window, device
        self.ids: list[int] = []

    def read(self, ids: list[int]) -> torch.Tensor:
        """Read ``ids`` after what was read before; the logits after the last one."""
        self.ids += ids
        if self.window is None:  # a kept state: read only the new words
            x = torch.tensor([ids], device=self.device)
            return self.model(x)[0, -1]
        if len(self.ids) < self.window and getattr(self.model, "predicts_last", False):
            raise ValueError(f"this model reads exactly {self.window} words: give a "
                             f"prompt of at least {self.window} words")
        x = torch.tensor([self.ids[-self.window:]], device=self.device)
        out = self.model(x)
        return out[0] if getattr(self.model, "predicts_last", False) else out[0, -1]


@torch.no_grad()
def generate(learn_or_model: Learner | nn.Module, prompt: str, n_words: int,
             temperature: float = 0.0, seed: int = 0, *, vocab: Vocab | None = None,
             window: int | None = None) -> str:
    """The ``n_words`` words the model writes after reading ``prompt``.

    ``prompt``: words of the vocabulary separated by spaces, read from an empty state.
    ``temperature=0`` takes the likeliest word each time (greedy); above 0 each word is
    drawn from ``softmax(logits / temperature)`` with a generator seeded by ``seed``, so
    the same call writes the same words. ``vocab``: default the book's; ``window``: the
    words a model without a kept state reads (default: the learner's ``bptt``, or the
    model's ``context``).
    """
    vocab, n_words = _vocab(vocab), positive_int("n_words", n_words)
    temperature = checks.number("temperature", temperature, 0.0,
                                allowed="a number >= 0 (0: greedy)")
    seed = checks.non_negative_int("seed", seed, checks.MAX_SEED)
    ids = _prompt_ids(prompt, vocab)
    model, window = _model_and_window(learn_or_model, window)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    if window is None:
        model.reset()
    gen = torch.Generator().manual_seed(seed)
    reader = _Reader(model, window, device)
    logits = reader.read(ids)
    out = []
    try:
        for _ in range(n_words):
            if temperature == 0:
                word = int(logits.argmax())
            else:
                probs = torch.softmax(logits.double().cpu() / temperature, -1)
                word = int(torch.multinomial(probs, 1, generator=gen))
            out.append(word)
            logits = reader.read([word])
    finally:
        if window is None:
            model.reset()
        model.train(was_training)
    return vocab.textify(out)


def counting_prompt(start: int, n: int = 5) -> str:
    """``n`` numbers written out from ``start``, each followed by ",": the prompt of
    :func:`numbers_counted`."""
    start = positive_int("start", start, 9999)
    n = positive_int("n", n, 10_000 - start)
    return " ".join(f"{number_to_words(k)} ," for k in range(start, start + n))


def _true_count(start: int, prompt_numbers: int, max_numbers: int, vocab: Vocab
                ) -> tuple[list[int], int, list[int]]:
    """The ids of ``counting_prompt(start, prompt_numbers)`` followed by the true count
    (at most ``max_numbers`` numbers, never past 9,999), the prompt's length, and the
    index of the "," that ends each number written."""
    start = positive_int("start", start, 9999)
    prompt_numbers = positive_int("prompt_numbers", prompt_numbers, 9999)
    max_numbers = positive_int("max_numbers", max_numbers)
    first = start + prompt_numbers
    last = min(first + max_numbers - 1, VALID_RANGE.stop - 1)
    if last < first:
        raise ValueError(f"start={start} with prompt_numbers={prompt_numbers} "
                         "leaves no number to count before 9,999")
    ids = _prompt_ids(counting_prompt(start, prompt_numbers), vocab)
    n_prompt, ends = len(ids), []
    for k in range(first, last + 1):
        ids += _prompt_ids(f"{number_to_words(k)} ,", vocab)
        ends.append(len(ids) - 1)
    return ids, n_prompt, ends


@torch.no_grad()
def _scores_on(learn_or_model: Learner | nn.Module, ids: list[int], n_prompt: int,
               window: int | None) -> torch.Tensor:
    """The model's scores (written, V) for each word after the prompt, having read the
    true text before it: what it writes as long as every word it wrote was right."""
    model, window = _model_and_window(learn_or_model, window)
    x = torch.tensor(ids, device=next(model.parameters()).device)
    was_training = model.training
    model.eval()
    try:
        if window is None:
            model.reset()
            scores = model(x[None, :-1])[0, n_prompt - 1:]  # (written, V)
            model.reset()
            return scores
        if n_prompt < window:
            raise ValueError(f"the prompt is shorter than the {window} words "
                             "this model reads")
        # the word after position t, from the `window` words up to t
        views = x[:-1].unfold(0, window, 1)[n_prompt - window:]  # (written, window)
        out = model(views)
        return out if getattr(model, "predicts_last", False) else out[:, -1]
    finally:
        model.train(was_training)


def numbers_counted(learn_or_model: Learner | nn.Module, start: int, *,
                    prompt_numbers: int = 5, max_numbers: int = 100,
                    vocab: Vocab | None = None, window: int | None = None) -> int:
    """How many numbers the model writes right, greedily, after the prompt
    ``counting_prompt(start, prompt_numbers)``, before its first wrong word (a number
    counts with its words and the "," after it; at most ``max_numbers``, and never
    past 9,999).

    While every word it wrote was right, the model has read exactly the true count, so
    one pass over the true count finds its first wrong guess: the same answer as
    :func:`generate` with ``temperature=0``, without writing word by word.
    """
    vocab = _vocab(vocab)
    ids, n_prompt, ends = _true_count(start, prompt_numbers, max_numbers, vocab)
    guesses = _scores_on(learn_or_model, ids, n_prompt, window).argmax(-1).cpu()
    wrong = (guesses != torch.tensor(ids[n_prompt:])).nonzero()
    if len(wrong) == 0:
        return len(ends)
    first_wrong = n_prompt + int(wrong[0])  # the index in ids of the first wrong word
    return sum(end < first_wrong for end in ends)


def count_table(learn_or_model: Learner | nn.Module,
                starts: Sequence[int] = COUNT_STARTS, **kwargs) -> dict:
    """:func:`numbers_counted` from each of ``starts``: ``mean``, ``median`` and
    ``counts`` (one per start, in order)."""
    starts = _starts(starts)
    counts = [numbers_counted(learn_or_model, s, **kwargs) for s in starts]
    return {"mean": statistics.fmean(counts), "median": statistics.median(counts),
            "counts": counts}


def valid_count_rate(learn_or_model: Learner | nn.Module, temperatures: Sequence[float],
                     starts: Sequence[int] = COUNT_STARTS, numbers: int = 2, *,
                     vocab: Vocab | None = None, window: int | None = None
                     ) -> list[float]:
    """How often a continuation sampled at each temperature is still the right count:
    the chance that the next ``numbers`` numbers written after
    ``counting_prompt(start)`` are exactly right, averaged over ``starts``.

    Computed, not sampled: the words are right only if each is, and while they are the
    model has read the true count, so the chance is the product of the probabilities
    ``softmax(scores / T)`` gives each true word. :func:`generate` with a temperature
    draws continuations whose share of right ones tends to this figure.
    """
    vocab, numbers = _vocab(vocab), positive_int("numbers", numbers)
    temperatures, starts = _temperatures(temperatures), _starts(starts)
    rates = torch.zeros(len(temperatures), dtype=torch.float64)
    for s in starts:
        ids, n_prompt, _ = _true_count(s, 5, numbers, vocab)
        scores = _scores_on(learn_or_model, ids, n_prompt, window).double().cpu()
        truth = torch.tensor(ids[n_prompt:])[:, None]
        for i, t in enumerate(temperatures):
            logp = torch.log_softmax(scores / t, -1).gather(1, truth)
            rates[i] += logp.sum().exp()
    return (rates / len(starts)).tolist()


@torch.no_grad()
def next_word_probs(learn_or_model: Learner | nn.Module, prompt: str,
                    temperatures: Sequence[float], *, vocab: Vocab | None = None,
                    window: int | None = None) -> dict[float, torch.Tensor]:
    """The distribution the model samples the next word from after ``prompt``, at each
    temperature: ``{T: softmax(logits / T)}`` (V,)."""
    vocab, temperatures = _vocab(vocab), _temperatures(temperatures)
    ids = _prompt_ids(prompt, vocab)
    model, window = _model_and_window(learn_or_model, window)
    was_training = model.training
    model.eval()
    if window is None:
        model.reset()
    reader = _Reader(model, window, next(model.parameters()).device)
    logits = reader.read(ids).double().cpu()
    if window is None:
        model.reset()
    model.train(was_training)
    out = {}
    for t in temperatures:
        out[t] = torch.softmax(logits / t, -1)
    return out
