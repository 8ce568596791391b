"""Bad input, one argument at a time, for every public function: the shared harness.

Each chapter's ``tests/test_bad_input_<chapter>.py`` lists its public callables as
``Case``s: how to call it, a factory of valid arguments, and the *kind* of each
parameter. A kind turns the valid value into the bad values of that kind (None, a
wrong type, 0, a negative or absurd size, NaN and inf, an empty or wrong-rank tensor, a
mismatched shape, an out-of-range value). Two properties then hold for every case:

- every bad value raises ``ValueError`` or ``TypeError`` whose message names the
  parameter, within ``TIME_LIMIT`` seconds (``bad_input_test``);
- a valid call leaves its arguments as they were (``keeps_inputs_test``).

``python -m tests.bad_input_survey`` runs every bad value of every case and prints how
each was handled, the figures the closing notes quote.
"""

from __future__ import annotations

import copy
import json
import math
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TIME_LIMIT = 5  # seconds: a call that takes longer counts as a hang

Bad = list[tuple[str, Any]]  # (label, value) pairs
Kind = Callable[[Any], Bad]  # the valid value -> the bad values of its kind


@dataclass
class Case:
    """One public callable. ``fn(**kwargs)`` calls it (a lambda wraps a method or a
    module's forward); ``valid()`` returns fresh valid kwargs; ``params`` gives the
    kind of each parameter to fuzz. ``gaps`` maps a parameter to the reason it is not
    yet checked: its test is a strict xfail, so fixing it forces removing the gap."""

    name: str
    fn: Callable[..., Any]
    valid: Callable[[], dict[str, Any]]
    params: dict[str, Kind]
    gaps: dict[str, str] = field(default_factory=dict)

    def bad_values(self, param: str) -> Bad:
        return self.params[param](self.valid()[param])


# --- kinds ------------------------------------------------------------------------


def INT(
    minimum: int | None = 1, maximum: int | None = None, none: bool = False
) -> Kind:
    """An integer in [minimum, maximum]; ``none=True`` when None is allowed."""

    def bad(valid: Any) -> Bad:
        values: Bad = [("str", str(valid)), ("float", 2.5), ("nan", math.nan)]
        values.append(("bool", True))
        if not none:
            values.append(("None", None))
        if minimum is not None:
            values += [
                ("below minimum", minimum - 1),
                ("negative", min(-1, minimum - 1)),
            ]
        if maximum is not None:
            values += [("above maximum", maximum + 1), ("absurd", 10**12)]
        return values

    return bad


def REAL(
    minimum: float = -math.inf,
    maximum: float = math.inf,
    open_min: bool = False,
    open_max: bool = False,
    none: bool = False,
) -> Kind:
    """A real number in the interval; NaN and the infinities outside it are bad."""

    def bad(valid: Any) -> Bad:
        values: Bad = [("str", str(valid)), ("nan", math.nan), ("bool", True)]
        values += [("list", [valid])]
        if not none:
            values.append(("None", None))
        if math.isfinite(minimum):
            values.append(("below minimum", minimum - 1.0))
            if open_min:
                values.append(("at open minimum", minimum))
        else:
            values.append(("-inf", -math.inf))
        if math.isfinite(maximum):
            values.append(("above maximum", maximum + 1.0))
            if open_max:
                values.append(("at open maximum", maximum))
        else:
            values.append(("inf", math.inf))
        return values

    return bad


def TENSOR(
    ranks: tuple[int, ...] | None = None,
    *,
    floating: bool = True,
    finite: bool = True,
    mismatch: bool = False,
    empty: bool = True,
    none: bool = False,
    lists: bool = False,
) -> Kind:
    """A tensor of one of ``ranks``. ``mismatch``: a tensor one longer in its last
    dimension must be refused (its shape must agree with another argument).
    ``empty``: a tensor with a size-0 dimension is bad. ``lists``: a plain list is
    accepted in its place, so it is not offered as a wrong type."""

    def bad(valid: torch.Tensor) -> Bad:
        values: Bad = [("str", "tensor"), ("int", 3)]
        if not none:
            values.append(("None", None))
        if not lists:
            values.append(("list", valid.tolist()))
        if ranks is not None:
            values.append(("extra dimension", valid.unsqueeze(0)))
            if valid.dim() > 0 and valid.dim() - 1 not in ranks:
                values.append(("missing dimension", valid[0]))
        if empty and valid.dim() > 0:
            values.append(("empty", valid[..., :0]))
        if floating:
            values.append(("integer dtype", valid.round().long()))
            if finite:
                values += [
                    ("nan", _fill(valid, math.nan)),
                    ("inf", _fill(valid, math.inf)),
                ]
        else:
            values.append(("float dtype", valid.float() + 0.5))
        if mismatch and valid.dim() > 0:
            extra = torch.cat([valid, valid[..., :1]], dim=-1)
            values.append(("mismatched shape", extra))
        return values

    return bad


def _fill(valid: torch.Tensor, value: float) -> torch.Tensor:
    out = valid.clone()
    out.reshape(-1)[0] = value
    return out


def CHOICE(*choices: Any, none: bool = False) -> Kind:
    """One of ``choices``."""

    def bad(valid: Any) -> Bad:
        values: Bad = [("unknown", "bogus"), ("int", 12345)]
        return values + ([] if none else [("None", None)])

    return bad


