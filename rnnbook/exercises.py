"""Checkers for the chapters' code exercises.

Each ``check_*`` function takes what the reader wrote (a function or a class), runs it on
inputs of its own and compares the result with the package's code or with a short reference
of its own. It prints ``✓ ...`` when everything matches, or ``✗`` and the first thing that is
wrong (a shape, a value at a position, a gradient that flows where it must not) on stderr,
and returns a :class:`Check` that is true when the answer passed. Whatever the reader's code
does (raise, return the wrong type, fail to build), the checker answers with a message, never
with a traceback of its own.

On stderr, a failed check also fails the book's build (``stderr_output: error``), so every
solution the book shows is checked each time the book is built.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from . import checks
from .analysis import SLOTS, breakdown, slot_labels
from .copy_gru import CopyGRU
from .data import LMLoader, Vocab, load_human_numbers, number_to_words
from .models import FullyConnected3, Loop3, RegularizedLSTM, Stateful

__all__ = [
    "Check",
    "check_words_to_number",
    "check_batch_rows",
    "check_loop3",
    "check_next_word",
    "check_every_token",
    "check_stateful",
    "check_step_back",
    "check_unit_corr",
    "check_exact",
    "check_attend",
    "check_gru_cell",
    "check_lstm_cell",
    "check_dropout",
    "check_ar_tar",
    "check_errors_by_slot",
    "check_unseen_pairs",
    "check_is_causal",
    "check_copy_guess",
]


@dataclass(frozen=True)
class Check:
    """The outcome of a check: true when the answer passed; ``message`` says why not."""

    passed: bool
    message: str

    def __post_init__(self) -> None:
        checks.boolean("passed", self.passed)
        checks.text("message", self.message)

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Show nothing: the check has printed its message already."""


class _Wrong(Exception):
    """The first thing found wrong with an answer (its message is shown to the reader)."""


def _checker(func: Callable) -> Callable:
    """Run a check body: it returns the success message or raises :class:`_Wrong`. Anything
    else that goes wrong is reported as a message too, so the reader never sees a traceback."""

    @functools.wraps(func)
    def run(*args, **kwargs) -> Check:
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                message, passed = "✓ " + func(*args, **kwargs), True
        except _Wrong as wrong:
            message, passed = f"✗ {wrong}", False
        except Exception as error:  # a failure the checker did not foresee: still just a message
            message, passed = f"✗ the check could not run: {type(error).__name__}: {error}", False
        print(message, file=sys.stdout if passed else sys.stderr, flush=True)
        return Check(passed, message)

    run.__signature__ = inspect.signature(func).replace(return_annotation="Check")
    run.__annotations__ = {**func.__annotations__, "return": "Check"}
    return run


def _call(what: str, func: Callable, *args, **kwargs):
    """``func(*args, **kwargs)``; if the reader's code raises, a :class:`_Wrong` naming ``what``."""
    try:
        return func(*args, **kwargs)
    except Exception as error:
        raise _Wrong(f"{what} raised {type(error).__name__}: {error}") from None


def _callable(obj, what: str) -> None:
    if not callable(obj):
        raise _Wrong(f"{what} must be a function or a class, got {type(obj).__name__} {obj!r:.60}")


def _build(cls, *args) -> nn.Module:
    """``cls(*args)``, which must be an ``nn.Module``."""
    _callable(cls, "the answer")
    name = getattr(cls, "__name__", repr(cls))
    model = _call(f"{name}{args}", cls, *args)
    if not isinstance(model, nn.Module):
        raise _Wrong(f"{name}{args} gave a {type(model).__name__}, not an nn.Module "
                     "(did you forget to subclass nn.Module?)")
    return model


def _tensor(value, what: str, shape: tuple[int, ...]) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise _Wrong(f"{what} returned a {type(value).__name__}, expected a tensor of shape {shape}")
    if tuple(value.shape) != shape:
        raise _Wrong(f"{what} has shape {tuple(value.shape)}, expected {shape}")
    return value


def _first_difference(got: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5) -> str | None:
    """Where two tensors of one shape first differ, as "at [i, j]: got a, expected b"."""
    close = torch.isclose(got.detach().float(), expected.detach().float(), atol=atol, rtol=1e-4)
    if bool(close.all()):
        return None
    where = tuple(int(i) for i in (~close).nonzero()[0])
    return f"at {list(where)}: got {got[where].item():.4g}, expected {expected[where].item():.4g}"


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else "..." + text[-(n - 3):]


# -- The data ----------------------------------------------------------------------------------

