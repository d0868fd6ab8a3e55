"""The human-numbers data: counting in English, made on the spot.

The data set of the fastai course lists the numbers 1..9999 written as English words, one
per line: ``train.txt`` holds 1..7999 and ``valid.txt`` holds 8001..9999 (8000 is in
neither). This module writes those files, reads them back, turns them into one token stream
per split, and cuts a stream into the batches a language model learns from.
"""

from __future__ import annotations

import copy
import functools
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from . import checks
from .checks import positive_int

__all__ = [
    "BOS",
    "UNK",
    "SPECIAL_TOKENS",
    "TRAIN_RANGE",
    "VALID_RANGE",
    "number_to_words",
    "number_lines",
    "write_human_numbers",
    "read_human_numbers",
    "tokenize",
    "Vocab",
    "HumanNumbers",
    "load_human_numbers",
    "LMLoader",
    "show_batch",
    "batch_text",
]

ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# Every word number_to_words writes, 1..9999: the words a data file or a reader may use.
NUMBER_WORDS = frozenset(w for w in ONES + TENS if w) | {"hundred", "thousand"}

BOS = "xxbos"
UNK = "xxunk"
# fastai's special tokens, in fastai's order (fastai 1.0.53 or later), so token ids match the
# lesson text's (chapter "Data" shows which published runs differ).
SPECIAL_TOKENS = [UNK, "xxpad", BOS, "xxeos", "xxfld", "xxmaj", "xxup", "xxrep", "xxwrep"]

TRAIN_RANGE = range(1, 8000)   # 1..7999
VALID_RANGE = range(8001, 10000)  # 8001..9999


def number_to_words(n: int) -> str:
    """Spell ``n`` (1..9999) the way the data set does:
    "nine thousand nine hundred ninety nine".

    No "and", no hyphens. Raises ``ValueError`` for anything that is not an integer in
    1..9999.
    """
    n = checks.integer("n", n, 1, 9999)
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    words = []
    if thousands:
        words += [ONES[thousands], "thousand"]
    if hundreds:
        words += [ONES[hundreds], "hundred"]
    if below >= 20:
        words.append(TENS[below // 10])
        below %= 10
    if below:
        words.append(ONES[below])
    return " ".join(words)


def number_lines(numbers: Iterable[int]) -> list[str]:
    """The data set's lines for ``numbers``: one spelled-out number per line."""
    numbers = checks.iterable("numbers", numbers, "a list of ints in 1..9999")
    return [number_to_words(checks.integer(f"numbers[{i}]", n, 1, 9999)) for i, n in enumerate(numbers)]


def write_human_numbers(path: str | Path) -> Path:
    """Write fastai-format ``train.txt`` (1..7999) and ``valid.txt`` (8001..9999) into ``path``."""
    path = checks.path("path", path)
    path.mkdir(parents=True, exist_ok=True)
    for name, numbers in (("train.txt", TRAIN_RANGE), ("valid.txt", VALID_RANGE)):
        (path / name).write_text("\n".join(number_lines(numbers)) + "\n", encoding="utf-8")
    return path


def read_human_numbers(file: str | Path) -> list[str]:
    """Read one fastai-format file (one spelled-out number per line) and check every line.

    A line that is empty or holds a word that is not a number word raises ``ValueError``
    naming the file and the line, so a damaged file never loads half-way.
    """
    file = checks.path("file", file)
    if not file.is_file():
        raise ValueError(f"file {str(file)!r}: no such file "
                         "(expected a human-numbers train.txt or valid.txt)")
    lines = []
    for i, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            raise ValueError(f"{file}, line {i}: empty line (each line must spell one number)")
        unknown = [w for w in line.split() if w not in NUMBER_WORDS]
        if unknown:
            raise ValueError(
                f"{file}, line {i}: {unknown[0]!r} is not a number word "
                f"(allowed: {', '.join(sorted(NUMBER_WORDS))})"
            )
        lines.append(" ".join(line.split()))
    if not lines:
        raise ValueError(f"{file}: the file is empty")
    return lines


def tokenize(lines: Sequence[str]) -> list[str]:
    """One token stream: ``xxbos``, then the lines' words with "," between numbers."""
    lines = checks.strings("lines", lines, empty=True)
    tokens = [BOS]
    for i, line in enumerate(lines):
        if i:
            tokens.append(",")
        tokens.extend(line.split())
    return tokens


class Vocab:
    """Maps tokens to ids and back. Unknown tokens map to ``xxunk`` (id 0)."""

    def __init__(self, itos: Sequence[str]):
        itos = checks.strings("itos", itos)
        if len(set(itos)) != len(itos):
            twice = next(t for t in itos if itos.count(t) > 1)
            raise ValueError(f"itos lists the token {twice!r} twice: a vocabulary cannot list a token twice")
        if itos[0] != UNK:
            raise ValueError(f"itos must start with {UNK!r} (a vocabulary starts with it), got {itos[0]!r}")
        self.itos = list(itos)
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], pad_to: int = 8) -> Vocab:
        """fastai's recipe: special tokens first, then tokens by frequency (ties: first seen),
        padded with ``xxfake`` to a multiple of ``pad_to``. Gives the lesson text's 40 tokens
        (fastai 1.0.53 or later; older releases gave 38 or 39: chapter "Data")."""
        tokens = checks.strings("tokens", tokens, empty=True)
        pad_to = positive_int("pad_to", pad_to, at_most=1024)
        counts = Counter(t for t in tokens if t not in SPECIAL_TOKENS)
        itos = SPECIAL_TOKENS + [t for t, _ in counts.most_common()]
        while len(itos) % pad_to:
            itos.append("xxfake")
        return cls(itos)

    def __len__(self) -> int:
        return len(self.itos)

    def numericalize(self, tokens: Iterable[str]) -> torch.Tensor:
        """Token strings to a 1-D tensor of ids."""
        tokens = checks.strings("tokens", tokens, empty=True)
        return torch.tensor([self.stoi.get(t, 0) for t in tokens], dtype=torch.long)

    def textify(self, ids: Iterable[int] | torch.Tensor) -> str:
        """Ids (a list or a 1-D tensor) back to space-separated text."""
        if isinstance(ids, Iterable) and not isinstance(ids, (torch.Tensor, str, bytes)):
            ids = list(ids)
        ids = checks.token_ids("ids", ids, dim=None, below=len(self)).flatten().tolist()
        return " ".join(self.itos[i] for i in ids)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {' '.join(self.itos[:12])} ...)"


