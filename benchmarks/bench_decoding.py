"""Decoding speed, measured side by side in one run.

1. The sampling filters (temperature, top-k, top-p, min-p) against Hugging Face's
   warpers on a batch of 64 × 50,257 logits, with the same outputs (goal: <= 1.2x).
   Temperature is one division, a single pass; ours also checks the logits for NaN
   and inf, a second pass, so HF's side there adds one sum, the same read.
2. Our beam search against HF ``generate`` with the same tiny GPT-2, per generated
   token (goal: <= 1.5x). Ours reruns the whole sequence at every step, as the chapter
   teaches it; HF's is shown with and without its KV cache, so the ratio that matters,
   the search itself, is the one against ``use_cache=False``.

3. The chapter's live explorers on TinyGPT: the next-token distribution under the
   warpers, and the beam-search tree at the explorer's largest settings (goal < 50 ms).
4. The accuracy-against-N simulation at the size of one frame of the chapter's p slider
   (N = 1..32, 500 trials; goal < 1 s, so the slider's frames build quickly).

Each figure is the minimum over interleaved repeats (llmviz.measure.interleaved_best).
Usage: python benchmarks/bench_decoding.py [--quick]
"""

from __future__ import annotations

import argparse
import timeit

import plotly.graph_objects as go
import torch
from goals import verdict  # benchmarks/goals.py, beside this script
from redraw import print_redraw_times  # benchmarks/redraw.py, beside this script
from transformers import GPT2Config, GPT2LMHeadModel, logging
from transformers.generation import logits_process as hf

from llmviz import viz
from llmviz.decoding import accuracy_against_n
from llmviz.decoding.beam import beam_search
from llmviz.decoding.distribution import sampling_distribution
from llmviz.decoding.filters import (
    apply_temperature,
    min_p_filter,
    top_k_filter,
    top_p_filter,
)
from llmviz.measure import interleaved_best
from llmviz.models import load_tinygpt
from llmviz.models.probes import with_bos

torch.set_grad_enabled(False)
logging.set_verbosity_error()


def bench_filters(quick: bool) -> None:
    torch.manual_seed(0)
    batch, vocab = (8, 50257) if quick else (64, 50257)
    logits = torch.randn(batch, vocab) * 3
    ids = torch.zeros(batch, 1, dtype=torch.long)
    pairs = {
        # one division is one pass over the logits, and rejecting NaN and inf takes
        # another (a sum): no checked temperature can come within 1.2x of the bare
        # division, so HF's side here also reads the logits once, as the check does
        "temperature 0.7 *": (
            lambda: apply_temperature(logits, 0.7),
            lambda: (logits.sum(), hf.TemperatureLogitsWarper(0.7)(ids, logits))[1],
        ),
        "top_k 50": (
            lambda: top_k_filter(logits, 50),
            lambda: hf.TopKLogitsWarper(50)(ids, logits),
        ),
        "top_p 0.9": (
            lambda: top_p_filter(logits, 0.9),
            lambda: hf.TopPLogitsWarper(0.9)(ids, logits),
        ),
        "min_p 0.05": (
            lambda: min_p_filter(logits, 0.05),
            lambda: hf.MinPLogitsWarper(0.05)(ids, logits),
        ),
    }
    print(f"== filters on {batch} × {vocab} logits, {torch.get_num_threads()} threads")
    print(f"{'filter':<16} {'llmviz':>10} {'HF':>10} {'ratio':>7}  same output")
    worst = 0.0
    for name, (ours, theirs) in pairs.items():
        times, results = interleaved_best(
            {"ours": ours, "HF": theirs}, 3 if quick else 15
        )
        same = torch.equal(results["ours"], results["HF"])
        ratio = times["ours"] / times["HF"]
        worst = max(worst, ratio)
        print(
            f"{name:<16} {1e3 * times['ours']:>8.2f}ms {1e3 * times['HF']:>8.2f}ms "
            f"{ratio:>7.2f}  {'yes' if same else 'NO'}"
        )
    judged = verdict("filters / HF's warpers, worst ratio", worst, 1.2, faster=False)
    print(f"worst ratio {worst:.2f} {judged}")
    print(
        "* HF's division plus one sum over the logits: the read that finding NaN takes"
    )