@_checker
def check_words_to_number(words_to_number: Callable[[str], int]) -> str:
    """``words_to_number("eight thousand twelve") == 8012``, for every number of the data set."""
    _callable(words_to_number, "words_to_number")
    for n in range(1, 10000):
        text = number_to_words(n)
        got = _call(f"words_to_number({text!r})", words_to_number, text)
        if isinstance(got, bool) or not isinstance(got, int):
            raise _Wrong(f"words_to_number({text!r}) returned {got!r} ({type(got).__name__}); "
                         f"expected the int {n}")
        if got != n:
            raise _Wrong(f"words_to_number({text!r}) is {got}, expected {n}")
    return "words_to_number reads every number from 1 to 9,999 back"


@_checker
def check_batch_rows(batch_rows: Callable[..., list[str]]) -> str:
    """``batch_rows(stream, vocab, bs, bptt, k)``: the text of each row of batch ``k`` of
    ``LMLoader(stream, bs, bptt)``, found without the loader."""
    _callable(batch_rows, "batch_rows")
    data = load_human_numbers()
    cases = [(data.valid, 64, 70, 0), (data.valid, 64, 70, 1), (data.valid, 64, 70, 2),
             (data.valid, 16, 20, 5), (data.train, 8, 3, 0), (data.valid[:96], 4, 7, 3)]
    for stream, bs, bptt, k in cases:
        what = f"batch_rows(stream of {len(stream)} tokens, vocab, bs={bs}, bptt={bptt}, k={k})"
        x = list(LMLoader(stream, bs, bptt))[k][0]
        expected = [data.vocab.textify(row) for row in x]
        got = _call(what, batch_rows, stream, data.vocab, bs, bptt, k)
        if not isinstance(got, (list, tuple)) or not all(isinstance(r, str) for r in got):
            raise _Wrong(f"{what} returned {type(got).__name__}; expected a list of {bs} strings")
        if len(got) != len(expected):
            raise _Wrong(f"{what} gave {len(got)} rows, expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            if g != e:
                raise _Wrong(f"{what}: row {i} is {_short(g)!r}, expected {_short(e)!r}")
    return "batch_rows finds every row of every batch, the short last one included"


# -- Three words in, one word out --------------------------------------------------------------

@_checker
def check_loop3(loop_cls: type) -> str:
    """``loop_cls(vocab_size, n_hidden)``, given ``FullyConnected3``'s weights, must give
    ``FullyConnected3``'s scores on three tokens, and read any number of tokens."""
    vocab_size, n_hidden, bs = 40, 16, 8
    reference = FullyConnected3(vocab_size, n_hidden)
    model = _build(loop_cls, vocab_size, n_hidden)
    want, have = set(reference.state_dict()), set(model.state_dict())
    if want - have:
        raise _Wrong(f"{loop_cls.__name__} has no {sorted(want - have)}: name its layers i_h, h_h, "
                     "h_o and bn, as FullyConnected3 does")
    try:
        model.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        raise _Wrong(f"FullyConnected3's weights do not fit {loop_cls.__name__}: "
                     f"{str(error).splitlines()[-1].strip()}") from None
    for mode in ("train", "eval"):
        getattr(reference, mode)(), getattr(model, mode)()
        x = torch.randint(vocab_size, (bs, 3))
        expected = reference(x)
        got = _tensor(_call(f"{loop_cls.__name__} ({mode} mode) on 3 tokens", model, x),
                      f"{loop_cls.__name__} on a batch of {bs} x 3 tokens", (bs, vocab_size))
        if (diff := _first_difference(got, expected)) is not None:
            raise _Wrong(f"in {mode} mode, with FullyConnected3's weights, the scores differ from "
                         f"FullyConnected3's {diff} (row, token id)")
    x5 = torch.randint(vocab_size, (bs, 5))
    _tensor(_call(f"{loop_cls.__name__} on 5 tokens", model, x5),
            f"{loop_cls.__name__} on a batch of {bs} x 5 tokens", (bs, vocab_size))
    return (f"{loop_cls.__name__} gives FullyConnected3's scores on three tokens "
            "and reads five as well")


@_checker
def check_next_word(next_word: Callable) -> str:
    """``next_word(model, vocab, text)``: the word ``model`` ranks first after ``text``."""
    _callable(next_word, "next_word")
    vocab = load_human_numbers().vocab
    model = Loop3(len(vocab), 16)
    model.train()
    with torch.no_grad():  # batchnorm statistics as a trained model has them
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    reference = copy.deepcopy(model).eval()
    texts = ["eight thousand one", "thousand thirty", "one , two", "seven hundred twelve , seven"]
    for text in texts:
        ids = vocab.numericalize(text.split())[None]
        with torch.no_grad():
            expected = vocab.itos[reference(ids).argmax(-1).item()]
        what = f"next_word(model, vocab, {text!r})"
        try:
            got = _call(what, next_word, copy.deepcopy(model), vocab, text)
        except _Wrong as wrong:
            if "per channel when training" in str(wrong):  # batchnorm on a batch of one row
                raise _Wrong(f"{wrong} (put the model in evaluation mode first)") from None
            raise
        if not isinstance(got, str):
            raise _Wrong(f"{what} returned {got!r} ({type(got).__name__}); expected a word (a str)")
        if got != expected:
            raise _Wrong(f"{what} is {got!r}, but the model ranks {expected!r} first "
                         "(in evaluation mode, as predictions are made)")
    return "next_word gives the model's first choice, in evaluation mode"


# -- Predicting every word, and keeping the state ----------------------------------------------

def _eval_run(model: nn.Module, x: torch.Tensor, what: str, vocab_size: int) -> torch.Tensor:
    with torch.no_grad():
        out = _call(what, model, x)
    return _tensor(out, what, (x.shape[0], x.shape[1], vocab_size))


def _positions_differ(a: torch.Tensor, b: torch.Tensor) -> list[int]:
    return [t for t in range(a.shape[1]) if not torch.allclose(a[:, t], b[:, t], atol=1e-6)]


@_checker
def check_every_token(model_cls: type) -> str:
    """``model_cls(vocab_size, n_hidden)`` predicts after every token, from what it has read so
    far (never from later tokens), starting from a zero state in every batch."""
    vocab_size, bs, steps = 40, 6, 8
    model = _build(model_cls, vocab_size, 16)
    name = model_cls.__name__
    _call(f"{name} in training mode", model.train(), torch.randint(vocab_size, (bs, steps)))
    model.eval()
    x = torch.randint(vocab_size, (bs, steps))
    out = _eval_run(model, x, f"{name} on a batch of {bs} x {steps} tokens", vocab_size)
    again = _eval_run(model, x, f"{name} called a second time", vocab_size)
    if (diff := _first_difference(again, out)) is not None:
        raise _Wrong(f"the same batch read twice gives different scores {diff}: this model starts "
                     "every batch from zeros, so it must not keep anything between calls")
    for t in range(steps - 1):
        changed = x.clone()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1) % vocab_size
        moved = _positions_differ(out, _eval_run(model, changed, f"{name}", vocab_size))
        if any(p <= t for p in moved):
            raise _Wrong(f"changing the tokens after position {t} changes the scores at position "
                         f"{min(moved)}: a prediction must only use the tokens read so far")
    changed = x.clone()
    changed[:, 0] = (changed[:, 0] + 1) % vocab_size
    moved = _positions_differ(out, _eval_run(model, changed, f"{name}", vocab_size))
    missing = [t for t in range(steps) if t not in moved]
    if missing:
        raise _Wrong(f"changing the first token does not change the scores at position {missing[0]}: "
                     "the hidden state must carry every token along to the later positions")
    return f"{name} predicts after every token, from the tokens read so far only"


