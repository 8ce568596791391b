"""Every public callable of llmviz has its bad-input case (tests/bad_input.py), so the
properties cover the whole public API and not a sample."""

from __future__ import annotations

import importlib
import inspect

import pytest

from tests.bad_input_survey import all_cases

PACKAGES = [
    "attention",
    "data",
    "decoding",
    "embeddings",
    "layers",
    "long_context",
    "measure",
    "models",
    "moe",
    "positions",
    "tokenization",
    "viz",
    "widgets",
]


def public_callables() -> list[str]:
    names = [f"llmviz.{name}" for name in ("setup", "show_source", "table", "versions")]
    for package in PACKAGES:
        module = importlib.import_module(f"llmviz.{package}")
        exported = getattr(module, "__all__", None) or [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__.startswith(module.__name__)
        ]
        for name in exported:
            value = getattr(module, name)
            if callable(value) and not inspect.ismodule(value):
                names.append(f"llmviz.{package}.{name}")
    return sorted(names)


COVERED = {case.name for case in all_cases()}


@pytest.mark.parametrize("name", public_callables())
def test_every_public_callable_has_a_bad_input_case(name):
    assert any(c == name or c.startswith(name + ".") for c in COVERED), (
        f"no Case named {name} (or {name}.<method>) in tests/test_bad_input_*.py"
    )
