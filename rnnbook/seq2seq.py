"""Words to digits (chapter "Words to digits"): sequence to sequence on the book's
numbers.

"eight thousand forty two" goes in, "8 0 4 2" comes out. An encoder GRU reads the words;
a decoder GRU, started from the encoder's last state, writes the digits one at a time,
each time reading the digit it wrote before (:class:`Seq2Seq`). With ``attention=True``
the decoder also looks back at every encoder state at every step (Luong's "general"
score, https://arxiv.org/abs/1508.04025). A batch packs the words and the digits the
decoder reads into one row, so the book's :class:`~rnnbook.learner.Learner` trains these
models as it trains the language models."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .checks import door
from .data import NUMBER_WORDS, Vocab, load_human_numbers, number_to_words

__all__ = [
    "DIGITS",
    "SRC_LEN",
    "TGT_LEN",
    "SPLITS",
    "IGNORE",
    "Seq2Seq",
    "ManyToOne",
    "BidirectionalLM",
    "split_numbers",
    "TranslationLoader",
    "translation_loaders",
    "decode",
    "exact_match",
    "words_to_number",
    "translate",
]

DIGITS = ["xxpad", "xxbos", "xxeos", *"0123456789"]
"""The decoder's vocabulary: padding, start, end and the ten digits."""
PAD, BOS, EOS = 0, 1, 2
SRC_LEN = 6  # the most words a number of 1..9999 takes ("seven thousand ... seven")
TGT_LEN = 5  # four digits and the end
IGNORE = -100  # a target after the end: not scored (cross_entropy's default)
SPLITS = ("random", "extrapolate")


