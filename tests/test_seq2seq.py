"""rnnbook.seq2seq: the splits, the batches, greedy and beam decoding, and translate, which
round-trips with number_to_words once the attention model is trained."""

import random

import pytest
import torch

from rnnbook import number_to_words, translate
from rnnbook.data import load_human_numbers
from rnnbook.experiments import train
from rnnbook.learner import SilentReporter
from rnnbook.seq2seq import (
    DIGITS,
    EOS,
    IGNORE,
    SRC_LEN,
    TGT_LEN,
    Seq2Seq,
    TranslationLoader,
    decode,
    exact_match,
    split_numbers,
    words_to_number,
)


@pytest.fixture(scope="module")
def vocab():
    return load_human_numbers().vocab


def test_the_splits():
    train_x, valid_x = split_numbers("extrapolate")
    assert (min(train_x), max(train_x), min(valid_x), max(valid_x)) == (1, 7999, 8001, 9999)
    train_r, valid_r = split_numbers("random")
    assert (len(train_r), len(valid_r)) == (len(train_x), len(valid_x))
    assert not set(train_r) & set(valid_r) and set(train_r) | set(valid_r) == set(train_x) | set(valid_x)
    assert sum(n >= 8000 for n in train_r) > 1000  # the thousands eight and nine are seen


def test_a_batch_packs_words_then_digits(vocab):
    x, y = next(iter(TranslationLoader([8042, 7], vocab, 2, shuffle=False)))
    assert x.shape == (2, SRC_LEN + TGT_LEN) and y.shape == (2, TGT_LEN)
    assert vocab.textify(x[0, :SRC_LEN]) == "xxpad xxpad eight thousand forty two"
    assert [DIGITS[i] for i in x[0, SRC_LEN:]] == ["xxbos", "8", "0", "4", "2"]
    assert [DIGITS[i] for i in y[0]] == ["8", "0", "4", "2", "xxeos"]
    assert vocab.textify(x[1, :SRC_LEN]).split()[-1] == "seven"
    assert y[1, 0] == DIGITS.index("7") and y[1, 1] == EOS and (y[1, 2:] == IGNORE).all()


@pytest.mark.parametrize("attention", [False, True])
def test_greedy_decoding_is_the_eval_forward(vocab, attention):
    torch.manual_seed(0)
    model = Seq2Seq(len(vocab), 16, attention=attention).eval()
    x, _ = next(iter(TranslationLoader(list(range(1, 200)), vocab, 199, shuffle=False)))
    with torch.no_grad():
        forward = model(x).argmax(-1)
    out = decode(model, x[:, :SRC_LEN], beam=1)
    # equal up to each row's end; after it, decode writes padding
    for f, o in zip(forward.tolist(), out.tolist(), strict=True):
        end = o.index(EOS) + 1 if EOS in o else TGT_LEN
        assert f[:end] == o[:end]


def _logp(model, src, seq):
    """Log-probability of the digits ``seq`` (up to its end) given ``src``, by teacher forcing."""
    model.train()  # forced: the decoder reads the digits given
    x = torch.cat([src, torch.tensor([[1, *seq[:-1]]])], 1)
    with torch.no_grad():
        logp = torch.log_softmax(model(x), -1)[0]
    model.eval()
    end = seq.index(EOS) + 1 if EOS in seq else TGT_LEN
    return sum(logp[t, seq[t]].item() for t in range(end))


def test_a_wider_beam_never_finds_a_less_likely_translation(vocab):
    torch.manual_seed(1)
    model = Seq2Seq(len(vocab), 16, attention=True)
    x, _ = next(iter(TranslationLoader(list(range(100, 160)), vocab, 60, shuffle=False)))
    src = x[:, :SRC_LEN]
    scores = {k: [_logp(model, src[i:i + 1], decode(model, src[i:i + 1], k)[0].tolist())
                  for i in range(len(src))] for k in (1, 13)}
    assert all(b >= g - 1e-5 for g, b in zip(scores[1], scores[13], strict=True))
    assert sum(b > g + 1e-5 for g, b in zip(scores[1], scores[13], strict=True)) > 0


def test_words_to_number_reads_every_number_and_names_what_is_wrong():
    assert all(words_to_number(number_to_words(n)) == n for n in range(1, 10000))
    with pytest.raises(ValueError, match="unknown word 'eleventy'"):
        words_to_number("eleventy one")
    with pytest.raises(ValueError, match="not|must be"):
        words_to_number("thousand eight")
    with pytest.raises(ValueError, match="must be"):
        words_to_number("   ")


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    learn, _ = train("seq2seq_attn", seed=0, device="cpu", reporter=SilentReporter())
    return learn


@pytest.mark.slow
def test_translate_round_trips_with_number_to_words(trained):
    numbers = random.Random(0).sample(range(1, 10000), 600)
    right = [translate(trained, number_to_words(n)) == " ".join(str(n)) for n in numbers]
    assert sum(right) >= 0.99 * len(numbers)
    assert translate(trained.model, "eight thousand forty two", beam=4) == "8 0 4 2"


@pytest.mark.slow
def test_exact_match_of_the_trained_model(trained):
    assert exact_match(trained.model, trained.valid_dl) >= 0.99
    assert exact_match(trained.model, trained.valid_dl, beam=2) >= 0.99
