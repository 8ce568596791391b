"""Chapter 5's layers, measured side by side in one run: ratios printed, never asserted.

1. RMSNorm: llmviz's (llmviz.layers.RMSNorm, TinyGPT's) against torch.nn.RMSNorm and
   HF's LlamaRMSNorm, each timed with its own argument checks (ours run them; inside
   TinyGPT they are skipped, checked_by_caller), and once more without them.
   Goal: within 1.2x of HF's, whose arithmetic ours repeats.
2. SwiGLU (llmviz.layers.SwiGLU) against HF's LlamaMLP with the same weights.
   Goal: within 1.2x.
3. The depth experiment (llmviz.layers.depth_experiment) on this CPU: the time of one
   training step, from runs of 10 and 20 steps (their difference leaves out the fixed
   costs), times every step of every run, against the seconds its shipped log records
   and against reading that log, which is what the chapter does.

Shapes: TinyGPT's (hidden 128, intermediate 384, 256 tokens) and a 4096-wide one
(intermediate 11008, Llama 2 7B's, 64 tokens). float32, no grad, with the threads
a reader's machine would use (benchmarks/threads.py); times are the minimum over interleaved repeats
(llmviz.measure.interleaved_best). --quick (the test suite) uses TinyGPT's shape only.
Usage: python benchmarks/bench_layers.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import torch
from goals import verdict  # benchmarks/goals.py, beside this script
from threads import use_threads  # benchmarks/threads.py
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP, LlamaRMSNorm

from llmviz._checks import checked_by_caller
from llmviz.layers.depth_experiment import SETTINGS, VARIANTS, load_log, train_run
from llmviz.layers.ffn import SwiGLU
from llmviz.layers.norms import RMSNorm
from llmviz.measure import interleaved_best

torch.set_grad_enabled(False)
SHAPES = {"TinyGPT": (128, 384, 256), "4096-wide": (4096, 11008, 64)}


def unchecked(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with checked_by_caller():
        return module(x)


def bench_rms_norm(name: str, hidden: int, tokens: int, repeats: int) -> None:
    x = torch.randn(1, tokens, hidden, generator=torch.Generator().manual_seed(0))
    ours, hf = RMSNorm(hidden), LlamaRMSNorm(hidden)
    reference = torch.nn.RMSNorm(hidden, eps=1e-6)
    calls = {"ours": partial(ours, x), "ours unchecked": partial(unchecked, ours, x),
             "torch": partial(reference, x), "HF": partial(hf, x)}  # fmt: skip
    times, results = interleaved_best(calls, repeats)
    assert torch.allclose(results["ours"], results["HF"], atol=1e-5)
    show(f"RMSNorm, {name} ({tokens} x {hidden})", times)


def bench_swiglu(name: str, hidden: int, intermediate: int, tokens: int,
                 repeats: int) -> None:  # fmt: skip
    x = torch.randn(1, tokens, hidden, generator=torch.Generator().manual_seed(1))
    ours = SwiGLU(hidden, intermediate)
    hf = LlamaMLP(LlamaConfig(hidden_size=hidden, intermediate_size=intermediate))
    hf.load_state_dict(ours.state_dict())
    calls = {"ours": partial(ours, x), "ours unchecked": partial(unchecked, ours, x),
             "HF": partial(hf, x)}  # fmt: skip
    times, results = interleaved_best(calls, repeats)
    assert torch.allclose(results["ours"], results["HF"], atol=1e-4)
    show(f"SwiGLU, {name} ({tokens} x {hidden} -> {intermediate})", times)


def show(title: str, times: dict[str, float]) -> None:
    """Each case's time and ratio to HF's; the goal judges ours, checks included."""
    print(f"== {title}")
    for case, seconds in times.items():
        ratio = seconds / times["HF"]
        judged = (
            verdict(f"{title}, ours / HF", ratio, 1.2, False) if case == "ours" else ""
        )
        print(f"  {case:>15} {seconds * 1e6:10.1f} us   {ratio:5.2f}x HF's {judged}")


def bench_depth_experiment(seeds: int = 2) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "steps"}
    seconds = {}
    with torch.enable_grad():
        for steps in (10, 20):
            start = time.perf_counter()
            train_run("pre", 0, steps=steps, **settings)
            seconds[steps] = time.perf_counter() - start
    step = (seconds[20] - seconds[10]) / 10
    runs = len(VARIANTS) * seeds
    estimate = step * SETTINGS["steps"] * runs
    start = time.perf_counter()
    log = load_log()
    read = time.perf_counter() - start
    print(
        f"== depth experiment: {runs} runs x {SETTINGS['steps']} steps, "
        f"{SETTINGS['num_layers']} layers, width {SETTINGS['hidden_size']}"
    )
    print(
        f"  one training step {step * 1e3:8.1f} ms; every step of every run "
        f"{estimate / 60:5.1f} min (the shipped log records {log['seconds'] / 60:.1f} min)"
    )
    print(
        f"  reading the log   {read * 1e3:8.1f} ms: {estimate / read:,.0f}x faster "
        "than rerunning it"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, help="torch threads (threads.py)")
    args = parser.parse_args()
    use_threads(args.threads, args.quick)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    for name, (hidden, intermediate, tokens) in SHAPES.items():
        if args.quick and name != "TinyGPT":
            continue
        repeats = 30 if hidden < 1024 else 7
        bench_rms_norm(name, hidden, tokens, repeats * 10)  # ~0.1 ms a call: cheap
        bench_swiglu(name, hidden, intermediate, tokens, 3 if args.quick else repeats)
    if not args.quick:
        bench_depth_experiment()


if __name__ == "__main__":
    main()
