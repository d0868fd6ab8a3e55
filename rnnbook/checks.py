"""Argument checks shared by the package's entry points (every chapter's functions use them):
each refuses a bad value where it enters, with a message that names the argument, the value
given and what is allowed.

A value of the wrong type raises :class:`WrongType`, which is a ``TypeError`` and a
``ValueError`` at once; a value of the right type that is not allowed raises ``ValueError``.
Each check returns the value (converted where that is harmless: a path to a ``Path``, a
device name to a ``torch.device``), so a call site reads ``bs = positive_int("bs", bs)``.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import NoReturn, TypeVar

import torch

__all__ = [
    "door",
    "maybe",
    "WrongType",
    "MAX_VOCAB",
    "MAX_UNITS",
    "MAX_LAYERS",
    "MAX_SEED",
    "MAX_THREADS",
    "show",
    "refuse",
    "integer",
    "positive_int",
    "non_negative_int",
    "number",
    "positive_number",
    "non_negative_number",
    "boolean",
    "text",
    "one_of",
    "instance",
    "function",
    "path",
    "device",
    "settings",
    "increasing_ints",
    "strings",
    "iterable",
    "token_ids",
    "tensor",
    "figsize",
    "model_sizes",
    "dropout",
]

MAX_VOCAB = 65_536
"""The largest vocabulary a model may be built for (the book's has 40 tokens)."""
MAX_UNITS = 4096
"""The largest hidden size or key size of a model (the book's models have 64)."""
MAX_LAYERS = 16
"""The most recurrent layers a model may stack (the book's have 1 or 2)."""
MAX_SEED = 2**64 - 1
"""The largest seed: PyTorch's generators take seeds below 2**64."""
MAX_THREADS = 256
"""The most CPU threads the package lets PyTorch use."""


Fn = TypeVar("Fn", bound=Callable)


def door(**rules: Callable[[str, object], object]) -> Callable[[Fn], Fn]:
    """Make the decorated function a door of the package: ``rules`` maps its arguments to
    the checks that refuse a bad value (``epochs=positive_int``; a check with settings as
    ``functools.partial(integer, low=0)``), each called as ``rule(name, value)`` and
    returning the value to use.

    The rules run only for a call from outside the package (a chapter, a reader's code, a
    test). A call from one of rnnbook's own modules passes straight through: what it passes
    came in by a door that checked it already, so internal code trusts its callers.
    """

    def wrap(fn: Fn) -> Fn:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.partition(".")[0] == "rnnbook":
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            for name, rule in rules.items():
                if name in bound.arguments:
                    bound.arguments[name] = rule(name, bound.arguments[name])
            return fn(*bound.args, **bound.kwargs)

        return checked  # type: ignore[return-value]

    return wrap


def maybe(rule: Callable[[str, object], object]) -> Callable[[str, object], object]:
    """``rule``, letting ``None`` through (for :func:`door`)."""
    return lambda name, value: None if value is None else rule(name, value)


class WrongType(TypeError, ValueError):
    """An argument of the wrong type. It is a ``TypeError``, and a ``ValueError`` too, so
    code that catches bad values (``except ValueError``) catches it as well."""


def show(value: object, limit: int = 60) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters, for a message (a tensor: its
    shape and dtype)."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {str(value.dtype).removeprefix('torch.')}"
    text = repr(value)
    if "\n" in text:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refuse(name: str, value: object, allowed: str, wrong_type: bool = False) -> NoReturn:
    """Raise the error for a bad ``value`` of argument ``name``: "``name`` must be
    ``allowed``, got ``value``" (a :class:`WrongType` when ``wrong_type``)."""
    if wrong_type:
        raise WrongType(f"{name} must be {allowed}, got {show(value)} ({type(value).__name__})")
    raise ValueError(f"{name} must be {allowed}, got {show(value)}")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int if it is an int (not a bool) in ``low..high`` (either end may be
    open: ``None``)."""
    if low is not None and high is not None:
        allowed = f"an int in {low}..{high}"
    elif low == 1:
        allowed = "a positive int"
    elif low == 0:
        allowed = "a non-negative int"
    elif low is not None:
        allowed = f"an int of at least {low}"
    elif high is not None:
        allowed = f"an int of at most {high}"
    else:
        allowed = "an int"
    if not _is_int(value):
        refuse(name, value, allowed, wrong_type=True)
    if (low is not None and value < low) or (high is not None and value > high):
        refuse(name, value, allowed)
    return int(value)


def positive_int(name: str, value: object, at_most: int | None = None) -> int:
    """``value`` if it is a positive int (not a bool), at most ``at_most`` if given."""
    if at_most is None:
        return integer(name, value, 1)
    if not _is_int(value) or value < 1 or value > at_most:
        refuse(name, value, f"a positive int of at most {at_most}", wrong_type=not _is_int(value))
    return int(value)


def non_negative_int(name: str, value: object, at_most: int | None = None) -> int:
    """``value`` if it is an int (not a bool) of at least 0, at most ``at_most`` if given."""
    return integer(name, value, 0, at_most)


def _bound(x: float) -> str:
    return f"{x:g}"


def number(name: str, value: object, low: float = -math.inf, high: float = math.inf, *,
           open_low: bool = False, open_high: bool = False, allowed: str | None = None) -> float:
    """``value`` as a float if it is a finite real number (an int or a float, not a bool) in
    the interval from ``low`` to ``high`` (an end is left out when it is open or infinite).
    ``allowed`` words the interval in the message (default: worked out from the bounds)."""
    if allowed is None:
        if low == 0 and open_low and high == math.inf:
            allowed = "a positive number"
        elif low == 0 and high == math.inf:
            allowed = "zero or a positive number"
        elif low == -math.inf and high == math.inf:
            allowed = "a finite number"
        elif high == math.inf:
            allowed = f"a number {'>' if open_low else '>='} {_bound(low)}"
        elif low == -math.inf:
            allowed = f"a number {'<' if open_high else '<='} {_bound(high)}"
        elif not open_low and not open_high:
            allowed = f"a number between {_bound(low)} and {_bound(high)}"
        else:
            allowed = (f"a number in {'(' if open_low else '['}{_bound(low)}, "
                       f"{_bound(high)}{')' if open_high else ']'}")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        refuse(name, value, allowed, wrong_type=True)
    try:
        x = float(value)
    except OverflowError:  # an int too large for a float
        x = math.inf
    if (not math.isfinite(x) or x < low or x > high or (open_low and x == low)
            or (open_high and x == high)):
        refuse(name, value, allowed)
    return x


def positive_number(name: str, value: object) -> float:
    """``value`` as a float if it is a finite number above 0."""
    return number(name, value, 0.0, open_low=True)


def non_negative_number(name: str, value: object) -> float:
    """``value`` as a float if it is a finite number of at least 0."""
    return number(name, value, 0.0)


def boolean(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, bool):
        refuse(name, value, "True or False", wrong_type=True)
    return value


def text(name: str, value: object, empty: bool = True) -> str:
    """``value`` if it is a str (a non-empty one when ``empty`` is false)."""
    if not isinstance(value, str):
        refuse(name, value, "a str" if empty else "a non-empty str", wrong_type=True)
    if not empty and not value.strip():
        refuse(name, value, "a non-empty str")
    return value


def one_of(name: str, value: object, allowed: Iterable, what: str = "one of") -> object:
    """``value`` if it equals one of ``allowed`` (listed in the message)."""
    allowed = list(allowed)
    kinds = tuple({type(a) for a in allowed})
    right_type = isinstance(value, kinds) and (not isinstance(value, bool) or bool in kinds)
    try:
        ok = right_type and value in allowed
    except TypeError:  # an unhashable or uncomparable value
        ok = False
    if not ok:
        listed = ", ".join(show(a, 30) for a in allowed)
        refuse(name, value, f"{what} {listed}", wrong_type=not right_type)
    return value


def instance(name: str, value: object, types: type | tuple[type, ...], what: str) -> object:
    """``value`` if it is an instance of ``types`` (``what`` says what that is, in words)."""
    if not isinstance(value, types):
        refuse(name, value, what, wrong_type=True)
    return value


def function(name: str, value: object, none: bool = False) -> Callable | None:
    """``value`` if it is callable (or ``None`` when ``none`` is true)."""
    if value is None and none:
        return None
    if not callable(value):
        refuse(name, value, "a function or None" if none else "a function", wrong_type=True)
    return value


def path(name: str, value: object) -> Path:
    """``value`` as a ``Path`` if it is a non-empty str or a path."""
    if not isinstance(value, (str, os.PathLike)):
        refuse(name, value, "a path (a str or a pathlib.Path)", wrong_type=True)
    if isinstance(value, str) and not value.strip() or "\0" in str(value):
        refuse(name, value, "a path (a non-empty str without NUL characters)")
    return Path(value)


def device(name: str, value: object, none: bool = True) -> torch.device | None:
    """``value`` as a ``torch.device`` if it names one this machine has ("cpu", "cuda",
    "cuda:1", "mps" or a ``torch.device``); ``None`` passes through when ``none`` is true."""
    if value is None and none:
        return None
    kinds = "'cpu', 'cuda', 'cuda:<n>' or 'mps'" + (" or None" if none else "")
    if not isinstance(value, (str, torch.device)):
        refuse(name, value, f"a device: {kinds}", wrong_type=True)
    try:
        dev = torch.device(value)
    except (RuntimeError, ValueError):
        refuse(name, value, f"a device: {kinds}")
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (dev.index is not None and dev.index >= count):
            here = f"cuda:0..cuda:{count - 1}" if count else "no CUDA device"
            raise ValueError(f"{name} {show(value)} is not on this machine ({here}); use 'cpu' "
                             "or None for the best device there is")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{name} {show(value)} is not on this machine (no Apple GPU); use "
                             "'cpu' or None for the best device there is")
    elif dev.type != "cpu":
        refuse(name, value, f"a device: {kinds}")
    return dev


def settings(name: str, given: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Refuse keyword arguments ``given`` whose names are not in ``allowed``, by name."""
    allowed = sorted(allowed)
    unknown = sorted(k for k in given if k not in allowed)
    if unknown:
        raise ValueError(f"unknown {name} {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")


def increasing_ints(name: str, values: object, at_most: int | None = None) -> tuple[int, ...]:
    """``values`` as a tuple if it is a non-empty, increasing sequence of positive ints."""
    allowed = "a non-empty increasing list of positive ints" + (
        f" of at most {at_most}" if at_most is not None else "")
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        refuse(name, values, allowed, wrong_type=True)
    values = tuple(values)
    if not all(_is_int(v) for v in values):
        refuse(name, values, allowed, wrong_type=True)
    if (not values or any(v < 1 or (at_most is not None and v > at_most) for v in values)
            or any(a >= b for a, b in zip(values, values[1:], strict=False))):
        refuse(name, values, allowed)
    return values


def iterable(name: str, value: object, what: str) -> list:
    """``value`` as a list if it is an iterable other than a str (``what`` says of what)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        refuse(name, value, what, wrong_type=True)
    return list(value)


def strings(name: str, values: object, empty: bool = False) -> list[str]:
    """``values`` as a list if it is a sequence of str (not one str; non-empty unless
    ``empty``)."""
    allowed = "a list of str" + ("" if empty else " (at least one)")
    if isinstance(values, (str, bytes, Mapping, Set)) or not isinstance(values, Iterable):
        refuse(name, values, allowed, wrong_type=True)
    values = list(values)
    if not all(isinstance(v, str) for v in values):
        refuse(name, values, allowed, wrong_type=True)
    if not values and not empty:
        refuse(name, values, allowed)
    return values


def token_ids(name: str, value: object, dim: int | None = 1, below: int | None = None,
              min_len: int = 0) -> torch.Tensor:
    """``value`` as a long tensor if it is a tensor or a sequence of token ids (ints of at
    least 0, below ``below`` if given) with ``dim`` dimensions (any if ``None``) and at least
    ``min_len`` of them."""
    shape = {None: "", 1: "1-D ", 2: "2-D (rows x tokens) "}.get(dim, f"{dim}-D ")
    allowed = f"a {shape}tensor or list of token ids (ints" + (
        f" in 0..{below - 1})" if below is not None else " of at least 0)")
    if isinstance(value, torch.Tensor):
        t = value
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        try:
            t = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError, OverflowError):
            refuse(name, value, allowed, wrong_type=True)
    else:
        refuse(name, value, allowed, wrong_type=True)
    if t.numel() == 0:  # no ids: an empty list is a float tensor to torch
        t = t.long()
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        refuse(name, value, allowed, wrong_type=True)
    if dim is not None and t.dim() != dim:
        raise ValueError(f"{name} must be {allowed}, got shape {tuple(t.shape)}")
    if t.numel() < min_len:
        raise ValueError(f"{name} must be {allowed} with at least {min_len}, got {t.numel()}")
    if t.numel() and (int(t.min()) < 0 or (below is not None and int(t.max()) >= below)):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f"{name} must be {allowed}, got the id {bad}")
    return t.long()


def tensor(name: str, value: object, dim: int | None = None, last: int | None = None,
           none: bool = False) -> torch.Tensor | None:
    """``value`` if it is a floating-point tensor with ``dim`` dimensions (any if ``None``)
    and a last dimension of size ``last`` (any if ``None``); ``None`` passes through when
    ``none`` is true (chapter "RNNs today")."""
    if value is None and none:
        return None
    allowed = "a float tensor" + (f" of {dim} dimensions" if dim is not None else "") + (
        f" with a last dimension of {last}" if last is not None else "") + (
        " or None" if none else "")
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        refuse(name, value, allowed, wrong_type=True)
    if (dim is not None and value.dim() != dim) or (
            last is not None and (value.dim() == 0 or value.shape[-1] != last)):
        refuse(name, value, allowed)
    return value


def figsize(name: str, value: object, at_most: float = 100.0) -> tuple[float, float]:
    """``value`` as a (width, height) pair of positive numbers of at most ``at_most`` inches."""
    allowed = f"a (width, height) pair of positive numbers of at most {at_most:g} (inches)"
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or len(value) != 2:
        refuse(name, value, allowed, wrong_type=not isinstance(value, Sequence) or isinstance(value, str))
    w, h = (number(name, v, 0.0, at_most, open_low=True, allowed=allowed) for v in value)
    return w, h


def model_sizes(vocab_size: object, n_hidden: object, n_layers: object = ...) -> tuple[int, ...]:
    """A model's sizes (the chapters' models take them first): ``vocab_size`` up to
    :data:`MAX_VOCAB`, ``n_hidden`` up to :data:`MAX_UNITS` and ``n_layers`` (if given) up to
    :data:`MAX_LAYERS`."""
    out = (positive_int("vocab_size", vocab_size, at_most=MAX_VOCAB),
           positive_int("n_hidden", n_hidden, at_most=MAX_UNITS))
    if n_layers is not ...:
        out += (positive_int("n_layers", n_layers, at_most=MAX_LAYERS),)
    return out


def dropout(name: str, value: object) -> float:
    """``value`` as a float if it is a dropout probability: a number in [0, 1)."""
    return number(name, value, 0.0, 1.0, open_high=True, allowed="a dropout probability in [0, 1)")
