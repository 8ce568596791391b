"""The feedback harness that every chapter's ``check_*`` helpers share.

A check runs the reader's function on random cases and prints one line that says what
is wrong without giving the answer away. It returns a ``CheckResult`` that is truthy
when everything passed, so a solution cell can ``assert check_...(solution)`` and CI
notices when a solution goes stale.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from llmviz.i18n import say

TIME_LIMIT = 5.0  # seconds one call of the reader's function may take

NOT_IMPLEMENTED = (
    "Your turn: replace the line raise NotImplementedError with your code, then run "
    "this cell again."
)


class CheckResult:
    """Truthy when the check passed. It displays nothing: the feedback is printed."""

    def __init__(self, passed: bool, message: str) -> None:
        self.passed, self.message = passed, message

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed}, message={self.message!r})"

    def _ipython_display_(self) -> None:  # the printed line is the feedback
        pass


def report(passed: bool, message: str) -> CheckResult:
    """Print the feedback after a ✅ or a ❌, and return the result."""
    mark = "✅ " if passed else "✏️ " if message == NOT_IMPLEMENTED else "❌ "
    print(say(mark + message))  # an unwritten stub is the reader's turn, not a mistake
    return CheckResult(passed, message)


def call_keeping_input(
    fn: Callable[..., Any], name: str, *args: Any
) -> tuple[Any, str | None]:
    """``call``, failing too if the function changed its first argument, ``name``: a
    tensor, or a list of plain values."""
    first = args[0]
    before = first.clone() if isinstance(first, torch.Tensor) else copy.deepcopy(first)
    result, failure = call(fn, *args)
    if isinstance(first, torch.Tensor):
        changed = first.shape != before.shape or not torch.equal(first, before)
    else:
        changed = first != before
    if failure is None and changed:
        failure = f"Your function changed {name}: leave it as it is."
    return result, failure


class _TooSlow(BaseException):  # not an Exception: the reader's code cannot catch it
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds`` where the platform allows it (Unix, main
    thread: Jupyter, Colab and pytest); elsewhere run it without a limit."""
    usable = hasattr(signal, "setitimer") and (
        threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Call the reader's function: (result, None), or (None, feedback) if it raised
    or took longer than ``TIME_LIMIT`` seconds."""
    if not callable(fn):
        return None, f"Pass your function itself, not a {type(fn).__name__}."
    try:
        with _time_limit(TIME_LIMIT):
            return fn(*args), None
    except _TooSlow:
        return None, (
            f"Your function took longer than {TIME_LIMIT:g} s on a small input: "
            "look for a loop that never ends."
        )
    except NotImplementedError:
        return None, NOT_IMPLEMENTED
    except Exception as error:  # the reader's code may raise anything: say what
        shown = ", ".join(
            str(tuple(a.shape)) if hasattr(a, "shape") else repr(a) for a in args
        )
        return (
            None,
            f"Your function raised {type(error).__name__}: {error} (with {shown}).",
        )


def tensor_result(
    result: Any, shape: tuple[int, ...] | None = None, name: str = "Your function"
) -> tuple[torch.Tensor | None, str | None]:
    """The reader's result as a float64 tensor, or (None, the sentence that says why
    it is not one): any return type, dtype, shape, NaN or inf becomes feedback.
    Tensors, NumPy arrays and nested lists of numbers are all accepted."""
    if isinstance(result, torch.Tensor):
        tensor = result.detach()
    elif isinstance(result, (np.ndarray, np.generic, list, tuple)):
        try:
            tensor = torch.as_tensor(np.asarray(result, dtype=np.float64))
        except (TypeError, ValueError):
            return None, f"{name} returned a {type(result).__name__} of non-numbers."
    else:
        return None, f"{name} returned {type(result).__name__}, not a tensor."
    if tensor.is_complex() or tensor.dtype == torch.bool:
        return None, f"{name} returned a {tensor.dtype} tensor, not real numbers."
    tensor = tensor.to(torch.float64)
    if shape is not None and tuple(tensor.shape) != tuple(shape):
        got, want = tuple(tensor.shape), tuple(shape)
        return None, f"{name} returned shape {got}, expected {want}."
    if not bool(torch.isfinite(tensor).all()):
        return None, f"{name} returned NaN or inf values."
    return tensor, None


def number_result(
    result: Any, name: str = "Your function"
) -> tuple[float | None, str | None]:
    """The reader's result as a finite float (a Python, NumPy or 0-d torch number),
    or (None, the sentence that says why it is not one)."""
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        result = result.detach().reshape(()).item()
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(()).item()
    if isinstance(result, (bool, np.bool_)) or not isinstance(
        result, (int, float, np.integer, np.floating)
    ):
        return None, f"{name} returned {type(result).__name__}, not a number."
    value = float(result)
    if not math.isfinite(value):
        return None, f"{name} returned {value}, not a finite number."
    return value, None
