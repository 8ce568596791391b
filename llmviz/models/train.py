"""Train TinyGPT on the book's offline corpora: ``python -m llmviz.models.train``.

The corpus is Python's documentation, some of its standard library and our Chinese
text (``llmviz.data``), each split 90/10 into training and validation text. Every
training sequence starts with ``<|endoftext|>`` followed by a random window of the
token stream. Everything is seeded and the thread count is fixed, so a rerun with the
same arguments on the same machine gives the same weights; both go in the log (the
shipped weights predate a fix to ``batches``, which now draws other offsets).
``--output-gate`` trains the gated twin used for the attention-sink experiment, and
``--position-embedding learned`` a model with a table of absolute positions (chapter 6),
and ``--num-experts`` a mixture of experts, with Mixtral's load-balancing loss weighted
by ``--router-aux-loss-coef`` (chapter 7).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from llmviz import data
from llmviz.models import pretrained
from llmviz.models.config import TinyGPTConfig
from llmviz.models.tinygpt import TinyGPT
from llmviz.moe.losses import load_balancing_loss
from llmviz.moe.routing import expert_counts, route
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_train import train_bpe

CODE_BYTES = 1_000_000


def corpus_texts() -> tuple[str, str]:
    """Training and validation text, each corpus split 90/10."""
    corpora = [data.python_docs(), data.stdlib_code(CODE_BYTES), data.chinese()]
    parts = [corpus.split(0.9) for corpus in corpora]
    return "".join(train for train, _ in parts), "".join(val for _, val in parts)


def train_tokenizer(text: str, vocab_size: int) -> BPE:
    """Byte-level BPE on the training text, with ``<|endoftext|>`` as token 0.

    ``train_bpe`` cuts the text at newlines only, as HF reads a file. The shipped
    tokenizer was trained on ``text.splitlines(keepends=True)``, the same lines on
    this corpus (tests/test_bpe.py checks it)."""
    return train_bpe(text, vocab_size, special_tokens=[pretrained.BOS_TOKEN])


def batches(
    ids: torch.Tensor, seq_len: int, batch_size: int, bos_id: int, generator
) -> torch.Tensor:
    """(batch, seq_len + 1) rows: ``bos_id`` then seq_len tokens from random offsets,
    each of the len(ids) - seq_len + 1 windows as likely as any other.

    The shipped weights were trained before the last window was drawable (the bound
    was len(ids) - seq_len), so this code draws other offsets than their run did: a
    rerun gives close but not identical weights and logs.
    """
    if seq_len > len(ids):
        raise ValueError(
            f"seq_len must be at most the {len(ids)} tokens of ids, got {seq_len}"
        )
    starts = torch.randint(len(ids) - seq_len + 1, (batch_size,), generator=generator)
    windows = torch.stack([ids[s : s + seq_len] for s in starts.tolist()])
    bos = torch.full((batch_size, 1), bos_id, dtype=torch.long)
    return torch.cat([bos, windows], dim=1)


def loss_on(model: TinyGPT, rows: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over the rows (B, T + 1)."""
    logits = model(rows[:, :-1])  # (B, T, vocab)
    return F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())


def load_balancing(model: TinyGPT) -> torch.Tensor:
    """Mixtral's auxiliary loss over every layer's routing of the last batch."""
    logits = [layer.router_logits for layer in model.layers]
    config = model.config
    return load_balancing_loss(logits, config.num_experts, config.num_experts_per_tok)


def expert_load(model: TinyGPT) -> list[list[float]]:
    """Per layer, the share of the last batch's expert choices that went to each."""
    loads = []
    for layer in model.layers:
        _, experts = route(layer.router_logits.detach(), layer.mlp.top_k)
        counts = expert_counts(experts, model.config.num_experts).float()
        loads.append((counts / counts.sum()).tolist())
    return loads


def windows_after_bos(ids: torch.Tensor, seq_len: int, bos_id: int) -> torch.Tensor:
    """Consecutive windows of ``seq_len`` ids, each after BOS: (count, 1 + seq_len).

    >>> windows_after_bos(torch.arange(1, 8), 3, 0).tolist()
    [[0, 1, 2, 3], [0, 4, 5, 6]]
    """
    count = (len(ids) - 1) // seq_len
    windows = ids[: count * seq_len].view(count, seq_len)
    bos = torch.full((count, 1), bos_id, dtype=torch.long)
    return torch.cat([bos, windows], dim=1)


