"""Position interpolation's short fine-tune [chen2023pi], on TinyGPT:
``python -m llmviz.positions.pi_finetune``.

TinyGPT was trained on windows of L = 128 tokens. This script reads 2L = 256 tokens
with PI (``rope_type="linear"``, ``factor`` 2: every θ_i halved) and fine-tunes it
for ``--steps`` steps on 2L-token windows of the training text. A control run
fine-tunes the same way without any scaling, so that the log separates what PI buys
from what the extra training buys. Both are evaluated every ``--eval-every`` steps on
chapter 6's validation windows (<|endoftext|>, then 2L − 1 tokens; 16,384 tokens in
all). Everything is seeded, on one thread; only the log ships, as
``llmviz/models/weights/tinygpt-pi-finetune.log.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz._tensor_checks import check_tensor
from llmviz.models import pretrained
from llmviz.models.tinygpt import TinyGPT
from llmviz.models.train import batches, corpus_texts, learning_rate

LOG = pretrained.WEIGHTS_DIR / "tinygpt-pi-finetune.log.json"


def validation_rows(stream: Tensor, length: int, bos_id: int) -> Tensor:
    """Chapter 6's windows: rows of BOS then ``length`` − 1 tokens, 16,384 tokens.

    >>> validation_rows(torch.arange(1, 20_000), 4096, 0)[:, :3].tolist()
    [[0, 1, 2], [0, 4096, 4097], [0, 8191, 8192], [0, 12286, 12287]]
    """
    check_tensor("stream", stream, ranks=(1,), floating=False)
    length = check_int("length", length, minimum=2, maximum=16_384)
    bos_id = check_int("bos_id", bos_id, minimum=0)
    count = 16_384 // length
    if len(stream) < count * (length - 1):
        raise ValueError(
            f"stream must hold at least {count * (length - 1)} tokens for length="
            f"{length}, got {len(stream)}"
        )
    text = stream[: count * (length - 1)].view(count, length - 1)
    return torch.cat([torch.full((count, 1), bos_id), text], dim=1)


@torch.no_grad()
def mean_loss(model: TinyGPT, rows: Tensor) -> float:
    """Mean next-token loss over rows (B, T), predicting tokens 1..T−1."""
    model.eval()
    logits = model(rows[:, :-1])  # (B, T − 1, vocab)
    loss = F.cross_entropy(logits.transpose(1, 2), rows[:, 1:]).item()
    model.train()
    return loss


def scaled_twin(model: TinyGPT, factor: float | None, length: int) -> TinyGPT:
    """``model``'s weights with PI by ``factor`` (None: no scaling), trainable, for
    sequences up to ``length`` tokens: HF's rope_type "linear", θ_i/s [chen2023pi]."""
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    if factor is not None:
        factor = check_positive_number("factor", factor)
    length = check_int("length", length, minimum=1, maximum=2**20)
    rope = None if factor is None else {"rope_type": "linear", "factor": factor}
    config = replace(model.config, rope_parameters=rope, max_position_embeddings=length)
    twin = TinyGPT(config)
    twin.load_state_dict(model.state_dict())
    return twin.train()


def finetune(model: TinyGPT, data: dict, args: argparse.Namespace) -> list[dict]:
    """AdamW on (batch, 2L + 1) windows; the validation losses every few steps."""
    generator = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95)
    )
    entries, start = [], time.perf_counter()
    for step in range(args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            entry = {"step": step, "seconds": time.perf_counter() - start}
            entry |= {
                f"loss_at_{n}": mean_loss(model, r) for n, r in data["val"].items()
            }
            entries.append(entry)
        if step == args.steps:
            break
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr, args.warmup)
        rows = batches(
            data["train"], data["length"], args.batch_size, data["bos"], generator
        )
        logits = model(rows[:, :-1])  # (B, 2L, vocab)
        loss = F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        entries[-1].setdefault("train_loss", loss.item())
    return entries


def run(args: argparse.Namespace) -> dict:
    """Both fine-tunes (PI and none) from TinyGPT; return the log and write it."""
    torch.set_num_threads(1)  # float sums depend on it: part of the recipe
    base, tokenizer = pretrained.load_tinygpt("tinygpt")
    trained = base.config.max_position_embeddings
    length = args.factor * trained
    bos = tokenizer.ids[pretrained.BOS_TOKEN]
    train_text, val_text = corpus_texts()
    val_ids = torch.tensor(tokenizer.encode(val_text))
    data = {"train": torch.tensor(tokenizer.encode(train_text)), "bos": bos}
    data |= {
        "length": length,
        "val": {n: validation_rows(val_ids, n, bos) for n in (trained, length)},
    }
    log = {
        "args": vars(args),
        "torch": torch.__version__,
        "trained_length": trained,
        "runs": {},
    }
    for name, factor in (("PI", float(args.factor)), ("none", None)):
        torch.manual_seed(args.seed)
        model = scaled_twin(base, factor, length)
        log["runs"][name] = {
            "rope_parameters": model.config.rope_parameters,
            "steps": finetune(model, data, args),
        }
    Path(args.out).write_text(json.dumps(log, indent=1))
    return log


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=2, help="new length / 128")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(LOG))
    return parser.parse_args(argv)


if __name__ == "__main__":
    run(parse_args())
