"""Argument checks shared by the package's entry points: each refuses a bad value where it
enters, with a message that names the argument, the value given and what is allowed."""

from __future__ import annotations

__all__ = ["positive_int"]


def positive_int(name: str, value: object) -> int:
    """``value`` if it is a positive int (not a bool), else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value
