"""Error analysis: where in a number does a model go wrong, and what do its states look like?

- :func:`slot_labels` names each token's place in its number ("thousands" digit, "thousand",
  "hundreds" digit, "hundred", "tens" word, "units" word or teen, "," and "xxbos");
- :func:`error_breakdown` counts a trained learner's validation errors per slot of the target
  and per (previous token, target) pair; :func:`breakdown` does the same from predictions;
- :func:`plot_error_breakdown` draws one or two breakdowns side by side;
- :func:`state_projection` runs a GRU-like model over a stretch of the stream, keeps its
  hidden states and projects them to 2-D (PCA); :func:`plot_state_projection` draws them,
  coloured by slot.

Everything returns plain dicts and lists (no pandas).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from . import checks
from .data import BOS, ONES, TENS, Vocab, load_human_numbers
from .learner import Learner

__all__ = [
    "SLOTS",
    "slot_labels",
    "breakdown",
    "error_breakdown",
    "plot_error_breakdown",
    "state_projection",
    "plot_state_projection",
]

SLOTS = ("thousands", "thousand", "hundreds", "hundred", "tens", "units", ",", "xxbos")
"""The slots, in reading order: e.g. "eight(thousands) thousand(thousand) one(hundreds)
hundred(hundred) twenty(tens) three(units) ,(,)". Teens ("ten".."nineteen") count as units."""

_DIGITS = set(ONES[1:10])
_TENS = set(TENS[2:])
_TEENS = set(ONES[10:])


def slot_labels(ids: torch.Tensor | Sequence[int], vocab: Vocab) -> list[str]:
    """The slot (one of :data:`SLOTS`) of each token of a 1-D stream of token ids.

    A digit word is a "thousands" digit if "thousand" follows it, a "hundreds" digit if
    "hundred" follows it, else a "units" word; a digit word that ends the stream (its next
    token unknown) counts as "units". Tokens that are no number word raise ``ValueError``.
    """
    checks.instance("vocab", vocab, Vocab, "a Vocab")
    ids = checks.token_ids("ids", ids, below=len(vocab)).tolist()
    words = [vocab.itos[i] for i in ids]
    labels = []
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else None
        if w in _DIGITS:
            labels.append({"thousand": "thousands", "hundred": "hundreds"}.get(after, "units"))
        elif w in _TEENS:
            labels.append("units")
        elif w in _TENS:
            labels.append("tens")
        elif w in ("thousand", "hundred", ","):
            labels.append(w)
        elif w == BOS:
            labels.append("xxbos")
        else:
            raise ValueError(f"token {i} ({w!r}) is not part of a spelled-out number")
    return labels


def _result(name: str, value: object, keys: Sequence[str], maker: str) -> None:
    """Refuse ``value`` unless it is a dict with ``keys``, as the function ``maker`` returns."""
    if not isinstance(value, dict) or not set(keys) <= set(value):
        checks.refuse(name, value, f"a dict as {maker}() returns (with {', '.join(keys)})",
                      wrong_type=not isinstance(value, dict))


def _rows(counts: Counter, errors: Counter, n_errors: int, keys: list) -> list[dict]:
    return [{"tokens": counts[k], "errors": errors[k], "error_rate": errors[k] / counts[k],
             "share": errors[k] / n_errors if n_errors else 0.0} for k in keys]