def bench_beam_search(quick: bool) -> None:
    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=2, n_embd=64, n_head=2, vocab_size=1000, n_positions=256
    )
    config.bos_token_id = config.eos_token_id = config.pad_token_id = None
    model = GPT2LMHeadModel(config).eval()
    prompt = torch.randint(0, 1000, (1, 8))
    new_tokens, beams = (8, 2) if quick else (48, 4)

    def ours():
        return beam_search(
            lambda ids: model(ids).logits[:, -1], prompt, beams, new_tokens
        )["sequences"]

    def theirs(use_cache: bool):
        return lambda: model.generate(
            prompt,
            num_beams=beams,
            max_new_tokens=new_tokens,
            do_sample=False,
            use_cache=use_cache,
            pad_token_id=0,
        )

    fns = {"ours": ours, "HF, no cache": theirs(False), "HF, cache": theirs(True)}
    times, results = interleaved_best(fns, 2 if quick else 5)
    print(f"== beam search, {beams} beams, {new_tokens} new tokens, tiny GPT-2")
    for name, seconds in times.items():
        same = torch.equal(results[name][:1], results["ours"][:1])
        print(
            f"{name:<14} {1e3 * seconds / new_tokens:>8.2f} ms/token  "
            f"same best sequence: {'yes' if same else 'NO'}"
        )
    ratio = times["ours"] / times["HF, no cache"]
    judged = verdict("beam search / HF without cache", ratio, 1.5, faster=False)
    print(f"ours / HF without cache: {ratio:.2f} {judged}")
    print(f"ours / HF with its cache: {times['ours'] / times['HF, cache']:.2f}")


def bench_redraw(quick: bool) -> None:
    model, tokenizer = load_tinygpt("tinygpt")
    ids = with_bos(tokenizer, "The function returns")

    def distribution() -> go.Figure:
        logits = model(ids)[0, -1]
        out = sampling_distribution(logits, temperature=0.8, top_k=50, top_p=0.9)
        top = logits.topk(25).indices
        series = {"model": logits.softmax(-1)[top], "sampled from": out["probs"][top]}
        labels = [repr(tokenizer.decode([t])) for t in top.tolist()]
        return viz.bars(series, labels, horizontal=True)

    newline = tokenizer.encode("\n")[0]  # the chapter's end token

    def beams(num_beams: int, tokens: int, early_stopping: bool | str) -> go.Figure:
        out = beam_search(
            lambda x: model(x)[:, -1],
            ids,
            num_beams,
            tokens,
            early_stopping=early_stopping,
            eos_token_id=newline,
        )
        return viz.beam_tree_figure(out["tree"])

    print_redraw_times(
        {
            "next-token distribution, 25 bars": distribution,
            "beam tree, 3 beams, 12 tokens (the page's)": lambda: beams(3, 12, False),
            "beam tree, 4 beams, 10 tokens, 'never' (the largest)": lambda: beams(
                4, 10, "never"
            ),
        },
        quick,
    )


def bench_voting(quick: bool) -> None:
    def frame() -> None:
        accuracy_against_n(0.4, list(range(1, 33)), trials=100 if quick else 500)

    best = min(timeit.repeat(frame, number=1, repeat=3 if quick else 7))
    judged = verdict("accuracy against N, one slider frame", best, 1, False, " s")
    print(f"\n== accuracy against N, one slider frame: {best:.2f} s {judged}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (for the tests)"
    )
    quick = parser.parse_args().quick
    bench_filters(quick)
    bench_beam_search(quick)
    bench_redraw(quick)
    bench_voting(quick)
