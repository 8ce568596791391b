"""How much one optimiser step changes a model's output, by depth and norm placement:
the quantity DeepNet bounds [wang2022deepnet].

    ‖y(θ₁) − y(θ₀)‖ / ‖y(θ₀)‖,   y = the stack's normalised output, per token,

after a single Adam step from the initialisation θ₀ on one seeded batch of bytes.
DeepNet shows that Post-Norm's update grows with depth, which drives the model into a
bad region early, and chooses α and β so that it stays bounded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import check_choice
from llmviz._threads import one_thread
from llmviz.layers.depth_experiment import DepthModel, byte_ids
from llmviz.layers.placement import PLACEMENTS


def _output(model: DepthModel, ids: torch.Tensor) -> torch.Tensor:
    _, states = model(ids)
    return model.final_norm(states[-1])  # (B, T, d): what the head reads


def update_size(
    placement: str, num_layers: int, hidden_size: int = 32, lr: float = 1e-3,
    seed: int = 0,
) -> float:  # fmt: skip
    """The relative change of the model's output after one Adam step at ``lr``, on
    one thread (the caller's thread count is restored).

    >>> round(update_size("pre", 1, 8, lr=1e-12), 6)
    0.0
    """
    check_choice("placement", placement, PLACEMENTS)
    check_int("num_layers", num_layers, minimum=1, maximum=128)
    check_int("hidden_size", hidden_size, minimum=4, maximum=256)
    check_real("lr", lr, 0, 1, open_min=True)
    check_int("seed", seed, minimum=0, maximum=2**31 - 1)
    with one_thread():
        return _update(placement, num_layers, hidden_size, lr, seed)


def _update(placement: str, num_layers: int, hidden_size: int, lr: float, seed: int):  # noqa: ANN202
    torch.manual_seed(seed)
    model = DepthModel(placement, num_layers, hidden_size)  # checks hidden_size % 4
    gen = torch.Generator().manual_seed(seed)
    train_ids, _ = byte_ids()
    starts = torch.randint(len(train_ids) - 33, (8,), generator=gen)
    rows = torch.stack([train_ids[s : s + 33] for s in starts.tolist()])
    with torch.no_grad():
        before = _output(model, rows[:, :-1])
    logits, _ = model(rows[:, :-1])
    F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten()).backward()
    torch.optim.Adam(model.parameters(), lr=lr).step()
    with torch.no_grad():
        after = _output(model, rows[:, :-1])
    return float(((after - before).norm(dim=-1) / before.norm(dim=-1)).mean())
