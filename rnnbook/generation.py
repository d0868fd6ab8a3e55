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

from .checks import positive_int
from .data import VALID_RANGE, Vocab, load_human_numbers, number_to_words
from .learner import Learner

__all__ = ["generate", "counting_prompt", "numbers_counted", "count_table",
           "valid_count_rate", "next_word_probs", "COUNT_STARTS"]

COUNT_STARTS = tuple(range(VALID_RANGE.start, VALID_RANGE.stop, 100))
"""Where the yardstick starts counting: every 100th number of 8,001..9,999."""


def _model_and_window(learn_or_model: Learner | nn.Module, window: int | None
                      ) -> tuple[nn.Module, int | None]:
    """The model, and the words a model without a kept state reads (None for a stateful
    one)."""
    if isinstance(learn_or_model, Learner):
        model = learn_or_model.model
        if window is None:
            window = learn_or_model.valid_dl.bptt
    elif isinstance(learn_or_model, nn.Module):
        model = learn_or_model
    else:
        raise ValueError(f"generate needs a Learner or a model (nn.Module), "
                         f"got {type(learn_or_model).__name__}")
    if callable(getattr(model, "reset", None)):
        return model, None
    if window is None:
        raise ValueError("a model without a kept state (no reset()) reads a fixed "
                         "window of words: pass a Learner, or window=<its bptt>")
    return model, positive_int("window", window)


def _prompt_ids(prompt: str, vocab: Vocab) -> list[int]:
    if not isinstance(prompt, str):
        raise ValueError(f"the prompt must be a string of words, "
                         f"got {type(prompt).__name__}")
    words = prompt.split()
    if not words:
        raise ValueError("the prompt is empty: give at least one word of the "
                         "vocabulary, e.g. 'eight thousand one ,'")
    unknown = [w for w in words if w not in vocab.stoi]
    if unknown:
        raise ValueError(f"the prompt has word(s) not in the vocabulary: "
                         f"{', '.join(repr(w) for w in dict.fromkeys(unknown))}; "
                         f"the words are number words and ','")
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
    words a model without a kept state reads (default: the learner's ``bptt``).
    """
    vocab = vocab if vocab is not None else load_human_numbers().vocab
    n_words = positive_int("n_words", n_words)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not temperature >= 0:
        raise ValueError(f"temperature must be a number >= 0 (0: greedy), "
                         f"got {temperature!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
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
    n = positive_int("n", n)
    return " ".join(f"{number_to_words(k)} ," for k in range(start, start + n))


def _true_count(start: int, prompt_numbers: int, max_numbers: int, vocab: Vocab
                ) -> tuple[list[int], int, list[int]]:
    """The ids of ``counting_prompt(start, prompt_numbers)`` followed by the true count
    (at most ``max_numbers`` numbers, never past 9,999), the prompt's length, and the
    index of the "," that ends each number written."""
    max_numbers = positive_int("max_numbers", max_numbers)
    first = start + prompt_numbers
    last = min(first + max_numbers - 1, VALID_RANGE.stop - 1)
    if last < first:
        raise ValueError(f"start={start} leaves no number to count before 9,999")
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
    vocab = vocab if vocab is not None else load_human_numbers().vocab
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
    if not starts:
        raise ValueError("count_table needs at least one starting point")
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
    vocab = vocab if vocab is not None else load_human_numbers().vocab
    numbers = positive_int("numbers", numbers)
    for t in temperatures:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0:
            raise ValueError(f"each temperature must be a number > 0, got {t!r}")
    if not starts:
        raise ValueError("valid_count_rate needs at least one starting point")
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
    vocab = vocab if vocab is not None else load_human_numbers().vocab
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
        if not t > 0:
            raise ValueError(f"each temperature must be > 0 here, got {t!r}")
        out[t] = torch.softmax(logits / t, -1)
    return out