def _graph_size(tensor: torch.Tensor) -> int:
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            todo.extend(f for f, _ in fn.next_functions)
    return len(seen)


@_checker
def check_stateful(model_cls: type) -> str:
    """``model_cls(vocab_size, n_hidden)`` carries its state from one batch to the next,
    detached, and forgets it on ``reset()``."""
    vocab_size, bs = 40, 6
    model = _build(model_cls, vocab_size, 16)
    name = model_cls.__name__
    if not callable(getattr(model, "reset", None)):
        raise _Wrong(f"{name} has no reset() method (the learner calls it to forget the state)")
    fresh = copy.deepcopy(model).eval()
    model.eval()
    x = torch.randint(vocab_size, (bs, 12))
    x1, x2 = x[:, :6], x[:, 6:]
    _call(f"{name}.reset()", model.reset)
    _eval_run(model, x1, f"{name} on 6 tokens", vocab_size)
    _call(f"{name}.reset()", model.reset)
    after_reset = _eval_run(model, x2, f"{name} after reset()", vocab_size)
    from_zeros = _eval_run(fresh, x2, f"a new {name}", vocab_size)
    if (diff := _first_difference(after_reset, from_zeros)) is not None:
        raise _Wrong(f"after reset() the scores differ from a new model's {diff} (row, position, "
                     "token): reset() must forget the state")
    _call(f"{name}.reset()", model.reset)
    whole = _eval_run(model, x, f"{name} on 12 tokens", vocab_size)
    _call(f"{name}.reset()", model.reset)
    first = _eval_run(model, x1, f"{name} on the first 6 tokens", vocab_size)
    second = _eval_run(model, x2, f"{name} on the next 6 tokens", vocab_size)
    if (diff := _first_difference(torch.cat([first, second], 1), whole)) is not None:
        raise _Wrong("reading 12 tokens as two batches of 6 gives other scores than reading them "
                     f"as one batch {diff} (row, position, token): the state must be carried "
                     "over to the next batch")
    model.train()
    _call(f"{name}.reset()", model.reset)
    shape = (bs, 6, vocab_size)
    size1 = _graph_size(_tensor(_call(f"{name} in training mode", model, x1), f"{name}", shape))
    size2 = _graph_size(_tensor(_call(f"{name} in training mode", model, x2), f"{name}", shape))
    if size2 > size1:
        raise _Wrong(f"the second batch's scores have an autograd graph of {size2} operations, the "
                     f"first batch's {size1}: gradients flow back into the previous batch; "
                     "keep the state detached")
    return f"{name} carries its state over, detached, and forgets it on reset()"