class Seq2Seq(nn.Module):
    """Encoder GRU, decoder GRU cell, and (``attention``) Luong attention over the
    encoder's states; ``bidirectional``: the encoder reads the words both ways.
    ``teacher_forcing``: in training, the chance that the decoder reads the true
    previous digit rather than its own guess. ``forward(x)`` takes rows of
    :data:`SRC_LEN` word ids then :data:`TGT_LEN` digit ids (start, then the number's
    digits) and returns scores (B, TGT_LEN, 13); in eval mode it decodes greedily from
    its own guesses and ignores the digits given."""

    pad_id = 1  # the words' padding: "xxpad" in the book's vocabulary (rnnbook.data)

    def __init__(
        self,
        vocab_size: int,
        n_hidden: int,
        attention: bool = False,
        bidirectional: bool = False,
        teacher_forcing: float = 1.0,
    ):
        super().__init__()
        n_enc = n_hidden * (2 if bidirectional else 1)
        self.attention, self.teacher_forcing = attention, teacher_forcing
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.encoder = nn.GRU(
            n_hidden, n_hidden, batch_first=True, bidirectional=bidirectional
        )
        self.bridge = nn.Linear(
            n_enc, n_hidden
        )  # encoder's last state -> decoder's first
        self.d_emb = nn.Embedding(len(DIGITS), n_hidden)
        n_ctx = n_enc if attention else 0
        self.cell = nn.GRUCell(n_hidden + n_ctx, n_hidden)
        self.score = nn.Linear(n_hidden, n_enc, bias=False) if attention else None
        self.h_o = nn.Linear(n_hidden + n_ctx, len(DIGITS))
        self.alignment: torch.Tensor | None = (
            None  # (B, TGT_LEN, SRC_LEN) of the last call
        )

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states (B, S, n_enc) and the decoder's first state (B, H)."""
        out, h = self.encoder(self.i_h(src))  # (B, S, n_enc), (dirs, B, H)
        last = torch.cat(list(h), -1)  # (B, n_enc): each direction's final state
        return out, torch.tanh(self.bridge(last))

    def step(
        self, digit: torch.Tensor, h: torch.Tensor, enc: torch.Tensor, pad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step: read ``digit`` (B,), return scores (B, 13), the new state
        (B, H) and the attention weights (B, S) (None without attention)."""
        e = self.d_emb(digit)  # (B, H)
        if self.score is None:
            h = self.cell(e, h)
            return self.h_o(h), h, None
        s = torch.einsum(
            "bse,be->bs", enc, self.score(h)
        )  # (B, S): how well each word fits
        a = F.softmax(s.masked_fill(pad, float("-inf")), -1)  # (B, S)
        ctx = torch.einsum("bs,bse->be", a, enc)  # (B, n_enc)
        h = self.cell(torch.cat([e, ctx], -1), h)
        return self.h_o(torch.cat([h, ctx], -1)), h, a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        src, tgt = x[:, :SRC_LEN], x[:, SRC_LEN:]  # (B, S), (B, T)
        enc, h = self.encode(src)
        pad = src == self.pad_id
        digit, outs, aligns = tgt[:, 0], [], []
        for t in range(TGT_LEN):
            out, h, a = self.step(digit, h, enc, pad)
            outs.append(out)
            aligns.append(a)
            guess = out.argmax(-1)  # (B,)
            if not self.training or t + 1 == TGT_LEN:
                digit = guess
            else:  # teacher forcing: the true digit, for each row with this chance
                forced = torch.rand(len(x), device=x.device) < self.teacher_forcing
                digit = torch.where(forced, tgt[:, t + 1], guess)
        self.alignment = None if aligns[0] is None else torch.stack(aligns, 1).detach()
        return torch.stack(outs, 1)  # (B, T, 13)


class ManyToOne(nn.Module):
    """Many to one: a GRU reads a number's words and its last state gives one label,
    such as the thousands digit (chapter "Words to digits"). ``forward(x)`` (B, S) ->
    (B, n_out)."""

    def __init__(self, vocab_size: int, n_hidden: int, n_out: int = 10):
        super().__init__()
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.GRU(n_hidden, n_hidden, batch_first=True)
        self.h_o = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(self.i_h(x))  # h: (1, B, H), after the last word
        return self.h_o(h[0])  # (B, n_out)


class BidirectionalLM(nn.Module):
    """A language model with a bidirectional GRU: the wrong tool, since the backward
    half reads the words after the one it predicts (chapter "Words to digits" shows the
    book's causality check catching it). ``forward(x)`` (B, T) -> (B, T, vocab)."""

    def __init__(self, vocab_size: int, n_hidden: int):
        super().__init__()
        self.i_h = nn.Embedding(vocab_size, n_hidden)
        self.rnn = nn.GRU(n_hidden, n_hidden, batch_first=True, bidirectional=True)
        self.h_o = nn.Linear(2 * n_hidden, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.i_h(x))  # (B, T, 2H): forwards and backwards states
        return self.h_o(out)  # (B, T, vocab)


# ----------------------------------------------------------------------------------
# Data: which numbers train and which validate, and the batches.


@door(split=functools.partial(checks.one_of, allowed=SPLITS))
def split_numbers(split: str) -> tuple[list[int], list[int]]:
    """The numbers to train on and to validate on. ``"extrapolate"``: 1..7999 and
    8001..9999, the lesson's split, so validation asks for a thousands digit never
    written in training; ``"random"``: the same numbers, shuffled (seed 0) and cut at
    the same sizes."""
    if split == "extrapolate":
        return list(range(1, 8000)), list(range(8001, 10000))
    numbers = [
        n for n in range(1, 10000) if n != 8000
    ]  # 8000: in neither, as in the lesson
    random.Random(0).shuffle(numbers)
    return sorted(numbers[:7999]), sorted(numbers[7999:])


def _rows(numbers: list[int], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """x (N, SRC_LEN + TGT_LEN): words padded on the left, then start and digits padded
    on the right; y (N, TGT_LEN): the digits, the end, then IGNORE."""
    x = torch.full((len(numbers), SRC_LEN + TGT_LEN), PAD)
    y = torch.full((len(numbers), TGT_LEN), IGNORE)
    for i, n in enumerate(numbers):
        words = vocab.numericalize(number_to_words(n).split())
        x[i, :SRC_LEN] = Seq2Seq.pad_id
        x[i, SRC_LEN - len(words) : SRC_LEN] = words
        digits = [DIGITS.index(d) for d in str(n)]
        x[i, SRC_LEN : SRC_LEN + 1 + len(digits)] = torch.tensor([BOS, *digits])
        y[i, : len(digits) + 1] = torch.tensor([*digits, EOS])
    return x, y


class TranslationLoader:
    """Batches of ``(x, y)`` for :class:`Seq2Seq` over ``numbers`` (``shuffle``: a new
    order each epoch, from torch's seeded generator). With ``label`` (a function of the
    number), batches for a many-to-one model instead: the words (B, SRC_LEN) and one
    label each (B,)."""

    def __init__(
        self,
        numbers: list[int],
        vocab: Vocab,
        bs: int,
        shuffle: bool,
        label: Callable[[int], int] | None = None,
    ):
        self.x, self.y = _rows(numbers, vocab)
        if label is not None:
            self.x, self.y = (
                self.x[:, :SRC_LEN],
                torch.tensor([label(n) for n in numbers]),
            )
        self.numbers, self.bs, self.shuffle = numbers, bs, shuffle

    def __len__(self) -> int:
        return -(-len(self.x) // self.bs)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = (
            torch.randperm(len(self.x)) if self.shuffle else torch.arange(len(self.x))
        )
        for i in range(0, len(self.x), self.bs):
            idx = order[i : i + self.bs].to(self.x.device)
            yield self.x[idx], self.y[idx]

    @door(device=functools.partial(checks.device, none=False))
    def to(self, device: str | torch.device) -> TranslationLoader:
        """The same batches, with the rows on ``device``."""
        moved = TranslationLoader.__new__(TranslationLoader)
        moved.__dict__.update(self.__dict__, x=self.x.to(device), y=self.y.to(device))
        return moved


@door(
    vocab=functools.partial(checks.instance, types=Vocab, what="a Vocab"),
    split=functools.partial(checks.one_of, allowed=SPLITS),
    bs=checks.positive_int,
    label=functools.partial(checks.function, none=True),
)
def translation_loaders(
    vocab: Vocab, split: str, bs: int, label: Callable[[int], int] | None = None
) -> tuple[TranslationLoader, TranslationLoader]:
    """Training (shuffled) and validation loaders for ``split`` (:func:`split_numbers`);
    ``label``: a many-to-one task's label of each number instead of its digits."""
    train, valid = split_numbers(split)
    return (
        TranslationLoader(train, vocab, bs, True, label),
        TranslationLoader(valid, vocab, 1024, False, label),
    )


# ----------------------------------------------------------------------------------
# Decoding: greedy and beam search.


def _translator(name: str, value: object) -> nn.Module:
    model = getattr(value, "model", value)
    if not isinstance(model, Seq2Seq):
        checks.refuse(
            name,
            value,
            "a Seq2Seq model or a Learner of one (recipes seq2seq, seq2seq_attn)",
            wrong_type=True,
        )
    return model


_beam = functools.partial(checks.integer, low=1, high=len(DIGITS))


def _src(name: str, value: object) -> torch.Tensor:
    src = checks.token_ids(name, value, dim=2)
    if src.shape[1] != SRC_LEN:
        checks.refuse(name, value, f"rows of {SRC_LEN} word ids (padded on the left)")
    return src


@door(model=_translator, src=_src, beam=_beam)
@torch.no_grad()
def decode(model: Seq2Seq, src: torch.Tensor, beam: int = 1) -> torch.Tensor:
    """The digits ``model`` writes for each row of ``src`` (B, SRC_LEN): (B, TGT_LEN)
    ids, :data:`EOS` then padding after the end. ``beam=1`` is greedy; a wider beam
    keeps the ``beam`` likeliest beginnings at every step and returns the likeliest
    finished one."""
    model.eval()
    B, K = len(src), beam
    enc, h = model.encode(src)  # (B, S, E), (B, H)
    enc, h = enc.repeat_interleave(K, 0), h.repeat_interleave(K, 0)  # (B*K, ...)
    pad = (src == model.pad_id).repeat_interleave(K, 0)
    seqs = torch.full((B * K, TGT_LEN), PAD, device=src.device)
    score = torch.zeros(B, K, device=src.device)
    score[:, 1:] = float("-inf")  # all beams start the same: keep one
    done = torch.zeros(B * K, dtype=torch.bool, device=src.device)
    digit = torch.full((B * K,), BOS, device=src.device)
    for t in range(TGT_LEN):
        out, h, _ = model.step(digit, h, enc, pad)
        logp = F.log_softmax(out, -1)  # (B*K, 13)
        logp[done] = float("-inf")
        logp[done, PAD] = 0.0  # a finished beam stays as it is
        total = (score.reshape(-1, 1) + logp).reshape(B, -1)  # (B, K*13)
        score, pick = total.topk(K, -1)  # (B, K)
        first = torch.arange(B, device=src.device)[:, None] * K  # (B, 1)
        src_beam = (pick // len(DIGITS) + first).reshape(-1)  # (B*K,): which beam grew
        digit = (pick % len(DIGITS)).reshape(-1)  # (B*K,)
        seqs, h, done = seqs[src_beam], h[src_beam], done[src_beam]
        seqs[:, t] = digit
        done = done | (digit == EOS)
    best = score.argmax(-1) + torch.arange(B, device=src.device) * K  # (B,)
    return seqs[best]


@door(
    model=_translator,
    loader=functools.partial(
        checks.instance, types=TranslationLoader, what="a TranslationLoader"
    ),
    beam=_beam,
)
@torch.no_grad()
def exact_match(model: Seq2Seq, loader: TranslationLoader, beam: int = 1) -> float:
    """The share of ``loader``'s numbers whose digits ``model`` writes exactly (every
    digit, then the end), decoding with ``beam`` (chapter "Words to digits")."""
    right = 0
    for x, y in loader:
        out = decode(model, x[:, :SRC_LEN], beam)
        right += int(((out == y) | (y == IGNORE)).all(1).sum())
    return right / len(loader.x)


# ----------------------------------------------------------------------------------
# Reading what a reader types.


@functools.cache
def _numbers_by_words() -> dict[str, int]:
    return {number_to_words(n): n for n in range(1, 10000)}


def words_to_number(words: str) -> int:
    """The number ``words`` write, as :func:`~rnnbook.data.number_to_words` writes it
    (1..9999); a ``ValueError`` names an unknown word, or says that the words are not a
    number (chapter "Words to digits")."""
    checks.text("words", words)
    example = "a number from 1 to 9999 in words, such as 'eight thousand forty two'"
    if not words.split():
        checks.refuse("words", words, example)
    for w in words.split():
        if w not in NUMBER_WORDS:
            raise ValueError(
                f"words: unknown word {w!r} in {checks.show(words)}; the words "
                f"of the numbers are: {', '.join(sorted(NUMBER_WORDS))}"
            )
    n = _numbers_by_words().get(" ".join(words.split()))
    if n is None:
        checks.refuse("words", words, example + ", as the book writes it")
    return n


@door(model_or_learn=_translator, beam=_beam)
def translate(model_or_learn: nn.Module, words: str, beam: int = 1) -> str:
    """The digits a trained :class:`Seq2Seq` (or its Learner) writes for ``words``,
    separated by spaces: ``translate(learn, "eight thousand forty two")`` gives ``"8 0 4
    2"`` when the model has it right. ``beam``: the beam width (1: greedy). ``words``
    must be a number from 1 to 9999 as the book writes it; anything else is a
    ``ValueError`` (chapter "Words to digits")."""
    model = getattr(model_or_learn, "model", model_or_learn)
    x, _ = _rows([words_to_number(words)], load_human_numbers().vocab)
    device = next(model.parameters()).device
    out = decode(model, x[:, :SRC_LEN].to(device), beam)[0].tolist()
    written = out[: out.index(EOS)] if EOS in out else out
    return " ".join(DIGITS[i] for i in written)
