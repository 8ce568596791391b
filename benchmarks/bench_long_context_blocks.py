"""NSA and MoBA at n = 16K, side by side in one run: the fraction of the causal keys
each reads, and its time against dense causal SDPA. Ratios, never absolute goals.

NSA at the paper's settings, l = 32, d = 16, l′ = 64, n = 16, w = 512 [yuan2025nsa];
MoBA [lu2025moba] with blocks of 512 keys and top-3. The blocks are chosen by the
library's rules (moba.moba_gate; nsa_blocks._choose on the pooled probabilities, which
are computed once, as in the paper, and shared with the compression branch). The
library's attention functions build T×T masks (a 16K² mask per head); here the chosen blocks are
read the way the sparse kernels read them, block by block: for each key block, the
queries that chose it attend to it alone (one partial softmax each, with its
log-sum-exp), and the partials merge exactly (chapter 4's split-KV merge). Each run
first checks these block-gathered forms against nsa_attention and moba_attention at a
small n (max error printed). Random q, k, v (B=1, H=8, D=64, float32, no grad); a
query's choice is its own (no GQA sharing). Times are the minimum over interleaved
repeats, with the threads a reader's machine would use (benchmarks/threads.py).
Usage: python benchmarks/bench_long_context_blocks.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import os

import torch
import torch.nn.functional as F
from threads import use_threads  # benchmarks/threads.py

from llmviz.long_context.moba import moba_attention, moba_gate
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import _choose, _pool, _visible
from llmviz.measure import interleaved_best

torch.set_grad_enabled(False)
H, D = 8, 64
NSA = {"compress_block": 32, "compress_stride": 16, "select_block": 64}
NUM_SELECTED, WINDOW = 16, 512
MOBA_BLOCK, MOBA_TOP_K = 512, 3


def qkv(n: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(n)
    return torch.randn(3, 1, H, n, D, generator=generator).unbind(0)  # (B, H, n, D)


def gathered(q, k, v, selected, block):
    """Attention of each query over its chosen blocks, one key block at a time: the
    queries that chose block j attend to it alone, and each query's partial results
    merge by their log-sum-exps (split-KV's merge, with scatter sums)."""
    scale, n = D**-0.5, q.shape[-2]
    out = torch.empty_like(q)
    for b, h in ((b, h) for b in range(q.shape[0]) for h in range(q.shape[1])):
        rows = selected[b, h].T.nonzero()[:, 1]  # queries, grouped by the block chosen
        counts = selected[b, h].sum(0).tolist()  # (blocks,)
        outs, lses = q.new_empty(len(rows), D), q.new_empty(len(rows))
        start = 0
        for j, count in enumerate(counts):
            if count == 0:
                continue
            part, keys = slice(start, start + count), slice(j * block, (j + 1) * block)
            scores = q[b, h, rows[part]] @ k[b, h, keys].T * scale  # (m, block)
            future = torch.arange(j * block, (j + 1) * block) > rows[part, None]
            lses[part] = scores.masked_fill_(future, float("-inf")).logsumexp(-1)
            outs[part] = (scores - lses[part, None]).exp_() @ v[b, h, keys]
            start += count
        top = q.new_full((n,), float("-inf")).scatter_reduce(0, rows, lses, "amax")
        weights = (lses - top[rows]).exp()
        total = q.new_zeros(n).index_add_(0, rows, weights)
        merged = q.new_zeros(n, D).index_add_(0, rows, weights[:, None] * outs)
        out[b, h] = merged / total[:, None]
    return out


def window_attention(q, k, v, window):
    """Causal sliding window, queries in chunks of ``window``: 2·window keys each."""
    out = torch.empty_like(q)
    for start in range(0, q.shape[-2], window):
        lo, stop = max(0, start - window + 1), min(q.shape[-2], start + window)
        rows, cols = torch.arange(start, stop), torch.arange(lo, stop)
        mask = (cols <= rows[:, None]) & (rows[:, None] - cols < window)
        out[..., start:stop, :] = F.scaled_dot_product_attention(
            q[..., start:stop, :], k[..., lo:stop, :], v[..., lo:stop, :], mask
        )
    return out


def block_sums(probs, block, stride, select):
    """Selection scores as banded sums, not a matmul with the (N_cmp, T/l′) overlap
    matrix: with d | l and d | l′, selection block j overlaps the l′/d + l/d − 1 pooled
    blocks from j·l′/d − (l/d − 1) on."""
    before = block // stride - 1
    padded = F.pad(probs, (before, before))  # (..., T/d + l/d − 1)
    return padded.unfold(-1, select // stride + before, select // stride).sum(-1)


def nsa_fast(q, k, v, sizes=NSA, num_selected=NUM_SELECTED, window=WINDOW):
    """The paper's order: the compressed probabilities are computed once, read by the
    compression branch and summed into the selection scores (nsa_blocks' helpers)."""
    block, stride, select = sizes.values()
    n = q.shape[-2]
    kc, vc = _pool(k, block, stride), _pool(v, block, stride)  # (B, H, N_cmp, D)
    logits = (q @ kc.transpose(-2, -1) * D**-0.5).masked_fill_(
        ~_visible(n, block, stride), float("-inf")
    )  # (B, H, T, N_cmp)
    probs = logits.softmax(-1).nan_to_num_(0.0)  # queries before any whole block: 0
    scores = block_sums(probs, block, stride, select)  # (B, H, T, T/l′)
    selected = _choose(scores, select, num_selected, 1)
    out = probs @ vc + gathered(q, k, v, selected, select)
    return out + window_attention(q, k, v, window), selected


def moba_fast(q, k, v, block=MOBA_BLOCK, top_k=MOBA_TOP_K):
    selected = moba_gate(q, k, block, top_k)
    return gathered(q, k, v, selected, block), selected


def check_against_library() -> None:
    q, k, v = qkv(256)
    small = {"compress_block": 8, "compress_stride": 4, "select_block": 16}
    ours, chosen = nsa_fast(q, k, v, small, num_selected=4, window=32)
    reference, expected = nsa_attention(q, k, v, **small, num_selected=4, window=32)
    assert torch.equal(chosen, expected)
    nsa_error = (ours - reference).abs().max().item()
    ours, _ = moba_fast(q, k, v, block=32, top_k=3)
    moba_error = (ours - moba_attention(q, k, v, 32, 3)[0]).abs().max().item()
    print(f"block-gathered forms against the library at n = 256: max error NSA "
          f"{nsa_error:.1e}, MoBA {moba_error:.1e}")  # fmt: skip
    assert max(nsa_error, moba_error) < 1e-4


def key_reads(selected, block, n, window=0):
    """All queries' key reads (a window's last ``window`` keys, and the keys of chosen
    blocks before it, up to the query) over causal attention's n(n + 1)/2."""
    t = torch.arange(n).unsqueeze(-1)  # (T, 1)
    first = torch.arange(selected.shape[-1]) * block  # each block's first key
    before_window = (torch.minimum(first + block, t + 1 - window) - first).clamp(min=0)
    reads = (selected * before_window).sum(-1) + torch.clamp(t[:, 0] + 1, max=window)
    return reads.double().mean().item() / ((n + 1) / 2)


def bench(quick: bool) -> None:
    check_against_library()
    n = 2048 if quick else 16384
    q, k, v = qkv(n)
    fns = {"sdpa causal": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True),
           "nsa": lambda: nsa_fast(q, k, v), "moba": lambda: moba_fast(q, k, v)}  # fmt: skip
    times, results = interleaved_best(fns, 1 if quick else 3)
    print(f"\n== n = {n}, H = {H}, D = {D}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'method':<34} {'blocks, last query':>18} {'key reads':>10} {'time':>9} "
          f"{'sdpa/it':>8}")  # fmt: skip
    print(f"{'dense causal SDPA':<34} {1:>18.3f} {1:>10.3f} "
          f"{times['sdpa causal']:>8.2f}s {1:>7.2f}x")  # fmt: skip
    for name, label, block, window in (
        ("nsa", f"NSA l=32 d=16 l′=64 n=16 w={WINDOW}", 64, WINDOW),
        ("moba", f"MoBA block {MOBA_BLOCK}, top-{MOBA_TOP_K}", MOBA_BLOCK, 0),
    ):
        selected = results[name][1]
        last = selected[..., -1, :].sum(-1).float().mean().item() / (n // block)
        reads = key_reads(selected, block, n, window)
        print(f"{label:<34} {last:>18.3f} {reads:>10.3f} {times[name]:>8.2f}s "
              f"{times['sdpa causal'] / times[name]:>7.2f}x")  # fmt: skip
    print(
        "blocks, last query: the blocks the last query reads, of all; key reads: "
        "every query's keys read (chosen blocks and window) over causal attention's "
        f"n(n+1)/2; NSA also reads up to {(n - 32) // 16 + 1} pooled keys a query"
    )
    print("goal: report the fractions and the time ratios (no threshold)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="n = 2048 and one repeat (for the tests)")  # fmt: skip
    parser.add_argument("--threads", type=int, help="torch threads (threads.py)")
    args = parser.parse_args()
    use_threads(args.threads, args.quick)
    bench(args.quick)
