"""From GQA to MQA by mean-pooling KV heads, then a short uptraining [ainslie2023gqa]:
``python -m llmviz.models.uptrain``.

The GQA paper turns a multi-head checkpoint into one with fewer KV heads by averaging
the key and value projections of each group of heads, then trains a little more
("uptraining") so that the model adapts. Here TinyGPT's 2 KV heads become 1 (MQA):

    W_K' = (W_K^(0) + W_K^(1)) / 2,    W_V' = (W_V^(0) + W_V^(1)) / 2.

The script uptrains the pooled model for ``--steps`` steps, and, as a control, the
unchanged GQA model for the same steps with the same batches, so that what the
uptraining recovers is not mistaken for the extra training itself. It writes only a
log (``tinygpt-mqa-uptrain.log.json``), no weights.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from llmviz._checks import check_int
from llmviz.models import pretrained, train
from llmviz.models.tinygpt import TinyGPT, TinyGPTConfig


def mean_pool_kv(model: TinyGPT, num_key_value_heads: int) -> TinyGPT:
    """A copy of ``model`` with ``num_key_value_heads`` KV heads, each the mean of a
    group of consecutive old ones (the query heads of a group read it).

    >>> model, _ = pretrained.load_tinygpt()
    >>> mean_pool_kv(model, 1).layers[0].self_attn.k_proj.weight.shape
    torch.Size([32, 128])
    """
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    old = model.config.num_key_value_heads
    new = check_int("num_key_value_heads", num_key_value_heads, minimum=1, maximum=old)
    if old % new:
        raise ValueError(
            f"num_key_value_heads must divide the model's {old} KV heads, got {new}"
        )
    config = TinyGPTConfig(**{**model.config.to_dict(), "num_key_value_heads": new})
    weights = dict(model.state_dict())
    head_dim = model.head_dim
    for name, tensor in model.state_dict().items():
        if name.endswith(("k_proj.weight", "v_proj.weight")):  # (old·D, hidden)
            heads = tensor.view(new, old // new, head_dim, -1)  # (new, group, D, hid)
            weights[name] = heads.mean(1).flatten(0, 1)  # (new·D, hidden)
    pooled = TinyGPT(config)
    pooled.load_state_dict(weights)
    return pooled.eval()


def _run(model, args, data, name) -> list[dict]:
    """Uptrain ``model`` on the seeded batches; log validation losses."""
    train_ids, val_ids, bos_id = data
    generator = torch.Generator().manual_seed(args.seed)  # the same batches each run
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95)
    )
    log, start = [], time.perf_counter()
    for step in range(args.steps + 1):
        if step % args.log_every == 0 or step == args.steps:
            loss = train.evaluate(model, val_ids, args.seq_len, bos_id)
            log.append({"step": step, "validation_loss": loss,
                        "seconds": time.perf_counter() - start})  # fmt: skip
            print(f"{name} step {step}: validation {loss:.4f}", flush=True)
        if step == args.steps:
            break
        for group in optimizer.param_groups:
            group["lr"] = train.learning_rate(step, args.steps, args.lr, args.warmup)
        rows = train.batches(
            train_ids, args.seq_len, args.batch_size, bos_id, generator
        )
        loss = train.loss_on(model.train(), rows)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return log


def uptrain(args: argparse.Namespace) -> dict:
    """Pool TinyGPT's KV heads, uptrain it and the control; return the log."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base, tokenizer = pretrained.load_tinygpt(args.model)
    bos_id = tokenizer.ids[pretrained.BOS_TOKEN]
    train_text, val_text = train.corpus_texts()
    data = (torch.tensor(tokenizer.encode(train_text)),
            torch.tensor(tokenizer.encode(val_text)), bos_id)  # fmt: skip
    pooled = mean_pool_kv(base, args.num_key_value_heads)
    log = {"args": vars(args), "torch": torch.__version__}
    log["pooled"] = _run(pooled, args, data, f"{args.num_key_value_heads} KV heads")
    log["control"] = _run(base, args, data, "unchanged")
    path = Path(args.out) / f"{args.name}.log.json"
    path.write_text(json.dumps(log, indent=1))
    return log


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="tinygpt-mqa-uptrain")
    parser.add_argument("--model", default="tinygpt")
    parser.add_argument("--num-key-value-heads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--out", default=str(pretrained.WEIGHTS_DIR))
    return parser.parse_args(argv)


if __name__ == "__main__":
    uptrain(parse_args())