# -- Gates ---------------------------------------------------------------------------------------

def _linear(cell: nn.Module, attr: str, n_in: int, n_out: int, name: str) -> nn.Linear:
    layer = getattr(cell, attr, None)
    if not isinstance(layer, nn.Linear) or layer.bias is None:
        raise _Wrong(f"{name} needs an attribute {attr} = nn.Linear({n_in}, {n_out}) (with a bias); "
                     f"found {type(layer).__name__}")
    if tuple(layer.weight.shape) != (n_out, n_in):
        raise _Wrong(f"{name}.{attr} maps {layer.weight.shape[1]} numbers to {layer.weight.shape[0]}; "
                     f"it must map {n_in} to {n_out}")
    return layer


def _cell_and_reference(cell_cls: type, reference_cls: type, n_gates: int, n_in: int,
                        n_hid: int) -> tuple[nn.Module, str, nn.Linear, nn.Linear, nn.Module]:
    """The reader's cell, its name, its ``ih`` and ``hh`` layers, and PyTorch's cell of the
    same kind with the same weights."""
    cell = _build(cell_cls, n_in, n_hid)
    name = cell_cls.__name__
    ih = _linear(cell, "ih", n_in, n_gates * n_hid, name)
    hh = _linear(cell, "hh", n_hid, n_gates * n_hid, name)
    reference = reference_cls(n_in, n_hid)
    with torch.no_grad():
        reference.weight_ih.copy_(ih.weight)
        reference.bias_ih.copy_(ih.bias)
        reference.weight_hh.copy_(hh.weight)
        reference.bias_hh.copy_(hh.bias)
    return cell, name, ih, hh, reference


def _gru_convention(got: torch.Tensor, x: torch.Tensor, h: torch.Tensor, ih: nn.Linear,
                    hh: nn.Linear) -> str:
    """Which other way of writing the GRU ``got`` matches, if any (chapter "Gates": the
    conventions side by side), as a hint for :func:`check_gru_cell`."""
    with torch.no_grad():
        i_r, i_z, i_n = ih(x).chunk(3, 1)
        h_r, h_z, _ = hh(h).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        w_hn, b_hn = hh.weight.chunk(3, 0)[2], hh.bias.chunk(3, 0)[2]
        after = torch.tanh(i_n + r * (h @ w_hn.T + b_hn))  # nn.GRUCell
        before = torch.tanh(i_n + (r * h) @ w_hn.T + b_hn)  # Cho et al. (2014), d2l
        no_reset = torch.tanh(i_n + h @ w_hn.T + b_hn)
    before_note = ("this is the GRU of Cho et al. (2014) and d2l, reset before the product "
                   "(W_hn (r * h)); nn.GRUCell applies it after (r * (W_hn h + b_hn))")
    swap_note = ("z and 1 - z are swapped (z keeps the old state in nn.GRUCell; in the "
                 "convention of Chung et al. (2014) and minGRU, z takes the candidate)")
    candidates = [
        (z * after + (1 - z) * h, swap_note),
        ((1 - z) * before + z * h, before_note),
        (z * before + (1 - z) * h, f"{before_note}, and {swap_note}"),
        ((1 - z) * no_reset + z * h, "the reset gate r is not used in the candidate n"),
    ]
    for state, note in candidates:
        if torch.allclose(got, state, atol=1e-5):
            return ": " + note
    return ""


@_checker
def check_gru_cell(cell_cls: type) -> str:
    """``cell_cls(input_size, hidden_size)`` with layers ``ih`` and ``hh`` (gates in the order
    r, z, n) computes PyTorch's ``nn.GRUCell``: ``cell(x, h)`` is the next state."""
    n_in, n_hid, bs = 5, 4, 3
    cell, name, ih, hh, reference = _cell_and_reference(cell_cls, nn.GRUCell, 3, n_in, n_hid)
    x, h = torch.randn(bs, n_in), torch.randn(bs, n_hid)
    got = _tensor(_call(f"{name}(x, h)", cell, x, h), f"{name}(x, h) with h of shape {(bs, n_hid)}",
                  (bs, n_hid))
    expected = reference(x, h)
    if (diff := _first_difference(got, expected)) is not None:
        raise _Wrong(f"{name}(x, h) differs from nn.GRUCell with the same weights {diff} "
                     f"(row, unit){_gru_convention(got, x, h, ih, hh)}")
    grads = torch.autograd.grad(got.sum(), [ih.weight, hh.weight], allow_unused=True)
    if any(g is None for g in grads):
        raise _Wrong(f"no gradient reaches {name}'s weights: compute the state with its layers")
    return f"{name} computes the GRU's equations, as nn.GRUCell does"