@dataclass
class HumanNumbers:
    """The two token streams (as id tensors) and their vocabulary."""

    train: torch.Tensor
    valid: torch.Tensor
    vocab: Vocab

    def __post_init__(self) -> None:
        checks.instance("vocab", self.vocab, Vocab, "a Vocab")
        self.train = checks.token_ids("train", self.train, below=len(self.vocab))
        self.valid = checks.token_ids("valid", self.valid, below=len(self.vocab))

    def loaders(self, bs: int = 64, bptt: int = 70, drop_last: bool = False,
                valid_bs: int | None = None) -> tuple[LMLoader, LMLoader]:
        """A training and a validation :class:`LMLoader` with the same settings (the validation
        stream cut into ``valid_bs`` rows if given, else ``bs``)."""
        checks.boolean("drop_last", drop_last)
        valid_bs = bs if valid_bs is None else positive_int("valid_bs", valid_bs)
        return (LMLoader(self.train, bs, bptt, drop_last),
                LMLoader(self.valid, valid_bs, bptt, drop_last))


def load_human_numbers(path: str | Path | None = None) -> HumanNumbers:
    """The human-numbers data (chapter "The data"): made on the spot, or read from a folder
    with ``train.txt`` and ``valid.txt`` (such as the course's download).

    Made on the spot, it is made once per process and shared: every chapter, widget and
    checker gets the same object, so treat its tensors as read-only."""
    if path is None:
        return _made_on_the_spot()
    path = checks.path("path", path)
    if not path.is_dir():
        raise ValueError(f"path {str(path)!r}: no such folder (expected one with train.txt and valid.txt)")
    return _from_lines(read_human_numbers(path / "train.txt"), read_human_numbers(path / "valid.txt"))


@functools.cache
def _made_on_the_spot() -> HumanNumbers:
    return _from_lines(number_lines(TRAIN_RANGE), number_lines(VALID_RANGE))


def _from_lines(train_lines: list[str], valid_lines: list[str]) -> HumanNumbers:
    train_tokens, valid_tokens = tokenize(train_lines), tokenize(valid_lines)
    vocab = Vocab.from_tokens(train_tokens)
    return HumanNumbers(vocab.numericalize(train_tokens), vocab.numericalize(valid_tokens), vocab)


