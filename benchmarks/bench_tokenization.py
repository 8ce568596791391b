"""Tokenization speed, measured side by side in one run: ratios, never absolute goals.

1. Our incremental BPE trainer against the textbook recount (goal: >= 100x faster at 1 MB,
   vocab 512).
2. Our fast trainer (train_bpe_fast) against Hugging Face tokenizers' byte-level BpeTrainer, in
   Rust, on the same lines, with identical merges (goal: at most 1.0x HF's time at 5 MB, vocab 512
   and 4096); the readable trainer (train_bpe) is timed beside them, without a goal.
3. Our byte-level encoder (FastBPE) with the real GPT-2 and cl100k vocabularies against
   tiktoken, with the same ids (goal: at most 1.2x tiktoken's time warm, 2x cold).
4. The chapter's live explorers: compute + draw + the figure's JSON, as a redraw costs in a
   kernel (goal: < 50 ms), with tokenizers trained as on the page.

The corpus is the standard library's sources (llmviz.data.stdlib_code), cut to 1 MB and 5 MB;
its sha256 depends on the Python version and is printed. Each figure is the minimum over
interleaved repeats, as ../shared/research/perf-anchors.md recommends on this box.
Usage: python benchmarks/bench_tokenization.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os

from goals import verdict  # benchmarks/goals.py, beside this script
from redraw import print_redraw_times  # benchmarks/redraw.py, beside this script
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from llmviz import data, viz
from llmviz.measure import interleaved_best
from llmviz.tokenization import (
    CharLevel,
    WordLevel,
    train_bpe,
    train_bpe_fast,
    train_bpe_recount,
    train_sentencepiece,
    train_wordpiece,
)
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.byte_level import (
    available,
    load_cl100k,
    load_gpt2,
    tiktoken_reference,
)
from llmviz.tokenization.views import (
    after_merges,
    compression_curve,
    nbest_probabilities,
    tokenize_all,
    word_lattice,
)


def hf_train(lines: list[str], vocab_size: int) -> list[tuple[str, str]]:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(lines, trainer)
    return [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]


def bench_recount(corpus: data.Corpus, vocab_size: int) -> None:
    print(
        f"== 1. incremental trainer vs textbook recount: {corpus}, vocab {vocab_size}"
    )
    times, results = interleaved_best(
        {
            "recount": lambda: train_bpe_recount(corpus.text, vocab_size),
            "ours": lambda v=vocab_size: train_bpe(corpus.text, v),
        },
        repeats=1,
    )
    assert results["ours"].merges == results["recount"].merges
    ratio = times["recount"] / times["ours"]
    print(
        f"recount {times['recount']:.2f} s, ours {times['ours']:.3f} s: ours is {ratio:.0f}x faster {verdict('BPE trainer vs textbook recount', ratio, 100)}"
    )
    print("identical merges: yes\n")


def bench_hf(corpus: data.Corpus, goals: dict[int, float], repeats: int) -> None:
    threads = os.environ.get("RAYON_NUM_THREADS", f"all {os.cpu_count()} cores")
    print(f"== 2. ours vs HF tokenizers BpeTrainer (byte-level, {threads}): {corpus}")
    print("   time ratios, ours / HF: fast (train_bpe_fast), readable (train_bpe)")
    lines = corpus.text.splitlines(keepends=True)
    for vocab_size, goal in goals.items():
        times, results = interleaved_best(
            {
                "hf": lambda v=vocab_size: hf_train(lines, v),
                "fast": lambda v=vocab_size: train_bpe_fast(corpus.text, v),
                "readable": lambda v=vocab_size: train_bpe(corpus.text, v),
            },
            repeats=repeats,
        )
        same = results["fast"].merges == results["readable"].merges == results["hf"]
        fast, readable = (times[k] / times["hf"] for k in ("fast", "readable"))
        print(
            f"vocab {vocab_size:>5}: HF {times['hf']:.2f} s, fast {times['fast']:.2f} s, "
            f"readable {times['readable']:.2f} s; fast / HF {fast:.2f} "
            f"{verdict(f'train_bpe_fast / HF, vocab {vocab_size}', fast, goal, faster=False)}, readable / HF {readable:.2f} (no goal); "
            f"identical merges: {'yes' if same else 'NO'}"
        )
    print()


def encode_times(ours, reference, text: str, repeats: int) -> dict[str, float]:
    """Best times of tiktoken and of FastBPE cold (the cache holding only whole
    tokens), warm (every chunk cached) and readable (the chapter's loop); same ids."""
    fns = {
        "tiktoken": lambda: reference.encode(text, disallowed_special=()),
        "cold": lambda: ours.encode(text, disallowed_special=()),
        "warm": lambda: ours.encode(text, disallowed_special=()),
        "readable": lambda: BPE._encode_ordinary(ours, text),
    }
    BPE._encode_ordinary(ours, text)  # the readable loop's own cache, warm
    best: dict[str, float] = {}
    for _ in range(repeats):
        ours.clear_cache()  # "cold" runs first, after this
        times, results = interleaved_best(fns, repeats=1)
        best = {k: min(best.get(k, times[k]), times[k]) for k in times}
        assert len({tuple(ids) for ids in results.values()}) == 1
    return best


def bench_encoders(texts: dict[str, str], repeats: int) -> None:
    print("== 3. our byte-level encoder vs tiktoken (same ids): ours / tiktoken time")
    for name, load in {"gpt2": load_gpt2, "cl100k": load_cl100k}.items():
        if not available(name):
            print(f"{name}: not installed (an optional extra), skipped")
            continue
        ours, reference = load(), tiktoken_reference(name)
        for label, text in texts.items():
            best = encode_times(ours, reference, text, repeats)
            warm, cold, readable = (
                best[k] / best["tiktoken"] for k in ("warm", "cold", "readable")
            )
            megabytes = len(text.encode()) / 1e6
            print(
                f"{name:<6} {label:<11} tiktoken {megabytes / best['tiktoken']:.1f} MB/s; "
                f"warm {warm:.2f}x {verdict(f'encode / tiktoken warm, {name} {label}', warm, 1.2, faster=False)}, cold {cold:.2f}x "
                f"{verdict(f'encode / tiktoken cold, {name} {label}', cold, 2, faster=False)}; readable warm {readable:.2f}x (no goal)"
            )
    print("(cold: only whole tokens cached; readable: apply_merges on each new chunk)")


def bench_redraw(quick: bool) -> None:
    english = data.python_docs(60_000).text[:48_000]
    bpe, big = train_bpe(english, 1000), train_bpe(english, 3000)
    unigram = train_sentencepiece(english[:25_000], 600).model
    tokenizers = {
        "word": WordLevel.train(english),
        "char": CharLevel.train(english),
        "BPE": bpe,
        "WordPiece": train_wordpiece(english, 1000),
        "SentencePiece": train_sentencepiece(english, 1000),
    }
    tokenizers |= {
        name: load()
        for name, load in {"gpt2": load_gpt2, "cl100k": load_cl100k}.items()
        if available(name)
    }
    sizes = [256, 300, 400, 600, 800, 1000, 1500, 2000, 3000]
    typed = "我们在学习大语言模型的分词方法。Tokenizers split text, don't they? 🙂"
    explorers = {
        "BPE after 600 merges": lambda: viz.token_boundaries(
            after_merges(bpe, typed, 600)
        ),
        f"every tokenizer ({len(tokenizers)})": lambda: viz.token_boundaries(
            tokenize_all(typed, tokenizers), width=56
        ),
        "Unigram lattice": lambda: viz.lattice_figure(
            *word_lattice(unigram, "understanding")
        ),
        "Unigram 10-best": lambda: viz.nbest_figure(
            nbest_probabilities(unigram, "understanding", 10)
        ),
        "compression curve": lambda: viz.lines(
            sizes, {"your text": compression_curve(big, typed, sizes)}
        ),
    }
    print_redraw_times(explorers, quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small corpora, for the test suite"
    )
    quick = parser.parse_args().quick
    if quick:
        bench_recount(data.stdlib_code(40_000), 300)
        bench_hf(data.stdlib_code(200_000), {512: 1.0, 4096: 1.0}, repeats=1)
        bench_encoders({"docs 100 KB": data.python_docs(100_000).text}, repeats=1)
        bench_redraw(quick)
    else:
        bench_recount(data.stdlib_code(1_000_000), 512)
        bench_hf(data.stdlib_code(5_000_000), {512: 1.0, 4096: 1.0}, repeats=3)
        bench_encoders(
            {
                "docs 460 KB": data.python_docs().text,
                "code 1 MB": data.stdlib_code(1_000_000).text,
            },
            repeats=7,  # 30-60 ms a call: three were not enough to settle the minimum
        )


if __name__ == "__main__":
    main()
