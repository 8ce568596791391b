"""What the depth experiment's log says (``llmviz.layers.depth_experiment``): loss
curves averaged over seeds, each variant's gradient norms per layer over training,
the ratio of the last layer's gradient to the first's, the change each layer makes
to the hidden state, and whether two variants' final losses can be told apart.
"""

from __future__ import annotations

import numpy as np

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice

DECIDED = ("lower", "higher", "cannot decide")


def _runs(log: dict, variant: str) -> list[dict]:
    if not isinstance(log, dict) or "runs" not in log:
        raise TypeError("log must be a depth-experiment log (load_log()), a dict")
    check_choice("variant", variant, list(log["runs"]))
    return list(log["runs"][variant].values())


def loss_curve(log: dict, variant: str, window: int = 10) -> dict[str, np.ndarray]:
    """The training loss of ``variant``, each seed's averaged over a sliding
    ``window`` of steps: {"step", "mean", "low", "high"} across the seeds.

    >>> log = {"runs": {"pre": {"0": {"loss": [3.0, 1.0, 2.0]}}}}
    >>> loss_curve(log, "pre", window=2)["mean"].tolist()
    [2.0, 1.5]
    """
    runs = _runs(log, variant)
    check_int("window", window, minimum=1, maximum=10_000)
    kernel = np.ones(window) / window
    curves = np.stack([np.convolve(r["loss"], kernel, "valid") for r in runs])
    step = np.arange(window - 1, window - 1 + curves.shape[1])
    return {"step": step, "mean": curves.mean(0), "low": curves.min(0),
            "high": curves.max(0)}  # fmt: skip


def gradient_grid(log: dict, variant: str, seed: int = 0) -> dict[str, np.ndarray]:
    """{"step": logged steps, "grad": (layers, steps) gradient norms} of one run."""
    runs = _runs(log, variant)
    check_int("seed", seed, minimum=0, maximum=len(runs) - 1)
    run = runs[seed]
    return {"step": np.array(run["logged_steps"]),
            "grad": np.array(run["grad_norms"]).T}  # fmt: skip


def last_to_first_gradient(log: dict, variant: str, row: int = 0) -> np.ndarray:
    """Per seed, ‖grad of the last layer‖ / ‖grad of the first‖ at logged row
    ``row`` (0: initialisation). Above 1: the gradient grows toward the output."""
    runs = _runs(log, variant)
    check_int("row", row, minimum=-len(runs[0]["grad_norms"]),
              maximum=len(runs[0]["grad_norms"]) - 1)  # fmt: skip
    return np.array([r["grad_norms"][row][-1] / r["grad_norms"][row][0] for r in runs])


def state_changes(log: dict, variant: str, row: int = -1) -> np.ndarray:
    """Per layer, ‖x_out − x_in‖ / ‖x_in‖ at logged row ``row``, averaged over seeds."""
    runs = _runs(log, variant)
    check_int("row", row, minimum=-len(runs[0]["state_changes"]),
              maximum=len(runs[0]["state_changes"]) - 1)  # fmt: skip
    return np.mean([r["state_changes"][row] for r in runs], axis=0)


def final_losses(log: dict) -> dict[str, list[float]]:
    """Each variant's validation loss after training, one per seed."""
    if not isinstance(log, dict) or not isinstance(log.get("runs"), dict):
        raise TypeError("log must be a depth-experiment log (load_log()), a dict")
    return {
        v: [r["val_loss"] for r in seeds.values()] for v, seeds in log["runs"].items()
    }


def compare_losses(a: list[float], b: list[float]) -> str:
    """ "lower" if every seed of ``a`` ends below every seed of ``b``, "higher" if
    above, else "cannot decide": the seeds' ranges overlap.

    >>> compare_losses([1.0, 1.2], [1.1, 1.3])
    'cannot decide'
    """
    for name, values in (("a", a), ("b", b)):
        if not isinstance(values, list) or not values:
            raise TypeError(
                f"{name} must be a non-empty list of losses, got {values!r}"
            )
    if max(a) < min(b):
        return DECIDED[0]
    return DECIDED[1] if min(a) > max(b) else DECIDED[2]
