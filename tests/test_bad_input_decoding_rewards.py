"""Bad input for chapter 8's outcome and process reward models
(llmviz.decoding.reward_models, exported from llmviz.decoding) and for the helper of its
two-row figures, llmviz.viz.rows_apart: each bad value of each parameter is refused
with a ValueError or TypeError naming it, and a valid call leaves its inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import torch
from plotly.subplots import make_subplots

from llmviz.decoding import (
    column_addition,
    combine_steps,
    outcome_reward,
    process_reward,
    reward_accuracy_against_n,
    solution_kinds,
)
from llmviz.decoding.reward_models import MAX_DIGITS, MAX_SOLUTIONS
from llmviz.viz import rows_apart
from tests.bad_input import (
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

GENERATOR = VALUES(("None", None), ("int", 0), ("numpy-like", "rng"))
OPERAND = BOTH(
    TENSOR((1,), floating=False, mismatch=True),
    VALUES(("negative", torch.tensor([-1, 3])), ("too many digits", torch.tensor([3, 10**4])),
           ("bool", torch.tensor([True, False]))),
)  # fmt: skip
LABELS = BOTH(
    TENSOR(floating=False),
    VALUES(("int64", torch.tensor([[1, 0, 1]])), ("float", torch.tensor([[1.0, 0.0, 1.0]]))),
)  # fmt: skip
NOISE = REAL(0, 100)


def steps() -> torch.Tensor:
    return torch.tensor([[True, True], [False, False], [True, False]])


CASES = [
    Case("llmviz.decoding.combine_steps", combine_steps,
         lambda: {"step_scores": torch.tensor([[0.9, 0.2, 0.8]]), "rule": "min"},
         {"step_scores": BOTH(TENSOR(), VALUES(("above 1", torch.tensor([0.5, 1.5])),
                                              ("negative", torch.tensor([-0.1, 0.5])),
                                              ("scalar", torch.tensor(0.5)))),
          "rule": CHOICE("min", "product", "last", "mean")}),
    Case("llmviz.decoding.column_addition", column_addition,
         lambda: {"a": torch.tensor([17, 5]), "b": torch.tensor([25, 99]), "n": 3,
                  "step_error": 0.2, "generator": torch.Generator().manual_seed(0),
                  "digits": 3},
         {"a": OPERAND, "b": OPERAND, "n": INT(1, MAX_SOLUTIONS // 2),
          "step_error": REAL(0, 1), "generator": GENERATOR, "digits": INT(1, MAX_DIGITS)}),
    Case("llmviz.decoding.outcome_reward", outcome_reward,
         lambda: {"answer_correct": torch.tensor([[True, False, True]]), "noise": 1.0,
                  "generator": torch.Generator().manual_seed(0)},
         {"answer_correct": LABELS, "noise": NOISE, "generator": GENERATOR}),
    Case("llmviz.decoding.process_reward", process_reward,
         lambda: {"steps_correct": torch.tensor([[True, False, True]]), "noise": 1.0,
                  "generator": torch.Generator().manual_seed(0)},
         {"steps_correct": LABELS, "noise": NOISE, "generator": GENERATOR}),
    Case("llmviz.decoding.solution_kinds", solution_kinds,
         lambda: {"steps_correct": steps(), "answer_correct": torch.tensor([True, True, False])},
         {"steps_correct": BOTH(TENSOR(floating=False),
                                VALUES(("one solution short", steps()[:2]),
                                       ("scalar", torch.tensor(True)))),
          "answer_correct": BOTH(TENSOR(floating=False, mismatch=True),
                                 VALUES(("int64", torch.tensor([1, 1, 0]))))}),
    Case("llmviz.decoding.reward_accuracy_against_n", reward_accuracy_against_n,
         lambda: {"ns": [1, 4], "digits": 3, "step_error": 0.2, "orm_noise": 1.0,
                  "prm_noise": 1.0, "trials": 20, "seed": 0},
         {"ns": VALUES(("None", None), ("empty", []), ("zero", [0]), ("str", "4"),
                       ("float", [2.5]), ("absurd", [10**12]), ("tensor", torch.tensor([4]))),
          "digits": INT(1, MAX_DIGITS), "step_error": REAL(0, 1), "orm_noise": NOISE,
          "prm_noise": NOISE, "trials": INT(1, MAX_SOLUTIONS), "seed": INT(0, 2**32 - 1)}),
    Case("llmviz.viz.rows_apart", rows_apart,
         lambda: {"fig": make_subplots(rows=2, cols=1), "gap": 0.2},
         {"fig": VALUES(("None", None), ("dict", {"data": []}), ("int", 3)),
          "gap": REAL(0, 1, open_max=True)}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
