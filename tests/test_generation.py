"""Generation and the numbers-counted yardstick: the model's own guesses fed back, greedy or
sampled at a temperature, checked on tiny models whose every guess is known."""

import math

import pytest
import torch
from torch import nn

from rnnbook import build
from rnnbook.generation import (
    COUNT_STARTS,
    count_table,
    counting_prompt,
    generate,
    next_word_probs,
    numbers_counted,
    valid_count_rate,
)
from rnnbook.models import StatefulMixin


class Counter(StatefulMixin, nn.Module):
    """A stateful 'model' that knows the count: it predicts the token that follows the one
    it reads in ``stream``, except after ``wrong_after`` tokens read in all, where it says
    ``wrong`` once. It counts the tokens it has read (its state)."""

    def __init__(self, stream, vocab_size, wrong_after=None, wrong=0):
        super().__init__()
        self.stream, self.v = stream.tolist(), vocab_size
        self.nxt = {a: b for a, b in zip(self.stream, self.stream[1:], strict=False)}
        self.wrong_after, self.wrong = wrong_after, wrong
        self.dummy = nn.Parameter(torch.zeros(1))
        self.history: list[int] = []

    def reset(self):
        super().reset()
        self.history = []

    def forward(self, x):
        out = torch.full((*x.shape, self.v), -10.0)
        for t in range(x.shape[1]):
            self.history.append(int(x[0, t]))
            n = len(self.history)
            guess = self._next(self.history)
            if n == self.wrong_after:
                guess = self.wrong
            out[:, t, guess] = 10.0
        return out

    def _next(self, hist):
        # find the longest earlier context in the stream that matches: a lookup of the count
        text = " ".join(map(str, hist[-12:]))
        joined = " ".join(map(str, self.stream))
        i = joined.find(text)
        if i < 0:
            return 0
        k = joined[:i].count(" ") + len(hist[-12:])
        return self.stream[k] if k < len(self.stream) else 0


@pytest.fixture(scope="module")
def truth(data):
    """The validation text from 8,101 on, as ids, and a model that knows it."""
    return data.vocab.numericalize(counting_prompt(8101, 30).split())


def test_greedy_writes_the_models_guesses(data, truth):
    model = Counter(truth, len(data.vocab))
    text = generate(model, counting_prompt(8101), 12)
    assert text == counting_prompt(8106, 3)[:len(text)] and len(text.split()) == 12
    assert model.h is None and model.history == []  # the model is left reset


def test_generate_and_numbers_counted_agree_on_the_first_wrong_word(data, truth):
    prompt = counting_prompt(8101)
    n_prompt = len(prompt.split())
    # wrong at the 3rd word of the 2nd number written: one number counted
    wrong_at = n_prompt + len("eight thousand one hundred six ,".split()) + 3
    model = Counter(truth, len(data.vocab), wrong_after=wrong_at,
                    wrong=data.vocab.stoi["nine"])
    text = generate(model, prompt, 10).split()
    right = counting_prompt(8106, 2).split()
    first_wrong = next(i for i, (a, b) in enumerate(zip(text, right, strict=False)) if a != b)
    assert first_wrong == wrong_at - n_prompt
    assert numbers_counted(model, 8101, max_numbers=10) == 1
    # never wrong: every number up to the cap
    assert numbers_counted(Counter(truth, len(data.vocab)), 8101, max_numbers=7) == 7


def test_numbers_counted_stops_at_9999(data):
    stream = data.vocab.numericalize(counting_prompt(9990, 10).split())
    assert numbers_counted(Counter(stream, len(data.vocab)), 9990) == 5  # 9995..9999
    with pytest.raises(ValueError, match="no number to count"):
        numbers_counted(Counter(stream, len(data.vocab)), 9995)


def test_counting_prompt_and_the_starts():
    assert counting_prompt(8101, 2) == "eight thousand one hundred one , eight thousand one hundred two ,"
    assert COUNT_STARTS[:2] == (8001, 8101) and COUNT_STARTS[-1] == 9901 and len(COUNT_STARTS) == 20