def TEXT(none: bool = False, empty: bool = False) -> Kind:
    """A ``str``; ``empty=True`` when the empty string is bad too."""

    def bad(valid: Any) -> Bad:
        values: Bad = [("int", 3), ("bytes", b"abc"), ("list", ["a"])]
        values += [] if none else [("None", None)]
        return values + ([("empty", "")] if empty else [])

    return bad


def CALLABLE(none: bool = False) -> Kind:
    def bad(valid: Any) -> Bad:
        return [("int", 3), ("str", "f")] + ([] if none else [("None", None)])

    return bad


def BOOL() -> Kind:
    def bad(valid: Any) -> Bad:
        return [("None", None), ("str", "yes"), ("int", 2)]

    return bad


def VALUES(*values: tuple[str, Any]) -> Kind:
    """Bad values given by hand, as (label, value) pairs."""
    return lambda valid: list(values)


def BOTH(*kinds: Kind) -> Kind:
    """The bad values of several kinds together (for example TENSOR and VALUES)."""
    return lambda valid: [bad for kind in kinds for bad in kind(valid)]


# --- running a call -----------------------------------------------------------------


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome(case: Case, param: str, bad: Any) -> tuple[str, str]:
    """How one bad call was handled: ("clear" | "unnamed" | "raw" | "accepted" |
    "hang", detail)."""
    kwargs = case.valid()
    if param not in kwargs:
        raise KeyError(f"{case.name}: valid() gives no {param!r} to replace")
    kwargs[param] = bad
    try:
        with time_limit(TIME_LIMIT):
            case.fn(**kwargs)
    except Hang as error:
        return "hang", str(error)
    except (TypeError, ValueError) as error:
        if "unexpected keyword argument" in str(error):
            raise  # the case is wrong, not the function
        kind = "clear" if param in str(error) else "unnamed"
        return kind, f"{type(error).__name__}: {error}"
    except Exception as error:  # noqa: BLE001 - classifying is the point
        return "raw", f"{type(error).__name__}: {error}"
    return "accepted", "no error"


def _case_id(value: Any) -> str:
    return value.name if isinstance(value, Case) else str(value)


def bad_input_test(cases: list[Case]) -> Callable:
    """A pytest test over every (case, parameter): each bad value of the parameter's
    kind raises a clear ``ValueError``/``TypeError`` naming it."""
    pairs = [
        pytest.param(
            case,
            param,
            marks=[pytest.mark.xfail(strict=True, reason=case.gaps[param])]
            if param in case.gaps
            else [],
            id=f"{case.name}-{param}",
        )
        for case in cases
        for param in case.params
    ]

    @pytest.mark.parametrize(("case", "param"), pairs)
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def test_bad_input(case: Case, param: str, data: st.DataObject) -> None:
        labels = case.bad_values(param)
        index = data.draw(st.integers(0, len(labels) - 1), label="bad value")
        label, bad = labels[index]
        kind, detail = outcome(case, param, bad)
        assert kind == "clear", f"{case.name}({param}={label}): {kind}: {detail}"

    return test_bad_input


def keeps_inputs_test(cases: list[Case]) -> Callable:
    """A pytest test over every case: a valid call changes none of its arguments."""

    @pytest.mark.parametrize("case", cases, ids=_case_id)
    def test_keeps_inputs(case: Case) -> None:
        kwargs = case.valid()
        before = {name: _snapshot(value) for name, value in kwargs.items()}
        case.fn(**kwargs)
        for name, value in kwargs.items():
            assert _same(value, before[name]), f"{case.name} changed {name}"

    return test_keeps_inputs


def _snapshot(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return {k: v.detach().clone() for k, v in value.state_dict().items()}
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an object we cannot copy is compared by identity
        return value


def _figures_json(figures: dict) -> dict:
    """Each figure as JSON, less its template and empty parts (``copy.deepcopy`` drops
    them)."""

    def filled(tree: Any) -> Any:
        if isinstance(tree, dict):
            return {
                k: filled(v) for k, v in tree.items() if v != {} and k != "template"
            }
        return [filled(v) for v in tree] if isinstance(tree, list) else tree

    return {k: filled(json.loads(f.to_json())) for k, f in figures.items()}


def _same(value: Any, before: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.shape == before.shape and torch.equal(
            torch.nan_to_num(value), torch.nan_to_num(before)
        )
    if isinstance(value, torch.nn.Module):
        now = value.state_dict()
        return now.keys() == before.keys() and all(
            torch.equal(now[k], before[k]) for k in now
        )
    if isinstance(value, np.ndarray):
        return np.array_equal(value, before, equal_nan=True)
    if isinstance(value, go.Figure):  # style() changes its figure in place, by design
        return True
    if isinstance(value, dict) and any(
        isinstance(v, go.Figure) for v in value.values()
    ):
        return _figures_json(value) == _figures_json(
            before
        )  # figures compare by identity
    if isinstance(value, (list, tuple, dict)):
        try:
            return bool(value == before)
        except (RuntimeError, ValueError):  # containers of tensors
            return repr(value) == repr(before)
    return True
