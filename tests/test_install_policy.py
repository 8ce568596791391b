"""The install policy (README, "Reading a chapter in Colab"): the core dependencies keep
what Colab ships (lower bounds only), and the reference libraries are bounded to the
release series CI tests, so a Colab install never brings a newer, untested one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


CORE = [Requirement(text) for text in _project()["dependencies"]]
REFERENCES = [
    Requirement(text) for text in _project()["optional-dependencies"]["references"]
]


@pytest.mark.parametrize("requirement", CORE, ids=str)
def test_core_dependencies_have_lower_bounds_only_and_admit_the_ci_pin(requirement):
    operators = {spec.operator for spec in requirement.specifier}
    assert operators == {">="}, (
        f"{requirement}: a lower bound only, so Colab keeps its own"
    )
    assert requirement.specifier.contains(_pins()[canonicalize_name(requirement.name)])


@pytest.mark.parametrize("requirement", REFERENCES, ids=str)
def test_reference_libraries_are_bounded_to_the_series_ci_tests(requirement):
    pin = _pins()[canonicalize_name(requirement.name)]
    assert requirement.specifier.contains(pin), f"{requirement} excludes CI's {pin}"
    uppers = [s for s in requirement.specifier if s.operator == "<"]
    assert len(uppers) == 1, f"{requirement} needs one upper bound"
    upper = Version(uppers[0].version)
    # the next minor release (or the next 0.x series) is the first one excluded
    assert upper > pin
    next_minor = Version(f"{pin.major}.{pin.minor + 1}")
    assert upper <= next_minor, f"{requirement} admits releases CI never tested"


def test_transformers_bound_excludes_the_release_an_old_colab_would_keep():
    """The chapters need transformers 5; an older Colab image has 4.x."""
    (transformers,) = [r for r in REFERENCES if r.name == "transformers"]
    assert not transformers.specifier.contains("4.57.1")
    assert not transformers.specifier.contains("5.24.0")


def test_the_setup_cell_installs_the_bounded_extra():
    from tests.notebook_rules import setup_cell_source

    assert re.search(
        r'pip install -q "llmviz\[references\] @ git\+', setup_cell_source()
    )


def test_readme_states_the_policy():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "release series CI tests" in readme
