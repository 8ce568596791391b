"""Attention speed, measured side by side in one run: ratios, never absolute goals.

1. llmviz's attention computation (``attend``, what scaled_dot_product_attention runs once its
   arguments are checked) against torch's, on the same tensors (goal: <= 1.05); the public
   function with its argument checks, whose cost per call is printed; and the
   materialised textbook path (return_weights=True) against torch's.
2. The live explorers' redraw: compute + draw + the JSON a kernel sends (goal: < 50 ms).
3. `import llmviz` against `import torch` in fresh interpreters (goal: llmviz < 1.5 s).

Calls are interleaved (ours, theirs, ours, ...) so that both see the same machine noise, and each
figure is the minimum over repeats, as ../shared/research/perf-anchors.md recommends on this box.
Usage: python benchmarks/bench_attention.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from goals import verdict  # benchmarks/goals.py, beside this script
from redraw import print_redraw_times  # benchmarks/redraw.py, beside this script

from llmviz import viz
from llmviz.attention import MASK_NAMES, composed_mask, example_weights, masks
from llmviz.attention import scaled_dot_product_attention as ours
from llmviz.attention.sdpa import attend

torch.set_grad_enabled(False)


def _timed(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def side_by_side(fns: dict, repeats: int, calls: int) -> dict[str, float]:
    """Minimum seconds per call of each function, their repeats interleaved."""
    for fn in fns.values():
        fn()  # warm up
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            best[name] = min(best[name], _timed(fn, calls))
    return best


def _contenders(q, k, v, **kwargs) -> dict:
    return {
        "torch": lambda: F.scaled_dot_product_attention(q, k, v, **kwargs),
        "attend": lambda: attend(q, k, v, **kwargs),
        "llmviz": lambda: ours(q, k, v, **kwargs),
        "textbook": lambda: ours(q, k, v, return_weights=True, **kwargs),
    }


def bench_sdpa(quick: bool) -> None:
    print(
        f"== scaled dot-product attention, B=1, H=8, D=64, float32, {torch.get_num_threads()} threads"
    )
    print(
        f"{'case':<33} {'torch':>10} {'attend':>10} {'ratio':>7} {'checks':>9} {'textbook':>10} {'ratio':>7}"
    )
    worst = 0.0  # attend / torch, the highest over the cases
    for T in [128, 1024] if quick else [128, 512, 1024, 2048]:
        q, k, v = torch.randn(3, 1, 8, T, 64).unbind(0)  # each (B, H, T, D)
        window = masks.materialize(masks.sliding_window(T // 4), T, T)
        for label, kwargs in (
            ("causal", dict(is_causal=True)),
            ("dense window mask", dict(attn_mask=window)),
        ):
            times = side_by_side(
                _contenders(q, k, v, **kwargs),
                repeats=3 if quick else 7,
                calls=max(1, 2048 // T),
            )
            worst = max(worst, times["attend"] / times["torch"])
            print(
                f"T={T:<5} {label:<26} {1e3 * times['torch']:>8.2f}ms {1e3 * times['attend']:>8.2f}ms "
                f"{times['attend'] / times['torch']:>7.3f} "
                f"{1e6 * max(times['llmviz'] - times['attend'], 0):>7.0f}µs "
                f"{1e3 * times['textbook']:>8.2f}ms "
                f"{times['textbook'] / times['torch']:>7.1f}"
            )
    judged = verdict("attend / torch, worst ratio", worst, 1.05, faster=False)
    print(
        f"worst ratio {worst:.3f} {judged}. 'checks' is what the public function's argument checks add to\n"
        "each call (shapes, dtypes, and one sum per tensor for NaN/inf), linear in the inputs' size, so\n"
        "it matters only at small T, beside attention's quadratic cost. The textbook path is the\n"
        "readable reference, allowed 8-21x"
    )


def bench_redraw(quick: bool) -> None:
    explorers = {
        "mask composition, seq_len 48": lambda: viz.mask_heatmap(
            composed_mask(
                MASK_NAMES[2], "or", "strided", seq_len=48, window=8, stride=6
            )
        ),
        "√d_k weights, head_dim 1024": lambda: viz.bars(
            example_weights(1024, num_keys=32)
        ),
    }
    print_redraw_times(explorers, quick)


def bench_import(quick: bool) -> None:
    print("\n== import time in a fresh interpreter (min of runs)")
    statements = {
        "import torch": "import torch",
        "import llmviz": "import llmviz",
        "import llmviz.attention (torch too)": "import llmviz.attention",
    }
    for name, statement in statements.items():
        runs = []
        for _ in range(2 if quick else 5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True)
            runs.append(time.perf_counter() - start)
        print(f"{name:<36} {min(runs):6.2f} s")
        if name == "import llmviz":
            judged = verdict("import llmviz", min(runs), 1.5, False, " s")
    print(f"import llmviz {judged}, and it never imports transformers")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repeats (for the tests)",
    )
    quick = parser.parse_args().quick
    bench_sdpa(quick)
    bench_redraw(quick)
    bench_import(quick)
