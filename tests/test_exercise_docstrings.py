"""A check's docstring states the task, never a solution: Colab and Jupyter show it as
soon as the student types the call, so a worked example there gives the answer away."""

from __future__ import annotations

import inspect
import re

import pytest

import llmviz.exercises as exercises

CHECKS = [name for name in exercises.__all__ if name.startswith("check_")]


@pytest.mark.parametrize("name", CHECKS)
def test_docstring_states_the_task_without_code(name):
    doc = inspect.getdoc(getattr(exercises, name)) or ""
    assert doc.startswith("Check"), f"{name}: say what it checks"
    for pattern in (
        r">>>",
        r"\bdef \w+\(",
        r"\blambda\b",
        r"\bimport\b",
        r"(?m)^\s*return\b",
    ):
        assert not re.search(pattern, doc), f"{name}'s docstring shows code: {pattern}"


@pytest.mark.parametrize("name", CHECKS)
def test_docstring_does_not_point_to_llmviz_s_own_answer(name):
    doc = inspect.getdoc(getattr(exercises, name)) or ""
    assert not re.search(r"llmviz\.\w+\.\w+", doc), (
        f"{name}'s docstring names the llmviz function that solves it"
    )
