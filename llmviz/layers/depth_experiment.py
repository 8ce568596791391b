"""Deep, narrow byte-level language models trained with the norm in each place:
``python -m llmviz.layers.depth_experiment`` writes the shipped log.

Each model is an embedding, ``num_layers`` layers of causal attention then a SwiGLU
FFN, each in a ``ResidualBlock`` with the variant's placement, and a linear head
(Pre- and Sandwich-Norm end with a final LayerNorm, as GPT-2 does). DeepNorm takes
α and β from ``deepnorm_constants`` [wang2022deepnet]. Every run is seeded and runs
on one thread, so a rerun repeats the log. Each logged step records, per layer,
the gradient norm of its parameters and the relative change ‖x_out − x_in‖ / ‖x_in‖
it makes to the hidden state (a layer that barely changes the state adds little
depth). The text is bytes of Python's documentation and our Chinese corpus.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llmviz import data
from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import check_choice
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.layers.deepnorm import deepnorm_constants, deepnorm_init_
from llmviz.layers.ffn import SwiGLU
from llmviz.layers.placement import PLACEMENTS, ResidualBlock

VARIANTS = {  # name: (placement, warm-up share of the steps, learning-rate factor)
    "post": ("post", 0.0, 1.0),
    "post-warmup": ("post", 0.3, 1.0),
    "pre": ("pre", 0.0, 1.0),
    "sandwich": ("sandwich", 0.0, 1.0),
    "deepnorm": ("deepnorm", 0.0, 1.0),
    "post-warmup-lr/3": ("post", 0.3, 1 / 3),  # where Post-Norm trains: does it
    "pre-lr/3": ("pre", 0.0, 1 / 3),  # end better than Pre-Norm?
}
SETTINGS = dict(num_layers=16, hidden_size=32, steps=300, lr=1e-2, log_every=10)
LOG = Path(__file__).parents[1] / "models" / "weights" / "depth-placement.log.json"
SEQ_LEN, BATCH = 64, 16


class _CausalAttention(nn.Module):
    """Chapter 3's attention as a (B, T, d) → (B, T, d) sublayer, causal."""

    def __init__(self, hidden_size: int, heads: int) -> None:
        super().__init__()
        self.attn = GroupedQueryAttention(hidden_size, heads)

    def forward(self, x: Tensor) -> Tensor:
        return self.attn(x, is_causal=True)


def _layer(placement: str, d: int, alpha: float) -> nn.Sequential:
    """Attention then a SwiGLU FFN, each in its residual block."""
    attention = ResidualBlock(_CausalAttention(d, 4), d, placement, alpha)
    return nn.Sequential(
        attention, ResidualBlock(SwiGLU(d, 2 * d), d, placement, alpha)
    )


