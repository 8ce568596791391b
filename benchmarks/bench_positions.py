"""RoPE speed, measured side by side in one run: ratios, never absolute goals.

1. llmviz's apply_rotary_pos_emb against Hugging Face's Llama one, on the same tensors
   (goal: <= 1.2x).
2. llmviz's rope_parameters against HF's ROPE_INIT_FUNCTIONS for every rope_type, with
   the largest difference in inv_freq (informational: both run once per model load).

Calls are interleaved (ours, theirs, ours, ...) so that both see the same machine noise, and
each figure is the minimum over repeats (llmviz.measure.interleaved_best).
Usage: python benchmarks/bench_positions.py [--quick]
"""

from __future__ import annotations

import argparse
import random

import torch
from goals import verdict  # benchmarks/goals.py, beside this script
from transformers import LlamaConfig, logging
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama import modeling_llama

from llmviz.measure import interleaved_best
from llmviz.positions.rope import apply_rotary_pos_emb, rope_cos_sin
from llmviz.positions.rope_scaling import ROPE_TYPES, rope_parameters

torch.set_grad_enabled(False)
logging.set_verbosity_error()  # HF warns about the configs' unusual but valid keys


def repeated(fn, calls: int):
    """One timed sample = ``calls`` calls, so that tiny calls are not lost in timer noise."""
    return lambda: [fn() for _ in range(calls)]


def side_by_side(fns: dict, calls: int, quick: bool) -> tuple[dict, dict]:
    """Seconds per call of each function after one warm-up call, and its last result."""
    for fn in fns.values():
        fn()  # warm up: the first calls pay for allocations and thread start-up
    samples = {name: repeated(fn, calls) for name, fn in fns.items()}
    times, results = interleaved_best(samples, repeats=3 if quick else 9)
    return {name: t / calls for name, t in times.items()}, {
        name: result[-1] for name, result in results.items()
    }


def apply_contenders(q, k, cos, sin) -> dict:
    return {
        "HF": lambda: modeling_llama.apply_rotary_pos_emb(q, k, cos, sin),
        "llmviz": lambda: apply_rotary_pos_emb(q, k, cos, sin),
    }


def bench_apply(quick: bool) -> None:
    print(f"== apply_rotary_pos_emb, float32, {torch.get_num_threads()} threads")
    print(f"{'shape (B, H, T, D)':<24} {'HF':>10} {'llmviz':>10} {'ratio':>7}")
    sizes = (
        [(1, 8, 256, 64), (1, 32, 512, 128)]
        if quick
        else [(1, 8, 512, 64), (1, 32, 4096, 128)]
    )
    worst = 0.0  # llmviz / HF, the highest over the shapes
    for batch, heads, seq, dim in sizes:
        q, k = torch.randn(2, batch, heads, seq, dim).unbind(0)  # each (B, H, T, D)
        cos, sin = rope_cos_sin(torch.arange(seq).expand(batch, seq), dim)  # (B, T, D)
        calls = max(1, 2**22 // q.numel())
        times, results = side_by_side(apply_contenders(q, k, cos, sin), calls, quick)
        for ours, theirs in zip(results["llmviz"], results["HF"], strict=True):
            assert torch.equal(ours, theirs)
        worst = max(worst, times["llmviz"] / times["HF"])
        label = f"({batch}, {heads}, {seq}, {dim})"
        print(
            f"{label:<24} {1e3 * times['HF']:>8.3f}ms {1e3 * times['llmviz']:>8.3f}ms "
            f"{times['llmviz'] / times['HF']:>7.3f}"
        )
    judged = verdict("apply_rotary_pos_emb / HF, worst ratio", worst, 1.2, False)
    print(f"worst ratio {worst:.3f} {judged} (same outputs, checked bit for bit)")


def _settings(rope_type: str, dim: int) -> dict:
    rng = random.Random(0)
    settings = {
        "default": {},
        "linear": dict(factor=4.0),
        "dynamic": dict(factor=4.0),
        "yarn": dict(factor=4.0, original_max_position_embeddings=1024),
        "llama3": dict(
            factor=8.0,
            original_max_position_embeddings=1024,
            low_freq_factor=1.0,
            high_freq_factor=4.0,
        ),
        "longrope": dict(
            original_max_position_embeddings=1024,
            long_factor=[1 + 15 * rng.random() for _ in range(dim // 2)],
            short_factor=[1 + rng.random() for _ in range(dim // 2)],
        ),
    }
    return settings[rope_type]


def parameter_contenders(
    rope_type: str, dim: int, max_positions: int, seq_len: int
) -> dict:
    params = _settings(rope_type, dim)
    config = LlamaConfig(
        hidden_size=4 * dim,
        num_attention_heads=4,
        max_position_embeddings=max_positions,
        rope_parameters=dict(rope_type=rope_type, rope_theta=10000.0, **params),
    )

    def hf():
        if rope_type == "default":
            return modeling_llama.LlamaRotaryEmbedding.compute_default_rope_parameters(
                config
            )
        return ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", seq_len=seq_len)

    def ours():
        return rope_parameters(
            dim,
            10000.0,
            rope_type,
            max_position_embeddings=max_positions,
            seq_len=seq_len,
            **params,
        )

    return {"HF": hf, "llmviz": ours}


def bench_parameters(quick: bool) -> None:
    dim, max_positions, seq_len = 128, 4096, 8192
    print(
        f"\n== rope_parameters vs HF's init functions, head_dim={dim}, seq_len={seq_len}"
    )
    print(
        f"{'rope_type':<10} {'HF':>10} {'llmviz':>10} {'ratio':>7} {'max |Δinv_freq|':>16}"
    )
    for rope_type in ROPE_TYPES:
        contenders = parameter_contenders(rope_type, dim, max_positions, seq_len)
        times, results = side_by_side(contenders, 10 if quick else 50, quick)
        difference = (results["llmviz"][0] - results["HF"][0]).abs().max().item()
        hf, ours = times["HF"], times["llmviz"]
        print(
            f"{rope_type:<10} {1e6 * hf:>8.1f}µs {1e6 * ours:>8.1f}µs {ours / hf:>7.2f} {difference:>16.1e}"
        )
    print("(informational, no goal: computed once per model load or length change)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repeats (for the tests)",
    )
    quick = parser.parse_args().quick
    bench_apply(quick)
    bench_parameters(quick)
