"""Mixture of experts, measured side by side in one run: ratios, never absolute goals.

1. One SparseMoeBlock (hidden 256, intermediate 512, 8 experts, top-2) on 4096 tokens:
   grouped dispatch (tokens sorted by expert, one matmul per expert) against the textbook
   per-token loop (goal: >= 10x faster), outputs checked equal. The dense equivalent
   (one SwiGLU of intermediate 8 · 512, the same feed-forward weights) and, in the full
   run, Hugging Face's MixtralSparseMoeBlock with the same weights are timed for
   information.
2. FLOPs per token, from llmviz.moe.params' arithmetic (for information): the MoE
   against its dense equivalent, for the benchmark's own layer and for Mixtral-8x7B.

Random weights (seeded), float32, the minimum over interleaved repeats, with the threads
a reader's machine would use (benchmarks/threads.py: torch's default, all cores). Run it
on a quiet machine: on this 2-core box shared with other jobs, two threads made the
grouped dispatch 10x slower (917 ms against 87 ms at 4096 tokens, load average 6) and
the loop only 1.8x (1.78 s against 0.96 s). --quick (the test suite) uses 512 tokens,
one thread, and skips Hugging Face (importing transformers alone takes seconds).
Usage: python benchmarks/bench_moe.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import logging

import torch
from goals import verdict  # benchmarks/goals.py, beside this script
from threads import use_threads  # benchmarks/threads.py

from llmviz.layers.ffn import SwiGLU
from llmviz.measure import interleaved_best
from llmviz.moe.layer import SparseMoeBlock
from llmviz.moe.params import (
    MODEL_CONFIGS,
    dense_equivalent,
    ffn_parameters,
    flops_per_token,
    parameter_counts,
)

torch.set_grad_enabled(False)
SIZES = {"hidden_size": 256, "intermediate_size": 512, "num_experts": 8}
SIZES["num_experts_per_tok"] = 2


def hf_twin(block: SparseMoeBlock) -> torch.nn.Module:
    """Hugging Face's MixtralSparseMoeBlock holding the same weights."""
    from transformers import MixtralConfig  # imported here: seconds, saved in --quick
    from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock

    logging.getLogger("transformers").setLevel(logging.ERROR)  # standalone warning
    config = MixtralConfig(
        hidden_size=SIZES["hidden_size"],
        intermediate_size=SIZES["intermediate_size"],
        num_local_experts=SIZES["num_experts"],
        num_experts_per_tok=SIZES["num_experts_per_tok"],
    )
    hf = MixtralSparseMoeBlock(config).eval()
    hf.load_state_dict(block.state_dict())
    return hf


def bench_dispatch(tokens: int, repeats: int, quick: bool) -> None:
    torch.manual_seed(0)
    block = SparseMoeBlock(**SIZES).eval()
    E, inner = SIZES["num_experts"], SIZES["intermediate_size"]
    dense = SwiGLU(SIZES["hidden_size"], E * inner).eval()
    x = torch.randn(1, tokens, SIZES["hidden_size"])
    print(
        f"== 1. SparseMoeBlock {SIZES}, {tokens} tokens, float32, "
        f"{torch.get_num_threads()} thread(s)"
    )
    fns = {
        "grouped": lambda: block(x, dispatch="grouped")[0],
        "loop": lambda: block(x, dispatch="loop")[0],
        f"dense SwiGLU ({E * inner})": lambda: dense(x),
    }
    if not quick:  # importing transformers alone takes seconds
        hf = hf_twin(block)
        fns["HF MixtralSparseMoeBlock"] = lambda: hf(x)
    for name, fn in fns.items():
        if name != "loop":
            fn()  # warm up (the loop is long enough to warm itself)
    times, results = interleaved_best(fns, repeats)
    for name, seconds in times.items():
        print(
            f"{name:<26} {1e3 * seconds:9.2f} ms  {1e6 * seconds / tokens:8.2f} µs/token"
        )
    for name in [n for n in ("loop", "HF MixtralSparseMoeBlock") if n in fns]:
        error = (results[name] - results["grouped"]).abs().max().item()
        print(
            f"grouped equals {name}: max error {error:.1e} ({'yes' if error < 1e-5 else 'NO'})"
        )
    speedup = times["loop"] / times["grouped"]
    judged = verdict("MoE grouped vs loop, speed-up", speedup, 10.0, judged=not quick)
    print(f"grouped vs loop: {speedup:.1f}x faster {judged}")
    ratio = times[f"dense SwiGLU ({E * inner})"] / times["grouped"]
    print(f"grouped vs the dense equivalent: {ratio:.2f}x faster (for information)\n")


def layer_flops(hidden: int, inner: int, experts: int, k: int) -> tuple[int, int]:
    """FLOPs per token of the MoE layer (router + k experts) and of its dense twin."""
    total, active = ffn_parameters(hidden, inner, experts, k)
    return 2 * (active + hidden * experts), 2 * total


def bench_flops() -> None:
    print("== 2. FLOPs per token (2 per weight multiplied), MoE vs dense equivalent")
    moe, dense = layer_flops(*SIZES.values())
    print(
        f"this benchmark's layer: MoE {moe / 1e6:.3f} MFLOPs (router included), "
        f"dense {dense / 1e6:.3f} MFLOPs: {dense / moe:.2f}x"
    )
    mixtral = MODEL_CONFIGS["Mixtral-8x7B"]
    counts, twin = parameter_counts(mixtral), dense_equivalent(mixtral)
    moe_flops, dense_flops = flops_per_token(mixtral), flops_per_token(twin)
    print(
        f"Mixtral-8x7B: {counts['total'] / 1e9:.1f}B parameters, "
        f"{counts['active'] / 1e9:.1f}B active; {moe_flops / 1e9:.1f} GFLOPs/token vs "
        f"{dense_flops / 1e9:.1f} for the dense {parameter_counts(twin)['total'] / 1e9:.1f}B"
        f" equivalent (intermediate {twin['intermediate_size']}): "
        f"{dense_flops / moe_flops:.2f}x"
    )
    at_4k = flops_per_token(mixtral, context_length=4096)
    print(
        f"Mixtral-8x7B with attention over 4096 tokens of context: {at_4k / 1e9:.1f} GFLOPs/token"
    )
    ffn_total, ffn_active = ffn_parameters(4096, 14336, 8, 2)
    print(
        f"the feed-forward part alone: {ffn_total / ffn_active:g}x = E/k; attention, "
        "router and head, which both models run in full, bring the whole model's ratio down"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="512 tokens, 1 thread (tests)"
    )
    parser.add_argument("--threads", type=int, help="torch threads (threads.py)")
    args = parser.parse_args()
    use_threads(args.threads, args.quick)
    if args.quick:
        bench_dispatch(512, repeats=2, quick=True)
    else:
        bench_dispatch(4096, repeats=5, quick=False)
    bench_flops()


if __name__ == "__main__":
    main()