@torch.no_grad()
def evaluate(model: TinyGPT, ids: torch.Tensor, seq_len: int, bos_id: int) -> float:
    """Validation loss over consecutive windows of ``ids``, each after BOS."""
    model.eval()
    loss = loss_on(model, windows_after_bos(ids, seq_len, bos_id)).item()
    model.train()
    return loss


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def train(args: argparse.Namespace) -> dict:
    """Train one model as ``args`` say; return its log (also written beside it)."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)  # float sums depend on it: part of the recipe
    generator = torch.Generator().manual_seed(args.seed)
    train_text, val_text = corpus_texts()
    tokenizer_path = Path(args.out) / "tokenizer.json"
    if args.retrain_tokenizer or not tokenizer_path.exists():
        tokenizer = train_tokenizer(train_text, args.vocab_size)
        pretrained.save_tokenizer(tokenizer, tokenizer_path)
    tokenizer = pretrained.load_tokenizer(tokenizer_path)
    bos_id = tokenizer.ids[pretrained.BOS_TOKEN]
    train_ids = torch.tensor(tokenizer.encode(train_text))
    val_ids = torch.tensor(tokenizer.encode(val_text))
    config = TinyGPTConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=args.hidden_size,
        num_hidden_layers=args.num_hidden_layers,
        num_attention_heads=args.num_attention_heads,
        num_key_value_heads=args.num_key_value_heads,
        intermediate_size=args.intermediate_size,
        max_position_embeddings=args.max_position_embeddings or args.seq_len,
        output_gate=args.output_gate,
        position_embedding=args.position_embedding,
        num_experts=args.num_experts,
        num_experts_per_tok=args.num_experts_per_tok,
        tie_word_embeddings=not args.untie_word_embeddings,
    )
    model = TinyGPT(config).train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95)
    )
    log = {"args": vars(args), "config": config.to_dict(), "steps": []}
    log["torch"] = torch.__version__
    log["tokens"] = {"train": len(train_ids), "validation": len(val_ids)}
    start = time.perf_counter()
    progress = tqdm(range(args.steps), desc=args.name)
    for step in progress:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr, args.warmup)
        rows = batches(train_ids, args.seq_len, args.batch_size, bos_id, generator)
        loss = loss_on(model, rows)
        if config.num_experts:
            auxiliary = load_balancing(model)
            loss = loss + args.router_aux_loss_coef * auxiliary
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        progress.set_postfix(loss=f"{loss.item():.3f}")
        if step % args.log_every == 0 or step == args.steps - 1:
            entry = {"step": step, "train_loss": loss.item()}
            entry["seconds"] = time.perf_counter() - start
            if config.num_experts:  # before evaluate() routes other tokens
                entry["load_balancing_loss"] = auxiliary.item()
                entry["expert_load"] = expert_load(model)
            entry["validation_loss"] = evaluate(model, val_ids, args.seq_len, bos_id)
            log["steps"].append(entry)
    path = Path(args.out) / f"{args.name}.pt"
    pretrained.save_model(model, path)
    saved = pretrained.load_model(path)  # the float16 weights as they ship
    log["validation_loss_float16"] = evaluate(saved, val_ids, args.seq_len, bos_id)
    (Path(args.out) / f"{args.name}.log.json").write_text(json.dumps(log, indent=1))
    return log


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="tinygpt")
    parser.add_argument("--output-gate", action="store_true")
    parser.add_argument(
        "--untie-word-embeddings", action="store_true", help="a separate lm_head"
    )
    parser.add_argument(
        "--position-embedding", default="rope", choices=["rope", "learned"]
    )
    parser.add_argument("--num-experts", type=int, default=0, help="0: dense")
    parser.add_argument("--num-experts-per-tok", type=int, default=2)
    parser.add_argument("--router-aux-loss-coef", type=float, default=0.0)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--num-hidden-layers", type=int, default=4)
    parser.add_argument("--num-attention-heads", type=int, default=4)
    parser.add_argument("--num-key-value-heads", type=int, default=2)
    parser.add_argument("--intermediate-size", type=int, default=384)
    parser.add_argument(
        "--max-position-embeddings", type=int, help="default: --seq-len"
    )
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--vocab-size", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--out", default=str(pretrained.WEIGHTS_DIR))
    parser.add_argument("--retrain-tokenizer", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    train(parse_args())
