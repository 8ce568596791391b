"""Long-context attention, measured side by side in one run: ratios, never absolute goals.

1. Linear attention (llmviz.long_context.chunked_linear_attention, φ = elu + 1, chunks
   of 64) against causal SDPA over n: the crossover, where linear attention first wins
   (goal: n <= 512), and the speed-up at 16K (goal: >= 5x).
2. FlashAttention's online softmax over key tiles (online_softmax_attention, tiles of
   256, non-causal: it tiles keys only, so it cannot skip causal tiles) against
   non-causal SDPA: time (goal: within 3x) and peak memory, O(n·tile), beside the
   textbook softmax(QKᵀ)V, O(n²).
3. The causal sliding window, n = 16K, W = 256, against dense causal SDPA: the speed-up
   of the chunked pure-torch sliding_window_attention (goal: >= 5x), and beside it, for
   information, the share of the ideal n/2W speed-up (a window reads W keys per query,
   causal attention n/2 on average) that each reaches, torch's compiled flex_attention
   with a block mask included (compiled once here, ~10 s, skipped under --quick). flex
   is torch's kernel, not ours, so it has no goal here: it reached 30% of the ideal on
   one thread, and 21-25% on two, whatever the block size (128, 64 or 32).

B=1, H=8, D=64, float32, no grad. Times are the minimum over interleaved repeats
(llmviz.measure.interleaved_best), with the threads a reader's machine would use
(benchmarks/threads.py). Run it on a quiet machine: on this 2-core box shared with other
jobs (load 15), two threads made every small call wait for a descheduled partner (0.6 s
for linear attention at n = 256, 23 ms alone); --quick uses one. Peak memory is measured in a fresh interpreter per
case: its maximum resident set after the call minus before it, q, k and v already made.
--quick (the test suite) uses small n.
Usage: python benchmarks/bench_long_context.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from goals import verdict  # benchmarks/goals.py, beside this script
from threads import use_threads  # benchmarks/threads.py

from llmviz.attention import masks
from llmviz.long_context import chunked_linear_attention, online_softmax_attention
from llmviz.long_context.window import sliding_window_attention
from llmviz.measure import interleaved_best

torch.set_grad_enabled(False)
H, D, CHUNK, TILE = 8, 64, 64, 256


def qkv(n: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(n)
    return torch.randn(3, 1, H, n, D, generator=generator).unbind(0)  # (B, H, n, D)


def textbook(q, k, v):
    return torch.softmax(q @ k.transpose(-2, -1) / D**0.5, -1) @ v  # (B, H, n, n)


CASES = {
    "sdpa causal": lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, is_causal=True
    ),
    "linear": lambda q, k, v: chunked_linear_attention(q, k, v, CHUNK),
    "sdpa": lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
    "tiled": lambda q, k, v: online_softmax_attention(q, k, v, TILE),
    "textbook": textbook,
}


def calls(names, q, k, v) -> dict:
    return {name: partial(CASES[name], q, k, v) for name in names}


def repeats_for(n: int) -> int:
    return 7 if n <= 2048 else 5 if n <= 8192 else 3


def bench_linear(quick: bool) -> None:
    print(f"== linear attention (chunks of {CHUNK}) against causal SDPA, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'n':>6} {'sdpa causal':>12} {'linear':>10} {'sdpa/linear':>12}")
    crossover, ratio = None, None
    for n in [256, 512, 1024] if quick else [256, 512, 1024, 2048, 4096, 8192, 16384]:
        q, k, v = qkv(n)
        fns = calls(("sdpa causal", "linear"), q, k, v)
        times, _ = interleaved_best(fns, repeats_for(n))
        ratio = times["sdpa causal"] / times["linear"]
        if crossover is None and ratio > 1:
            crossover = n
        print(f"{n:>6} {1e3 * times['sdpa causal']:>10.2f}ms {1e3 * times['linear']:>8.2f}ms "
              f"{ratio:>11.2f}x")  # fmt: skip
    at = verdict(
        "linear attention, crossover n", crossover or float("nan"), 512, False, ""
    )
    speedup = verdict("linear attention / SDPA at 16384", ratio, 5, judged=not quick)
    print(f"crossover: n = {crossover} {at}; speed-up at the largest n: {ratio:.2f}x "
          f"{speedup}")  # fmt: skip


def peak_mib(case: str, n: int) -> float:
    """Extra peak resident memory of one call, in a fresh interpreter."""
    run = subprocess.run([sys.executable, __file__, "--peak", case, str(n),
                          "--threads", str(torch.get_num_threads())],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(run.stdout.split()[-1])


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def _measure_peak(case: str, n: int) -> None:
    q, k, v = qkv(n)
    CASES[case](*qkv(256))  # warm up the kernels
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    before = _memory_kib("VmRSS")
    CASES[case](q, k, v)
    print((_memory_kib("VmHWM") - before) / 1024)


def bench_tiled(quick: bool) -> None:
    print(
        f"\n== online softmax over tiles of {TILE} keys against SDPA (both non-causal)"
    )
    print(f"{'n':>6} {'sdpa':>10} {'tiled':>10} {'tiled/sdpa':>11}"
          f" {'peak MiB: sdpa':>15} {'tiled':>7} {'textbook':>9}")  # fmt: skip
    worst = 0.0  # tiled / sdpa, the highest over n
    for n in [512, 1024] if quick else [1024, 4096, 16384]:
        q, k, v = qkv(n)
        fns = calls(("sdpa", "tiled"), q, k, v)
        times, results = interleaved_best(fns, repeats_for(n))
        worst = max(worst, times["tiled"] / times["sdpa"])
        error = (results["tiled"] - results["sdpa"]).abs().max().item()
        peaks = {case: peak_mib(case, n) for case in ("sdpa", "tiled")}
        book = f"{peak_mib('textbook', n):>9.0f}" if n <= 4096 else f"{'skipped':>9}"
        print(f"{n:>6} {1e3 * times['sdpa']:>8.1f}ms {1e3 * times['tiled']:>8.1f}ms "
              f"{times['tiled'] / times['sdpa']:>10.2f}x {peaks['sdpa']:>15.0f} "
              f"{peaks['tiled']:>7.0f} {book}   (max error {error:.1e})")  # fmt: skip
    judged = verdict("online softmax tiles / SDPA, worst ratio", worst, 3, faster=False)
    print(f"tiled / SDPA at worst {worst:.2f}x {judged}; the tiled peak grows as n·tile, "
          "the textbook's as n² (16K: 8 GiB, skipped)")  # fmt: skip


def _compiled_flex(n: int, window: int):
    """flex_attention compiled once, with the block mask of the causal window."""
    from torch.nn.attention import flex_attention as flex

    block = flex.create_block_mask(masks.sliding_window(window), None, None, n, n,
                                   device="cpu")  # fmt: skip
    compiled = torch.compile(flex.flex_attention)
    return lambda q, k, v: compiled(q, k, v, block_mask=block), block.sparsity()


def bench_window(quick: bool) -> None:
    n, window = (2048, 256) if quick else (16384, 256)
    ideal = n / (2 * window)
    print(f"\n== causal sliding window, n = {n}, W = {window}, against causal SDPA "
          f"(ideal speed-up n/2W = {ideal:.0f}x)")  # fmt: skip
    q, k, v = qkv(n)
    fns = calls(("sdpa causal",), q, k, v)
    fns["chunked"] = partial(sliding_window_attention, q, k, v, window)
    if not quick:
        import time

        start = time.perf_counter()
        flex, sparsity = _compiled_flex(n, window)
        flex(q, k, v)  # the first call compiles
        print(f"flex_attention compiled in {time.perf_counter() - start:.1f} s; "
              f"block mask skips {sparsity:.1f}% of 128 x 128 tiles")  # fmt: skip
        fns["flex compiled"] = partial(flex, q, k, v)
    times, results = interleaved_best(fns, 2 if quick else 3)
    base = times["sdpa causal"]
    print(f"{'':>14} {'time':>9} {'speed-up':>9} {'of ideal':>9}")
    for name, seconds in times.items():
        share = "" if name == "sdpa causal" else f"{100 * base / seconds / ideal:.1f}%"
        print(f"{name:>14} {seconds:>8.3f}s {base / seconds:>8.2f}x {share:>9}")
    if "flex compiled" in results:  # both compute the same window: they must agree
        error = (results["flex compiled"] - results["chunked"]).abs().max().item()
        print(f"max |flex - chunked| = {error:.1e}")
    full = not quick  # the goals are for n = 16384
    chunked = verdict("sliding window chunked / SDPA", base / times["chunked"], 5,
                      judged=full)  # fmt: skip
    print(f"chunked: {base / times['chunked']:.2f}x {chunked}")
    if "flex compiled" in times:
        share = 100 * base / times["flex compiled"] / ideal
        print(f"flex compiled: {share:.1f}% of the ideal speed-up (torch's kernel: "
              "for information, no goal)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (for the tests)")  # fmt: skip
    parser.add_argument("--threads", type=int, help="torch threads (threads.py)")
    parser.add_argument(
        "--peak", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    use_threads(args.threads, args.quick)
    if args.peak:
        _measure_peak(args.peak[0], int(args.peak[1]))
    else:
        bench_linear(args.quick)
        bench_tiled(args.quick)
        bench_window(args.quick)