@_checker
def check_lstm_cell(cell_cls: type) -> str:
    """``cell_cls(input_size, hidden_size)`` with layers ``ih`` and ``hh`` (gates in the order
    i, f, g, o) computes PyTorch's ``nn.LSTMCell``: ``cell(x, (h, c))`` is the next ``(h, c)``."""
    n_in, n_hid, bs = 5, 4, 3
    cell, name, ih, hh, reference = _cell_and_reference(cell_cls, nn.LSTMCell, 4, n_in, n_hid)
    x, h, c = torch.randn(bs, n_in), torch.randn(bs, n_hid), torch.randn(bs, n_hid)
    got = _call(f"{name}(x, (h, c))", cell, x, (h, c))
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise _Wrong(f"{name}(x, (h, c)) returned {type(got).__name__}; expected a pair (h, c)")
    expected = reference(x, (h, c))
    for part, g, e in (("c", got[1], expected[1]), ("h", got[0], expected[0])):
        g = _tensor(g, f"the {part} that {name} returns", (bs, n_hid))
        if (diff := _first_difference(g, e)) is not None:
            raise _Wrong(f"the new {part} differs from nn.LSTMCell's with the same weights {diff} "
                         "(row, unit)")
    return f"{name} computes the LSTM's equations, as nn.LSTMCell does"


# -- Regularising the LSTM -------------------------------------------------------------------------

@_checker
def check_dropout(dropout_cls: type) -> str:
    """``dropout_cls(p)``: in training, zero each activation with probability ``p`` and scale
    the rest by ``1 / (1 - p)``; in evaluation, change nothing."""
    name = getattr(dropout_cls, "__name__", "the answer")
    p, n = 0.4, 200_000
    drop = _build(dropout_cls, p)
    x = torch.rand(n) + 0.5
    got = _tensor(_call(f"{name}(0.4) in evaluation mode", drop.eval(), x), f"{name}(0.4)", (n,))
    if not torch.equal(got, x):
        raise _Wrong(f"in evaluation mode {name} changed its input {_first_difference(got, x)}: "
                     "dropout does nothing at evaluation time")
    x.requires_grad_(True)
    got = _tensor(_call(f"{name}(0.4) in training mode", drop.train(), x), f"{name}(0.4)", (n,))
    kept = got != 0
    share = 1 - kept.float().mean().item()
    if abs(share - p) > 0.01:
        raise _Wrong(f"in training mode {name}(0.4) zeroed {share:.1%} of the activations, expected "
                     f"about {p:.0%}")
    scale = 1 / (1 - p)
    if (diff := _first_difference(got[kept], x[kept] * scale)) is not None:
        raise _Wrong(f"the activations that are kept must be scaled by 1 / (1 - p) = {scale:.4g}; "
                     f"among the kept ones, {diff}")
    if not got.requires_grad:
        raise _Wrong("no gradient flows through the output: build it from the input with tensor "
                     "operations")
    (grad,) = torch.autograd.grad(got.sum(), x)
    if not torch.allclose(grad, kept.float() * scale):
        raise _Wrong("the gradient must be 1 / (1 - p) where an activation was kept and 0 where it was "
                     "dropped")
    again = _call(f"{name}(0.4) called a second time", drop, x.detach()) != 0
    if torch.equal(again, kept):
        raise _Wrong("two calls dropped the very same activations: draw a new random mask every time")
    return f"{name} drops about {p:.0%}, scales the rest by {scale:.4g}, and is off at evaluation"