class LMLoader:
    """Batches for a language model, like fastai's (chapter "Data").

    The stream is cut into ``bs`` contiguous rows of equal length (the few tokens left over
    at the end are dropped). Batch ``k`` is columns ``k*bptt .. (k+1)*bptt`` of those rows, so
    row ``i`` of batch ``k+1`` continues row ``i`` of batch ``k``, and ``y`` is ``x`` shifted
    by one token. The last batch may be shorter than ``bptt``; ``drop_last=True`` leaves it
    out (for models that read a fixed number of tokens). fastai v1 started row ``i`` at token
    ``int(i * len / bs)`` and read ``bptt`` tokens a batch past the row's share, so its rows
    overlapped and its last row wrapped round to the stream's start; here every token is read
    once and the last batch is short.
    """

    def __init__(self, stream: torch.Tensor, bs: int = 64, bptt: int = 70,
                 drop_last: bool = False):
        stream = checks.token_ids("stream", stream)
        self.bs, self.bptt = positive_int("bs", bs), positive_int("bptt", bptt)
        checks.boolean("drop_last", drop_last)
        row_len = (len(stream) - 1) // bs
        if row_len < 1:
            raise ValueError(
                f"bs={bs} is too large for a stream of {len(stream)} tokens: each row "
                f"needs at least 2 tokens, so bs must be at most {(len(stream) - 1)}"
            )
        if bptt > row_len:
            raise ValueError(
                f"bptt={bptt} is longer than a row: {len(stream)} tokens in bs={bs} "
                f"rows gives rows of {row_len} tokens, so bptt must be at most "
                f"{row_len}"
            )
        if drop_last:
            row_len -= row_len % bptt
        self.row_len, self.drop_last = row_len, drop_last
        n = bs * row_len
        self.x = stream[:n].view(bs, row_len)
        self.y = stream[1 : n + 1].view(bs, row_len)

    def __len__(self) -> int:
        return math.ceil(self.row_len / self.bptt)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, self.row_len, self.bptt):
            yield self.x[:, start : start + self.bptt], self.y[:, start : start + self.bptt]

    def to(self, device: str | torch.device) -> LMLoader:
        """The same batches with the rows moved to ``device`` once, instead of batch by batch."""
        device = checks.device("device", device, none=False)
        moved = copy.copy(self)
        moved.x, moved.y = self.x.to(device), self.y.to(device)
        return moved

    @property
    def n_tokens(self) -> int:
        """How many tokens the batches hold (``bs`` times the row length)."""
        return self.x.numel()

    def __repr__(self) -> str:
        return f"LMLoader(bs={self.bs}, bptt={self.bptt}, {len(self)} batches, rows of {self.row_len} tokens)"


def show_batch(x: torch.Tensor, vocab: Vocab, rows: int = 5, width: int | None = None) -> str:
    """The first ``rows`` rows of a batch as text, one numbered line per row."""
    checks.instance("vocab", vocab, Vocab, "a Vocab")
    x = checks.token_ids("x", x, dim=2, below=len(vocab))
    rows = positive_int("rows", rows)
    if width is not None:
        width = checks.integer("width", width, 4)
    lines = []
    for i in range(min(rows, x.shape[0])):
        text = vocab.textify(x[i])
        if width is not None and len(text) > width:
            text = text[: width - 3] + "..."
        lines.append(f"{i:>3}  {text}")
    return "\n".join(lines)


def batch_text(data: HumanNumbers, bs: int, bptt: int, n_batches: int = 3, rows: int = 4,
               width: int = 100) -> str:
    """How ``bs`` and ``bptt`` cut the validation stream (chapter "Widgets"): the loader, then
    the first ``rows`` rows of the first ``n_batches`` batches (``x1``, ``x2``, ...), as in the
    lesson.

    Raises ``ValueError`` (from :class:`~rnnbook.data.LMLoader`) for settings that make no sense.
    """
    checks.instance("data", data, HumanNumbers, "a HumanNumbers (load_human_numbers())")
    n_batches, rows, width = (positive_int("n_batches", n_batches), positive_int("rows", rows),
                              checks.integer("width", width, 4))
    dl = LMLoader(data.valid, bs=bs, bptt=bptt)
    parts = [f"{dl!r}", f"each batch x is {bs} rows x {bptt} tokens; row i of x2 continues row i of x1"]
    for k, (x, _) in enumerate(dl):
        if k == n_batches:
            break
        parts += ["", f"x{k + 1}  ({x.shape[0]} x {x.shape[1]})", show_batch(x, data.vocab, rows, width)]
    return "\n".join(parts)
