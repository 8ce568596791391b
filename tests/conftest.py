"""Shared pytest hooks.

Notebook cells tagged ``gpu`` are skipped when CUDA is absent (the book build skips them too, through their
``skip-execution`` tag). `make notebooks` loads this file with ``-p tests.conftest``, since it collects notebooks/
rather than tests/. Each test starts from seed 0. After an nbval run, the summary prints each notebook's execution time.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

GPU_TAG = "gpu"


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, whatever ran before it: a test that draws
    unseeded inputs gives the same inputs in every run and in every order."""
    import random

    import numpy as np
    import torch

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def short_time_limit(monkeypatch):
    """Exercise checks stop a reader's function after 0.5 s instead of 5 s, so that the
    tests of hanging solutions stay fast."""
    import llmviz.exercises._check as harness

    monkeypatch.setattr(harness, "TIME_LIMIT", 0.5)


def _cell_tags(item: pytest.Item) -> list[str]:
    cell = getattr(item, "cell", None)  # nbval's IPyNbCell keeps the nbformat cell
    return [] if cell is None else list(cell.get("metadata", {}).get("tags", []))


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    gpu_items = [item for item in items if GPU_TAG in _cell_tags(item)]
    if not gpu_items:
        return
    import torch  # only once a gpu-tagged cell was collected

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(
        reason="cell tagged 'gpu' and torch.cuda.is_available() is False"
    )
    for item in gpu_items:
        item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so that fixtures can tell a failed test (test_site's screenshots)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_terminal_summary(
    terminalreporter, exitstatus: int, config: pytest.Config
) -> None:
    seconds: dict[str, float] = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for report in reports:
            path = (
                getattr(report, "fspath", None)
                or getattr(report, "nodeid", "").split("::")[0]
            )
            if str(path).endswith(".ipynb") and getattr(report, "when", None) == "call":
                seconds[Path(str(path)).name] += report.duration
    if seconds:
        terminalreporter.section("notebook execution time (sum of cells)")
        for name, total in sorted(seconds.items()):
            terminalreporter.write_line(f"{name}: {total:.1f} s")
