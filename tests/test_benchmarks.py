"""Every benchmark still runs (quickly). Its timings are printed, never asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted(
    (Path(__file__).resolve().parent.parent / "benchmarks").glob("bench_*.py")
)


def test_there_are_benchmarks():
    assert BENCHMARKS


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_runs(script):
    run = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "goal" in run.stdout


def test_goals_are_judged_and_summed(tmp_path, monkeypatch):
    """benchmarks/goals.py records each judged goal; summary.py counts them."""
    monkeypatch.syspath_prepend(str(BENCHMARKS[0].parent))
    import goals
    import summary

    record = tmp_path / "summary.jsonl"
    monkeypatch.setenv(goals.SUMMARY, str(record))
    assert goals.verdict("speed-up", 12.0, 10) == "(goal >= 10x: met)"
    assert goals.verdict("ratio", 1.3, 1.2, faster=False) == "(goal <= 1.2x: NOT met)"
    assert "full run" in goals.verdict("quick", 1.0, 10, judged=False)  # not counted
    with pytest.raises(TypeError, match="value must be a real number"):
        goals.verdict("bad", "fast", 10)
    text = summary.summarise(record.read_text().splitlines())
    unmet, total = text.splitlines()
    assert unmet.startswith("NOT met: ") and unmet.endswith(
        "ratio = 1.30x (goal <= 1.2x)"
    )
    assert total == "goals met: 1 / 2"


def test_unmeasured_goals_are_counted_apart(tmp_path, monkeypatch):
    """A goal no run could measure is named in the summary, neither met nor missed."""
    monkeypatch.syspath_prepend(str(BENCHMARKS[0].parent))
    import doctest

    import goals
    import summary

    for module in (goals, summary):  # their examples: make unit does not collect them
        assert doctest.testmod(module).failed == 0
    record = tmp_path / "summary.jsonl"
    monkeypatch.setenv(goals.SUMMARY, str(record))
    goals.verdict("speed-up", 12.0, 10)
    text = goals.unmeasured("page bytes", 4, "no built site", faster=False, unit=" MB")
    assert text == "(goal <= 4 MB: unmeasured, no built site)"
    with pytest.raises(ValueError, match="why must be a non-empty str"):
        goals.unmeasured("x", 1, "")
    lines = summary.summarise(record.read_text().splitlines()).splitlines()
    assert len(lines) == 2 and lines[0].startswith("unmeasured: ")
    assert lines[0].endswith(": page bytes (goal <= 4 MB): no built site")
    assert lines[1] == "goals met: 1 / 1 (1 more unmeasured)"


def test_threads_are_the_readers_unless_quick(monkeypatch):
    """benchmarks/threads.py: --quick runs on one thread, --threads N on N, and the full
    run leaves torch's default alone."""
    monkeypatch.syspath_prepend(str(BENCHMARKS[0].parent))
    import torch
    from threads import use_threads

    before = torch.get_num_threads()
    try:
        assert use_threads(None, quick=True) == "1 thread"
        torch.set_num_threads(before)
        assert use_threads(None, quick=False) == f"{before} thread" + "s" * (before > 1)
        assert torch.get_num_threads() == before
        assert use_threads(2, quick=True) == "2 threads"
        for bad in (0, -1, True):
            with pytest.raises(ValueError, match="threads must be a positive int"):
                use_threads(bad, quick=False)
    finally:
        torch.set_num_threads(before)