def test_trained_and_untrained_models_greedy_equals_numbers_counted(data):
    # every kind of model: stateful, window of 3 (last token), window of 20 (every token)
    for key in ("gru2", "fc3", "every", "copy_gru"):
        learn = build(key, data=data, device="cpu")
        for start in (8101, 9001):
            n = numbers_counted(learn, start, max_numbers=3)
            text = generate(learn, counting_prompt(start), 3 * 7).split()
            right = counting_prompt(start + 5, 3).split()
            wrong = next((i for i, (a, b) in enumerate(zip(text, right, strict=False))
                          if a != b), len(right))
            assert n == right[:wrong].count(","), key


def test_sampling_is_seeded_and_follows_the_temperature(data):
    learn = build("gru2", data=data, device="cpu")
    prompt = counting_prompt(8101)
    a, b = (generate(learn, prompt, 30, temperature=1.0, seed=3) for _ in range(2))
    assert a == b
    assert generate(learn, prompt, 30, temperature=1.0, seed=4) != a
    # an untrained model is nearly uniform: at a tiny temperature sampling is greedy
    assert generate(learn, prompt, 10, temperature=1e-6) == generate(learn, prompt, 10)
    probs = next_word_probs(learn, prompt, [0.5, 1.0, 2.0])
    for p in probs.values():
        assert p.sum().item() == pytest.approx(1.0)
    # a higher temperature flattens the distribution: its entropy grows
    entropy = [-(p * p.log()).sum().item() for p in probs.values()]
    assert entropy[0] < entropy[1] < entropy[2] < math.log(len(data.vocab))
    assert probs[1.0].argmax() == probs[2.0].argmax() == probs[0.5].argmax()


def test_valid_count_rate_worked_out_by_hand_and_matched_by_sampling(data):
    # a model that gives the true next word a score of m and every other word 0: at
    # temperature T the true word has p = e^(m/T) / (e^(m/T) + V - 1), and a continuation
    # of k words is right with probability p^k
    stream = data.vocab.numericalize(counting_prompt(8001, 40).split())
    V, m = len(data.vocab), 6.0

    class Sure(Counter):
        def forward(self, x):
            return (super().forward(x) > 0).float() * m

    model = Sure(stream, V)
    k = len(counting_prompt(8006, 2).split())  # the words of the next two numbers
    rates = valid_count_rate(model, [0.5, 1.0, 2.0], starts=[8001])
    for t, rate in zip([0.5, 1.0, 2.0], rates, strict=True):
        p = math.exp(m / t) / (math.exp(m / t) + V - 1)
        assert rate == pytest.approx(p ** k)
    # what sampling finds: at T = 2 (rate about 0.4) over 300 seeds, within a few sd
    truth = counting_prompt(8006, 2)
    hits = sum(generate(model, counting_prompt(8001), k, 2.0, seed) == truth
               for seed in range(300))
    sd = math.sqrt(rates[2] * (1 - rates[2]) / 300)
    assert abs(hits / 300 - rates[2]) < 4 * sd
    assert count_table(model, starts=[8001, 8011], max_numbers=5)["counts"] == [5, 5]
    with pytest.raises(ValueError, match=r"temperatures\[0\] must be a number > 0"):
        valid_count_rate(model, [0.0], starts=[8001])


@pytest.mark.parametrize("kwargs, message", [
    ({"prompt": ""}, "the prompt is empty"),
    ({"prompt": "   "}, "the prompt is empty"),
    ({"prompt": "eight eleventy ,"}, "'eleventy'"),
    ({"temperature": -0.5}, "temperature must be a number >= 0"),
    ({"temperature": float("nan")}, "temperature must be a number >= 0"),
    ({"n_words": 0}, "n_words must be a positive int"),
    ({"seed": -1}, r"seed must be an int in 0\.\."),
])
def test_bad_input(data, kwargs, message):
    learn = build("gru2", data=data, device="cpu")
    args = {"prompt": "eight thousand one ,", "n_words": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate(learn, **args)


def test_a_window_model_needs_its_window(data):
    learn = build("fc3", data=data, device="cpu")
    with pytest.raises(ValueError, match="reads exactly 3 words"):
        generate(learn, "eight ,", 2)
    with pytest.raises(ValueError, match="window=<its bptt>"):
        generate(learn.model, "eight thousand one", 2)
    assert len(generate(learn.model, "eight thousand one", 2, window=3).split()) == 2