class DepthModel(nn.Module):
    """Bytes (B, T) → next-byte logits (B, T, 256) and each layer's hidden state."""

    def __init__(self, placement: str, num_layers: int, hidden_size: int) -> None:
        super().__init__()
        check_choice("placement", placement, PLACEMENTS)
        check_int("num_layers", num_layers, minimum=1, maximum=256)
        check_int("hidden_size", hidden_size, minimum=4, maximum=1024)
        if hidden_size % 4:
            message = (
                f"hidden_size must be a multiple of the 4 heads, got {hidden_size}"
            )
            raise ValueError(message)
        alpha, beta = deepnorm_constants(decoder_layers=num_layers)["decoder"]
        alpha = alpha if placement == "deepnorm" else 1.0
        self.embed = nn.Embedding(256, hidden_size)
        self.layers = nn.ModuleList(
            _layer(placement, hidden_size, alpha) for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(hidden_size)
        if placement in ("post", "deepnorm"):  # their stream is normalised already
            self.final_norm = nn.Identity()
        self.head = nn.Linear(hidden_size, 256)
        if placement == "deepnorm":
            deepnorm_init_(self.layers, beta)

    def forward(self, ids: Tensor) -> tuple[Tensor, list[Tensor]]:
        x, states = self.embed(ids), []
        for layer in self.layers:
            states.append(x)
            x = layer(x)
        states.append(x)
        return self.head(self.final_norm(x)), states


def byte_ids() -> tuple[Tensor, Tensor]:
    """Training and validation bytes, each corpus split 90/10."""
    parts = [data.python_docs(200_000).split(0.9), data.chinese().split(0.9)]
    as_ids = lambda text: torch.tensor(list(text.encode("utf-8")))  # noqa: E731
    return as_ids("".join(t for t, _ in parts)), as_ids("".join(v for _, v in parts))


def _record(model: DepthModel, states: list[Tensor]) -> tuple[list, list]:
    grads = [
        math.sqrt(sum(float(p.grad.pow(2).sum()) for p in layer.parameters()))
        for layer in model.layers
    ]
    changes = [
        float((b - a).norm() / a.norm())
        for a, b in zip(states, states[1:], strict=False)
    ]
    return grads, changes


def train_run(
    variant: str, seed: int = 0, steps: int = 300, num_layers: int = 12,
    hidden_size: int = 32, lr: float = 3e-3, log_every: int = 10,
) -> dict:  # fmt: skip
    """Train one model of ``variant`` (a key of ``VARIANTS``); returns its log: the
    loss at every step, per-layer gradient norms and state changes every
    ``log_every`` steps (step 0 is the initialisation), and the validation loss.

    >>> run = train_run("pre", steps=2, num_layers=2, hidden_size=8, log_every=1)
    >>> len(run["loss"]), len(run["grad_norms"][0])
    (2, 2)
    """
    placement, warm, factor = VARIANTS[check_choice("variant", variant, list(VARIANTS))]
    check_int("seed", seed, minimum=0, maximum=2**31 - 1)
    check_int("steps", steps, minimum=1, maximum=100_000)
    check_int("num_layers", num_layers, minimum=1, maximum=256)
    check_int("hidden_size", hidden_size, minimum=4, maximum=1024)
    if hidden_size % 4:
        message = f"hidden_size must be a multiple of the 4 heads, got {hidden_size}"
        raise ValueError(message)
    check_real("lr", lr, 0, 1, open_min=True)
    check_int("log_every", log_every, minimum=1, maximum=100_000)
    lr = lr * factor
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train_ids, val_ids = byte_ids()
    model = DepthModel(placement, num_layers, hidden_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = int(warm * steps)
    log = {"loss": [], "logged_steps": [], "grad_norms": [], "state_changes": []}
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup) if warmup else lr
        starts = torch.randint(len(train_ids) - SEQ_LEN - 1, (BATCH,), generator=gen)
        rows = torch.stack([train_ids[s : s + SEQ_LEN + 1] for s in starts.tolist()])
        logits, states = model(rows[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        log["loss"].append(float(loss.detach()))
        if step % log_every == 0 or step == steps - 1:
            grads, changes = _record(model, [s.detach() for s in states])
            log["logged_steps"].append(step)
            log["grad_norms"].append(grads)
            log["state_changes"].append(changes)
        optimizer.step()
    with torch.no_grad():
        rows = val_ids[: 64 * (SEQ_LEN + 1)].view(64, SEQ_LEN + 1)
        logits, _ = model(rows[:, :-1])
        val = F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())
    log["val_loss"] = float(val)
    return log


def load_log(path: str | Path | None = None) -> dict:
    """The shipped log (or the one at ``path``): settings, seconds and, for each
    variant and seed, ``train_run``'s log."""
    if path is not None and not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = LOG if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path must be a depth-experiment log, got {str(path)!r}")
    return json.loads(path.read_text())


def main(seeds: tuple[int, ...] = (0, 1), out: Path = LOG, only: list | None = None):
    """Every variant (or those in ``only``, kept beside the others already in
    ``out``) with every seed, on one thread; writes the log to ``out``."""
    torch.set_num_threads(1)
    log = json.loads(out.read_text()) if only and out.exists() else {"seconds": 0}
    runs, start = log.get("runs", {}), time.perf_counter()
    for variant in only or VARIANTS:
        runs[variant] = {str(s): train_run(variant, s, **SETTINGS) for s in seeds}
        print(variant, [round(r["val_loss"], 3) for r in runs[variant].values()])
    seconds = log["seconds"] + round(time.perf_counter() - start)
    log = {"settings": SETTINGS | {"seq_len": SEQ_LEN, "batch_size": BATCH,
           "threads": 1, "torch": torch.__version__},
           "seconds": seconds, "runs": {v: runs[v] for v in VARIANTS}}  # fmt: skip
    out.write_text(json.dumps(_rounded(log), separators=(",", ":")))


def _rounded(tree: object) -> object:
    """Floats to 6 significant digits (the log's size halves; reruns agree to 1e-5)."""
    if isinstance(tree, float):
        return float(f"{tree:.6g}")
    if isinstance(tree, dict):
        return {k: _rounded(v) for k, v in tree.items()}
    return [_rounded(v) for v in tree] if isinstance(tree, list) else tree


if __name__ == "__main__":  # a variant's name reruns it alone: … post-warmup
    main(only=sys.argv[1:] or None)