def breakdown(x: torch.Tensor, preds: torch.Tensor, targets: torch.Tensor, vocab: Vocab) -> dict:
    """Errors per slot of the target and per (previous token, target) pair.

    ``x``, ``preds`` and ``targets`` are (bs, tokens) as :meth:`Learner.predict` returns them
    for a model that predicts every token: row ``i`` of ``x`` continues row ``i - 1`` and
    ``targets`` is ``x`` shifted by one, so the rows, joined, are one stream whose slots can
    be read. Returns a dict with

    - ``tokens``, ``errors``, ``accuracy``: over all scored tokens;
    - ``by_slot``: one row per slot of :data:`SLOTS` that occurs, in reading order, with
      ``slot``, ``tokens``, ``errors``, ``error_rate`` (errors / tokens of that slot) and
      ``share`` (errors / all errors);
    - ``by_pair``: one row per (``previous``, ``target``) word pair with at least one error,
      most errors first, with the same counts.
    """
    checks.instance("vocab", vocab, Vocab, "a Vocab")
    x, preds, targets = (checks.token_ids(name, t, dim=2, below=len(vocab))
                         for name, t in (("x", x), ("preds", preds), ("targets", targets)))
    if not x.shape == preds.shape == targets.shape:
        raise ValueError(f"x, preds and targets must be (bs, tokens) of one shape, got "
                         f"{tuple(x.shape)}, {tuple(preds.shape)}, {tuple(targets.shape)}")
    stream = torch.cat([x.flatten(), targets.flatten()[-1:]])
    if not torch.equal(stream[1:], targets.flatten()):
        raise ValueError("the targets are not the inputs shifted by one: breakdown needs the batches "
                         "of a language-model loader, rows in stream order")
    target_slots = slot_labels(stream, vocab)[1:]
    prev_words = [vocab.itos[i] for i in x.flatten().tolist()]
    target_words = [vocab.itos[i] for i in targets.flatten().tolist()]
    wrong = (preds != targets).flatten().tolist()
    slot_n, slot_e, pair_n, pair_e = Counter(), Counter(), Counter(), Counter()
    for slot, pair, bad in zip(target_slots, zip(prev_words, target_words, strict=True), wrong, strict=True):
        slot_n[slot] += 1
        pair_n[pair] += 1
        slot_e[slot] += bad
        pair_e[pair] += bad
    n, n_err = len(wrong), sum(wrong)
    slots = [s for s in SLOTS if slot_n[s]]
    pairs = sorted((p for p in pair_n if pair_e[p]), key=lambda p: (-pair_e[p], p))
    slot_rows, pair_rows = _rows(slot_n, slot_e, n_err, slots), _rows(pair_n, pair_e, n_err, pairs)
    return {
        "tokens": n, "errors": n_err, "accuracy": 1 - n_err / n,
        "by_slot": [{"slot": s, **r} for s, r in zip(slots, slot_rows, strict=True)],
        "by_pair": [{"previous": p[0], "target": p[1], **r} for p, r in zip(pairs, pair_rows, strict=True)],
    }


def error_breakdown(learn: Learner, vocab: Vocab | None = None) -> dict:
    """:func:`breakdown` of a trained learner's predictions on its validation batches.

    ``vocab`` defaults to the human-numbers vocabulary. The model must predict every
    token.
    """
    checks.instance("learn", learn, Learner, "a Learner")
    if vocab is not None:
        checks.instance("vocab", vocab, Vocab, "a Vocab (or None for the book's)")
    if getattr(learn.model, "predicts_last", False):
        raise ValueError("error_breakdown needs a model that predicts every token "
                         "(predicts_last=False)")
    vocab = vocab if vocab is not None else load_human_numbers().vocab
    return breakdown(*learn.predict(), vocab)


def plot_error_breakdown(*breakdowns: dict, names: Sequence[str] | None = None, top: int = 8,
                         figsize: tuple[float, float] = (10, 3.6)) -> Figure:
    """One or two breakdowns of :func:`breakdown`, side by side.

    Left: errors per slot of the target, as a percentage of all validation tokens (so a
    model's bars add up to its error rate). Right: the ``top`` (previous word -> target)
    pairs with the most errors for the first model, and the same pairs for the others.
    """
    if not breakdowns:
        raise ValueError("breakdowns: plot_error_breakdown needs at least one breakdown, got none")
    for i, b in enumerate(breakdowns):
        _result(f"breakdowns[{i}]", b, ("tokens", "accuracy", "by_slot", "by_pair"), "breakdown")
    top, figsize = checks.positive_int("top", top, at_most=100), checks.figsize("figsize", figsize)
    names = (checks.strings("names", names) if names is not None
             else [f"model {i + 1}" for i in range(len(breakdowns))])
    if len(names) != len(breakdowns):
        raise ValueError(f"{len(breakdowns)} breakdowns but {len(names)} names")
    fig, (ax_slot, ax_pair) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1, 1.3]})
    width = 0.8 / len(breakdowns)
    slots = [s for s in SLOTS if any(r["slot"] == s for b in breakdowns for r in b["by_slot"])]
    pairs = [(r["previous"], r["target"]) for r in breakdowns[0]["by_pair"][:top]]
    for i, (b, name) in enumerate(zip(breakdowns, names, strict=True)):
        errors = {r["slot"]: r["errors"] for r in b["by_slot"]}
        heights = [100 * errors.get(s, 0) / b["tokens"] for s in slots]
        xs = [j + (i - (len(breakdowns) - 1) / 2) * width for j in range(len(slots))]
        bars = ax_slot.bar(xs, heights, width, color=f"C{i}",
                           label=f"{name} (accuracy {b['accuracy']:.3f})")
        ax_slot.bar_label(bars, [str(errors.get(s, 0)) for s in slots], fontsize=7)
        pair_errors = {(r["previous"], r["target"]): r["errors"] for r in b["by_pair"]}
        ys = [j + (i - (len(breakdowns) - 1) / 2) * width for j in range(len(pairs))]
        ax_pair.barh(ys, [pair_errors.get(p, 0) for p in pairs], width, color=f"C{i}", label=name)
    ax_slot.set_xticks(range(len(slots)), slots, rotation=30)
    ax_slot.set(ylabel="errors, % of validation tokens", title="errors by slot of the target")
    ax_slot.legend(fontsize=8)
    ax_pair.set_yticks(range(len(pairs)), [f"{p} → {t}" for p, t in pairs])
    ax_pair.invert_yaxis()
    ax_pair.set(xlabel="errors", title="most frequent errors (previous word → target)")
    for ax in (ax_slot, ax_pair):
        ax.grid(alpha=0.3, axis="y" if ax is ax_slot else "x")
    fig.tight_layout()
    return fig