@_checker
def check_ar_tar(ar_tar: Callable) -> str:
    """``ar_tar(raw, dropped, alpha, beta)``: the penalty ``RegularizedLSTM`` adds to the loss,
    from the LSTM's raw output and its dropped-out output, both (bs, steps, n_hidden)."""
    _callable(ar_tar, "ar_tar")
    model = RegularizedLSTM(40, 16, alpha=2.0, beta=1.0).train()
    captured = {}
    model.drop.register_forward_hook(lambda m, inputs, out: captured.update(raw=inputs[0], out=out))
    model(torch.randint(40, (4, 10)))
    raw, dropped = captured["raw"], captured["out"]
    ar, tar = dropped.pow(2).mean(), (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
    for alpha, beta, part, expected in ((2.0, 0.0, "the AR part (alpha=2, beta=0)", 2.0 * ar),
                                        (0.0, 1.0, "the TAR part (alpha=0, beta=1)", tar),
                                        (2.0, 1.0, "AR + TAR (alpha=2, beta=1)", model.extra_loss)):
        got = _call(f"ar_tar(raw, dropped, {alpha}, {beta})", ar_tar, raw, dropped, alpha, beta)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise _Wrong(f"ar_tar returned {type(got).__name__}; expected a tensor holding one number")
        if not torch.isclose(got.detach().reshape(()), expected.detach(), rtol=1e-4, atol=1e-7):
            raise _Wrong(f"{part} is {got.item():.5g}, expected {expected.item():.5g}")
        if not got.requires_grad:
            raise _Wrong("the penalty carries no gradient: compute it with tensor operations, so the "
                         "optimiser can push the activations down")
    return "ar_tar matches the penalty RegularizedLSTM adds to the loss"


# -- Where the models fail ----------------------------------------------------------------------

@_checker
def check_errors_by_slot(errors_by_slot: Callable) -> str:
    """``errors_by_slot(x, preds, targets, vocab)``: the number of wrong predictions per slot of
    the target, as a dict; arguments as :meth:`Learner.predict` returns them."""
    _callable(errors_by_slot, "errors_by_slot")
    data = load_human_numbers()
    loader = LMLoader(data.valid[:4001], bs=16, bptt=50)
    x, targets = loader.x, loader.y
    wrong = torch.rand(targets.shape) < 0.2
    wrong[:, -1] = True  # where a row ends, the slot of a digit depends on the next row
    preds = torch.where(wrong, (targets + 1) % len(data.vocab), targets)
    expected = {r["slot"]: r["errors"] for r in breakdown(x, preds, targets, data.vocab)["by_slot"]}
    got = _call("errors_by_slot(x, preds, targets, vocab)", errors_by_slot, x, preds, targets, data.vocab)
    if not isinstance(got, dict):
        raise _Wrong(f"errors_by_slot returned {type(got).__name__}; expected a dict from slot to errors")
    unknown = [k for k in got if k not in SLOTS]
    if unknown:
        raise _Wrong(f"{unknown[0]!r} is not a slot; the slots are {', '.join(SLOTS)}")
    got = {k: v.item() if isinstance(v, torch.Tensor) and v.numel() == 1 else v for k, v in got.items()}
    if all(got.get(s, 0) == expected.get(s, 0) for s in SLOTS):
        return "errors_by_slot counts the errors of every slot"
    slot = next(s for s in SLOTS if got.get(s, 0) != expected.get(s, 0))
    hints = {"read": (x.flatten(), "that is the count by the slot of the token read; an error "
                                   "belongs to the slot of the token the model should have predicted"),
             "rows": (None, "that is the count with each row labelled on its own; the rows continue "
                            "one another, so label them as one stream")}
    hint = ""
    for tokens, text in hints.values():
        labels = (slot_labels(tokens, data.vocab) if tokens is not None
                  else [s for row in targets for s in slot_labels(row, data.vocab)])
        counts = {}
        for s, bad in zip(labels, wrong.flatten().tolist(), strict=True):
            counts[s] = counts.get(s, 0) + bad
        if all(got.get(s, 0) == counts.get(s, 0) for s in SLOTS):
            hint = f": {text}"
    raise _Wrong(f"slot {slot!r}: {got.get(slot, 0)} errors, expected {expected.get(slot, 0)}{hint}")


def _pairs(stream: torch.Tensor, vocab: Vocab) -> set[tuple[str, str]]:
    words = [vocab.itos[i] for i in stream.tolist()]
    return set(zip(words[:-1], words[1:], strict=True))


@_checker
def check_unseen_pairs(unseen_pairs: Callable) -> str:
    """``unseen_pairs(train, valid, vocab)``: the set of (word, next word) pairs that occur in
    the validation stream and never in the training stream."""
    _callable(unseen_pairs, "unseen_pairs")
    data = load_human_numbers()
    vocab = data.vocab
    cases = [(data.train[:3000], data.valid[:500]), (data.train, data.valid)]
    for train, valid in cases:
        what = f"unseen_pairs(train[:{len(train)}], valid[:{len(valid)}], vocab)"
        got = _call(what, unseen_pairs, train, valid, vocab)
        if not isinstance(got, (set, frozenset)):
            raise _Wrong(f"{what} returned {type(got).__name__}; expected a set of (word, word) pairs")
        seen = _pairs(train, vocab)
        expected = _pairs(valid, vocab) - seen
        missing, extra = sorted(expected - set(got)), sorted(set(got) - expected)
        if missing:
            raise _Wrong(f"{what} misses {' '.join(missing[0])!r}, which the validation stream has "
                         "and the training stream does not")
        if extra:
            where = "the training stream has it" if extra[0] in seen else "the validation stream lacks it"
            raise _Wrong(f"{what} holds {extra[0]!r}, but {where}")
    return f"unseen_pairs finds the {len(expected)} pairs that only the validation text holds"


# -- A model that learns to copy ----------------------------------------------------------------

class _Peeking(nn.Module):
    """A stateful GRU language model that reads ``ahead`` tokens beyond its position: a cheat."""

    def __init__(self, vocab_size: int, ahead: int):
        super().__init__()
        self.ahead = ahead
        self.i_h = nn.Embedding(vocab_size, 16)
        self.rnn = nn.GRU(32, 16, batch_first=True)
        self.h_o = nn.Linear(16, vocab_size)
        self.h = None

    def reset(self) -> None:
        self.h = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        future = torch.cat([x[:, self.ahead:], x[:, -1:].expand(-1, self.ahead)], 1)
        out, self.h = self.rnn(torch.cat([self.i_h(x), self.i_h(future)], -1), self.h)
        self.h = self.h.detach()
        return self.h_o(out)


@_checker
def check_is_causal(is_causal: Callable) -> str:
    """``is_causal(model, x, t)``: True when ``model``'s predictions at positions ``0..t`` of
    the batch ``x`` stay the same however the tokens after ``t`` change (each run from a reset
    state), False otherwise."""
    _callable(is_causal, "is_causal")
    vocab_size = len(load_human_numbers().vocab)
    x, _ = next(iter(LMLoader(load_human_numbers().valid, bs=4, bptt=16)))
    models = [("CopyGRU (causal)", CopyGRU(vocab_size, 16).eval(), True),
              ("Stateful (causal)", Stateful(vocab_size, 16).eval(), True),
              ("a GRU that reads the next token", _Peeking(vocab_size, 1).eval(), False),
              ("a GRU that reads 3 tokens ahead", _Peeking(vocab_size, 3).eval(), False)]
    for name, model, expected in models:
        for t in (0, 6, 11):
            with torch.no_grad():
                model(x)  # the model has read a batch before: its state is not empty
            got = _call(f"is_causal({name}, x, {t})", is_causal, model, x.clone(), t)
            if not isinstance(got, bool):
                raise _Wrong(f"is_causal returned {got!r} ({type(got).__name__}); expected True or False")
            if got != expected:
                hint = (" (a stateful model must be reset before each run, or the second run starts "
                        "from the state the first one left)" if expected else "")
                raise _Wrong(f"is_causal says {got} for {name} at t={t}{hint}")
    return "is_causal tells the causal models from the ones that read ahead"


def _word(token, vocab: Vocab) -> str:
    """A token id as its word (for messages); anything else as its repr."""
    if isinstance(token, int) and not isinstance(token, bool) and 0 <= token < len(vocab):
        return f"{token} ({vocab.itos[token]!r})"
    return repr(token)


def _reference_copy_guess(ids: list[int]) -> int | None:
    t = len(ids) - 1
    for s in range(t - 1, 0, -1):
        if ids[s] == ids[t] and ids[s - 1] == ids[t - 1]:
            return ids[s + 1]
    return None


@_checker
def check_copy_guess(copy_guess: Callable) -> str:
    """``copy_guess(ids)``: the token that followed the latest earlier position whose token and
    previous token match the last two of ``ids``; ``None`` when there is none."""
    _callable(copy_guess, "copy_guess")
    data = load_human_numbers()
    stream = data.valid[:600].tolist()
    contexts = [stream[max(0, end - 24):end] for end in range(2, len(stream))]
    contexts += [[5], [], stream[:3]]
    for ids in contexts:
        expected = _reference_copy_guess(ids) if len(ids) >= 2 else None
        what = f"copy_guess({_short(data.vocab.textify(ids), 60)!r} as ids)"
        got = _call(what, copy_guess, list(ids))
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if got != expected:
            raise _Wrong(f"{what} is {_word(got, data.vocab)}, expected {_word(expected, data.vocab)}")
    return f"copy_guess follows the copy rule on {len(contexts)} contexts"


# -- Inside the models --------------------------------------------------------------------------

@_checker
def check_step_back(step_back: Callable) -> str:
    """``step_back(dh, h, h_prev, W)``: one step back through ``h = tanh(E_x + W h_prev + b)``,
    returning ``(da, dW, dh_prev)``; compared with autograd (chapter "Inside the models")."""
    _callable(step_back, "step_back")
    bs, n = 3, 5
    W = torch.randn(n, n, dtype=torch.double, requires_grad=True)
    h_prev = torch.randn(bs, n, dtype=torch.double, requires_grad=True)
    a = torch.randn(bs, n, dtype=torch.double) + h_prev @ W.T  # E_x + b, then W h_prev
    h = torch.tanh(a)
    dh = torch.randn(bs, n, dtype=torch.double)
    expected_da, expected_dW, expected_dh_prev = torch.autograd.grad(h, [a, W, h_prev], dh)
    got = _call("step_back(dh, h, h_prev, W)", step_back, dh, h.detach(), h_prev.detach(),
                W.detach())
    if not isinstance(got, tuple) or len(got) != 3:
        raise _Wrong(f"step_back returned {type(got).__name__}, expected a tuple (da, dW, dh_prev)")
    for name, value, expected in zip(("da", "dW", "dh_prev"), got,
                                     (expected_da, expected_dW, expected_dh_prev), strict=True):
        value = _tensor(value, f"{name}", tuple(expected.shape))
        if (diff := _first_difference(value, expected)) is not None:
            raise _Wrong(f"{name} differs from autograd's {diff}"
                         + (": tanh's derivative is 1 - h ** 2" if name == "da" else ""))
    return "step_back is one step of backpropagation through time, as autograd computes it"


@_checker
def check_unit_corr(unit_corr: Callable) -> str:
    """``unit_corr(states, flags)``: the correlation of each unit (column) of ``states``
    (T, H) with ``flags`` (T,) of 0 and 1, as :func:`rnnbook.inside.neurons` computes it
    (chapter "Inside the models")."""
    _callable(unit_corr, "unit_corr")
    states = torch.randn(50, 4)
    flags = (torch.arange(50) % 5 == 0).float()
    states[:, 1] += 3 * flags  # unit 1 follows the flags closely
    expected = torch.stack([torch.corrcoef(torch.stack([states[:, u], flags]))[0, 1]
                            for u in range(4)])
    got = _tensor(_call("unit_corr(states, flags)", unit_corr, states.clone(), flags.clone()),
                  "unit_corr(states, flags)", (4,))
    if (diff := _first_difference(got, expected, atol=1e-4)) is not None:
        uncentred = (states * flags[:, None]).sum(0) / (states.norm(dim=0) * flags.norm())
        hint = (": subtract each column's mean and the flags' mean first"
                if torch.allclose(got.float(), uncentred, atol=1e-4) else "")
        raise _Wrong(f"unit_corr differs from the correlation {diff} (unit){hint}")
    return "unit_corr is Pearson's correlation of each unit with the flags"


@_checker
def check_exact(exact: Callable) -> str:
    """``exact(pred, y)``: for predicted digits ``pred`` and targets ``y`` (both (N, T), with
    -100 in ``y`` after each number's end), the share of rows right at every scored position,
    as :func:`rnnbook.seq2seq.exact_match` counts (chapter "Words to digits")."""
    _callable(exact, "exact")
    y = torch.tensor([[3, 4, 2, -100, -100], [5, 2, -100, -100, -100],
                      [3, 3, 3, 3, 2], [4, 2, -100, -100, -100]])
    pred = y.clamp_min(0).clone()
    pred[0, 3] = 7  # after the end: not scored, the row is right
    pred[2, 1] = 9  # a wrong digit: the row is wrong
    pred[3, 1] = 5  # a missing end: wrong
    got = _call("exact(pred, y)", exact, pred.clone(), y.clone())
    got = float(got.item() if isinstance(got, torch.Tensor) and got.numel() == 1 else got) \
        if isinstance(got, (int, float, torch.Tensor)) else got
    if not isinstance(got, float):
        raise _Wrong(f"exact returned {type(got).__name__}, expected a number (a share)")
    if abs(got - 0.5) > 1e-6:
        hint = {0.25: ": a position after the end (-100) must not count",
                0.75: ": the end (id 2) must be written too",
                2.0: ": return a share of the rows, not a count"}.get(round(got, 2), "")
        raise _Wrong(f"exact gave {got:.3f} on a batch where 2 of 4 rows are right{hint}")
    return "exact counts a row right when every scored position is"


@_checker
def check_attend(attend: Callable) -> str:
    """``attend(enc, q, pad)``: Luong's attention as :class:`rnnbook.seq2seq.Seq2Seq` computes
    it: scores ``enc · q`` for encoder states ``enc`` (B, S, E) and a query ``q`` (B, E),
    ``pad`` (B, S) masked out, a softmax over S; returns ``(weights (B, S), context (B, E))``
    (chapter "Words to digits")."""
    _callable(attend, "attend")
    g = torch.Generator().manual_seed(0)
    enc, q = torch.randn(3, 6, 4, generator=g), torch.randn(3, 4, generator=g)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[:, :2] = True  # the words are padded on the left
    s = torch.einsum("bse,be->bs", enc, q).masked_fill(pad, float("-inf"))
    w = torch.softmax(s, -1)
    expected = (w, torch.einsum("bs,bse->be", w, enc))
    got = _call("attend(enc, q, pad)", attend, enc.clone(), q.clone(), pad.clone())
    if not isinstance(got, tuple) or len(got) != 2:
        raise _Wrong(f"attend returned {type(got).__name__}, expected a tuple (weights, context)")
    for name, value, want, shape in (("weights", got[0], expected[0], (3, 6)),
                                     ("context", got[1], expected[1], (3, 4))):
        value = _tensor(value, name, shape)
        if (diff := _first_difference(value, want, atol=1e-5)) is not None:
            hint = (": padding must get weight 0 (fill its scores with -inf before the softmax)"
                    if name == "weights" and value[:, :2].abs().sum() > 1e-6 else "")
            raise _Wrong(f"{name} differs from Luong attention's {diff}{hint}")
    return "attend is Luong's attention, padding masked"
