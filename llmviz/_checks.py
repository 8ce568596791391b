"""Argument checks shared by every chapter.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for a
value out of range, with a message that names the parameter, the value received and what
is allowed.
"""

from __future__ import annotations

import contextvars
import numbers
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_CHECKED_BY_CALLER = contextvars.ContextVar("llmviz_checked_by_caller", default=False)


@contextmanager
def checked_by_caller() -> Iterator[None]:
    """Within this block, the layers skip their argument checks (``checking()`` is
    False). A model's ``forward`` checks its own inputs once, then runs its layers in
    this block: what it passes them it built itself, and checking it again in every
    layer at every decoding step cost a third of TinyGPT's time per token.

    >>> with checked_by_caller():
    ...     checking()
    False
    >>> checking()
    True
    """
    token = _CHECKED_BY_CALLER.set(True)
    try:
        yield
    finally:
        _CHECKED_BY_CALLER.reset(token)


def checking() -> bool:
    """True unless a caller that has checked the arguments says so (above)."""
    return not _CHECKED_BY_CALLER.get()


def check_int(
    name: str, value: Any, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an integer (not a bool) in [``minimum``, ``maximum``].

    A ``maximum`` keeps absurd sizes (``10**12``) from allocating or looping for ever.

    >>> check_int("window", 3, minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type {type(value).__name__}"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    minimum: float = float("-inf"),
    maximum: float = float("inf"),
    *,
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """Return ``value`` as a float if it is a real number (not NaN, not a bool) in the
    interval from ``minimum`` to ``maximum``, each end closed unless ``open_*``.

    >>> check_real("top_p", 0.9, 0, 1, open_min=True)
    0.9
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    value = float(value)
    low = value > minimum if open_min else value >= minimum
    high = value < maximum if open_max else value <= maximum
    if value != value or not (low and high):  # NaN fails every comparison
        left, right = "(" if open_min else "[", ")" if open_max else "]"
        raise ValueError(
            f"{name} must be in {left}{minimum}, {maximum}{right}, got {value}"
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` as a bool if it is True or False (NumPy's bool too), not 0 or 1.

    >>> check_bool("use_cache", 1)
    Traceback (most recent call last):
    ...
    TypeError: use_cache must be a bool, got 1 of type int
    """
    if type(value).__name__ not in ("bool", "bool_"):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a bool, got {value!r:.60} of type {kind}")
    return bool(value)


def check_positive_number(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite real number > 0.

    >>> check_positive_number("scale", 0.125)
    0.125
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    if not (0 < value < float("inf")):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def check_callable(name: str, value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` can be called."""
    if not callable(value):
        raise TypeError(
            f"{name} must be callable, got {value!r} of type {type(value).__name__}"
        )


def check_path(name: str, value: Any, kind: str = "any") -> Path:
    """Return ``value`` as a ``Path`` if it is a str or path-like naming an existing
    ``kind`` of thing: "file", "dir", or "any" (a file's folder must exist).

    >>> check_path("site", "/", "dir")
    PosixPath('/')
    """
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or Path), got {value!r:.60}")
    path = Path(value)
    ok = {"file": path.is_file, "dir": path.is_dir, "any": path.parent.is_dir}[kind]
    if not str(value) or not ok():
        wanted = {"file": "an existing file", "dir": "an existing folder"}
        allowed = wanted.get(kind, "a path in an existing folder")
        raise ValueError(f"{name} must be {allowed}, got {str(value)!r:.80}")
    return path


def check_str_dict(name: str, value: Any) -> dict[str, str]:
    """Return ``value`` if it is a dict of str to str.

    >>> check_str_dict("messages", {"loss": "损失"})
    {'loss': '损失'}
    """
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"{name} must be a dict of str to str, got {value!r:.60}")
    return value


def check_str_pair(name: str, value: Any) -> tuple[str, str]:
    """Return ``value`` as a tuple if it is a tuple or list of two str.

    >>> check_str_pair("headers", ["English", "中文"])
    ('English', '中文')
    """
    if not _str_pair(value):
        raise TypeError(f"{name} must be a (str, str) pair, got {value!r:.60}")
    return tuple(value)


def check_str_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    """Return ``value`` as a list if it is a list or tuple of (str, str) pairs.

    >>> check_str_pairs("rows", [("head", "头")])
    [('head', '头')]
    """
    if not isinstance(value, (list, tuple)) or not all(map(_str_pair, value)):
        raise TypeError(f"{name} must be a list of (str, str) pairs, got {value!r:.60}")
    return list(value)


def _str_pair(value: Any) -> bool:
    return (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(s, str) for s in value)
    )