@torch.no_grad()
def state_projection(learn: Learner, stream: torch.Tensor | None = None, vocab: Vocab | None = None,
                     start: int = 0, n_tokens: int = 600) -> dict:
    """The hidden states of a GRU-like model over ``stream[start : start + n_tokens]``, in 2-D.

    The model (``learn.model``) must have an ``rnn`` module (``nn.GRU``, ``nn.LSTM`` or
    ``nn.RNN``, batch first); its top layer's output at each position is recorded while the
    model reads the stretch as one row from a reset state, then projected on its first two
    principal components. ``stream`` defaults to the validation stream. Returns a dict with
    ``coords`` (n, 2), ``tokens`` (n words), ``slots`` (n slot names) and ``explained``
    (the fraction of variance each of the two components explains).
    """
    checks.instance("learn", learn, Learner, "a Learner")
    if vocab is not None:
        checks.instance("vocab", vocab, Vocab, "a Vocab (or None for the book's)")
    if stream is not None:
        stream = checks.token_ids("stream", stream)
    start, n_tokens = checks.non_negative_int("start", start), checks.integer("n_tokens", n_tokens, 3)
    rnn = getattr(learn.model, "rnn", None)
    if not isinstance(rnn, torch.nn.RNNBase):
        raise ValueError("state_projection needs a model with an `rnn` module (nn.GRU, nn.LSTM or nn.RNN)")
    if stream is None or vocab is None:
        data = load_human_numbers()
        stream = data.valid if stream is None else stream
        vocab = data.vocab if vocab is None else vocab
    stream = checks.token_ids("stream", stream, below=len(vocab))
    piece = stream[start : start + n_tokens]
    if len(piece) < 3:
        raise ValueError(f"the stretch needs at least 3 tokens, got {len(piece)}")
    recorded = []
    hook = rnn.register_forward_hook(lambda module, inputs, output: recorded.append(output[0]))
    model = learn.model
    try:
        model.eval()
        if callable(getattr(model, "reset", None)):
            model.reset()
        model(piece[None].to(learn.device))
    finally:
        hook.remove()
    states = recorded[-1][0].float().cpu()  # (n, hidden)
    centered = states - states.mean(0)
    _, s, v = torch.linalg.svd(centered, full_matrices=False)
    variance = s.pow(2)
    return {
        "coords": centered @ v[:2].T,
        "tokens": [vocab.itos[i] for i in piece.tolist()],
        "slots": slot_labels(piece, vocab),
        "explained": (variance[:2] / variance.sum()).tolist(),
    }


def plot_state_projection(projection: dict, title: str = "", figsize: tuple[float, float] = (5.5, 4.5)
                          ) -> Figure:
    """The 2-D states of :func:`state_projection`, one dot per token, coloured by its slot.

    The state at a token is what the model knows *after reading* that token, so dots of one
    colour are the moments the model has just read, say, the "hundred" of a number.
    """
    _result("projection", projection, ("coords", "slots", "explained"), "state_projection")
    title, figsize = checks.text("title", title), checks.figsize("figsize", figsize)
    fig, ax = plt.subplots(figsize=figsize)
    coords, slots = projection["coords"], projection["slots"]
    for i, slot in enumerate(SLOTS):
        idx = [j for j, s in enumerate(slots) if s == slot]
        if idx:
            ax.scatter(coords[idx, 0], coords[idx, 1], s=10, color=f"C{i}", alpha=0.7, label=slot)
    pc1, pc2 = projection["explained"]
    ax.set(xlabel=f"PC 1 ({pc1:.0%} of variance)", ylabel=f"PC 2 ({pc2:.0%} of variance)",
           title=title or "hidden states, coloured by the slot of the token just read")
    ax.legend(fontsize=7, markerscale=1.5, title="slot", title_fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
