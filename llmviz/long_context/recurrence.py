"""Transformer-XL's segment recurrence [dai2019transformerxl]: a segment's queries
attend to its own keys and to a memory of the previous segment's, held under
stop-gradient, so that each segment reuses what the last one computed:

    h̃ = [SG(memory); h],   q = h W_q,   k = h̃ W_k,   v = h̃ W_v.

Keeping a layer's keys and values instead of its input states h is the same thing
(they are h's projections); keys are kept before RoPE and rotated at their places in
[memory; segment], 0..M + S − 1, since RoPE sees only distances.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_qkv, check_size
from llmviz.long_context.streaming import MAX_STREAM
from llmviz.long_context.streaming_runs import _check_stream
from llmviz.long_context.swap import Rotary, forward_with_attention, next_token_losses
from llmviz.models.tinygpt import TinyGPT


def memory_mask(seg_len: int, mem_len: int) -> Tensor:
    """Which keys of [memory; segment] each segment query sees: all M memory keys and
    the segment's keys up to itself, a bool (S, M + S).

    >>> memory_mask(2, 1).int().tolist()
    [[1, 1, 0], [1, 1, 1]]
    """
    check_size("seg_len", seg_len)
    check_int("mem_len", mem_len, minimum=0, maximum=MAX_STREAM)
    return _memory_mask(seg_len, mem_len)


def _memory_mask(seg_len: int, mem_len: int) -> Tensor:
    rows = torch.arange(seg_len)[:, None] + mem_len  # query i sits at M + i
    return torch.arange(mem_len + seg_len)[None, :] <= rows


def segment_attention(
    query: Tensor, key: Tensor, value: Tensor, mem_key: Tensor, mem_value: Tensor
) -> Tensor:
    """One layer's attention of a segment (B, H, S, D) over [SG(memory); segment],
    the memory (B, H, M, D) detached so that no gradient reaches it.

    >>> q = torch.randn(1, 1, 3, 4)
    >>> segment_attention(q, q, q, q[..., :2, :], q[..., :2, :]).shape
    torch.Size([1, 1, 3, 4])
    """
    check_qkv(query, key, value, ranks=(4,))
    for name, mem, like in (("mem_key", mem_key, key), ("mem_value", mem_value, value)):
        check_tensor(name, mem, ranks=(4,), nonempty=False)  # M = 0: no memory yet
        if mem.shape[:2] + mem.shape[3:] != like.shape[:2] + like.shape[3:] or (
            mem.dtype != like.dtype
        ):
            raise ValueError(
                f"{name} must be (B, H, M, D) like the segment's {tuple(like.shape)} "
                f"{like.dtype}, got {tuple(mem.shape)} {mem.dtype}"
            )
    if mem_key.shape[-2] != mem_value.shape[-2]:
        raise ValueError(
            f"mem_value must hold mem_key's {mem_key.shape[-2]} tokens, got shape "
            f"{tuple(mem_value.shape)}"
        )
    if key.shape[-2] != query.shape[-2]:
        raise ValueError(
            f"key must have the segment's {query.shape[-2]} tokens, got shape "
            f"{tuple(key.shape)}"
        )
    keys = torch.cat([mem_key.detach(), key], dim=-2)  # (B, H, M + S, D)
    values = torch.cat([mem_value.detach(), value], dim=-2)
    mask = _memory_mask(query.shape[-2], mem_key.shape[-2])
    return attend(query, keys, values, mask)


class SegmentMemory:
    """The ``attention(q, k, v, rotary)`` of ``forward_with_attention`` for one
    segment at a time: each layer keeps the last ``mem_len`` keys (before RoPE) and
    values of [memory; segment], detached, for the next segment."""

    def __init__(self, num_layers: int, mem_len: int) -> None:
        self.num_layers = check_int("num_layers", num_layers, minimum=1, maximum=4096)
        self.mem_len = check_int("mem_len", mem_len, minimum=0, maximum=MAX_STREAM)
        self.memory: list[tuple[Tensor, Tensor] | None] = [None] * num_layers
        self.calls = 0  # the layers are called in order, once per segment

    def __call__(self, q: Tensor, k: Tensor, v: Tensor, rotary: Rotary) -> Tensor:
        layer = self.calls % self.num_layers
        self.calls += 1
        if self.memory[layer] is not None:
            mem_k, mem_v = self.memory[layer]
            k, v = torch.cat([mem_k, k], dim=-2), torch.cat([mem_v, v], dim=-2)
        mem, seg = k.shape[-2] - q.shape[-2], q.shape[-2]
        positions = torch.arange(mem + seg)  # places in [memory; segment]
        out = attend(rotary(q, positions[mem:]), rotary(k, positions), v,
                     _memory_mask(seg, mem))  # fmt: skip
        keep = min(self.mem_len, mem + seg)
        self.memory[layer] = (
            (k[..., -keep:, :].detach(), v[..., -keep:, :].detach()) if keep else None
        )
        return out


def recurrent_logits(model: TinyGPT, input_ids: Tensor, seg_len: int, mem_len: int):
    """TinyGPT over a stream (1, T), ``seg_len`` tokens at a time, each segment with
    a memory of the last ``mem_len`` keys and values per layer: logits (1, T, vocab).
    ``mem_len=0`` is the vanilla model on disjoint segments.

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> recurrent_logits(model, torch.tensor([[0, 5, 6, 7, 8]]), 2, 2).shape
    torch.Size([1, 5, 2048])
    """
    _check_stream(model, input_ids)
    check_size("seg_len", seg_len)
    check_int("mem_len", mem_len, minimum=0, maximum=MAX_STREAM)
    memory = SegmentMemory(len(model.layers), mem_len)
    starts = range(0, input_ids.shape[1], seg_len)
    segments = [input_ids[:, s : s + seg_len] for s in starts]
    return torch.cat([forward_with_attention(model, x, memory) for x in segments], 1)


@torch.no_grad()
def recurrent_losses(
    model: TinyGPT, input_ids: Tensor, seg_len: int, mem_len: int
) -> Tensor:
    """``recurrent_logits``' next-token losses (nats), (T − 1,).

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> recurrent_losses(model, torch.tensor([[0, 5, 6, 7, 8]]), 2, 2).shape
    torch.Size([4])
    """
    logits = recurrent_logits(model, input_ids, seg_len, mem_len)
    return next_token_losses(logits, input_ids)[0]


def evaluation_cost(seq_len: int, context: int, seg_len: int | None = None) -> dict:
    """Work to score ``seq_len`` tokens, each with up to ``context`` tokens before it:
    ``token_passes`` (tokens run through the layers) and ``pairs`` (query-key pairs
    per head and layer). Without ``seg_len``, the vanilla sliding context reruns
    ``context`` tokens per prediction, T·L passes and about T·L²/2 pairs; with it,
    Transformer-XL runs each token once and attends to at most ``context`` keys:
    T passes and about T·L pairs (memory M = context − seg_len).

    >>> evaluation_cost(4, 2), evaluation_cost(4, 2, 1)
    ({'token_passes': 7, 'pairs': 10}, {'token_passes': 4, 'pairs': 7})
    """
    check_int("seq_len", seq_len, minimum=1, maximum=MAX_STREAM)
    check_size("context", context)
    if seg_len is None:
        sizes = [min(t + 1, context) for t in range(seq_len)]  # each rerun window
        return {
            "token_passes": sum(sizes),
            "pairs": sum(n * (n + 1) // 2 for n in sizes),
        }
    check_size("seg_len", seg_len)
    if seg_len > context:
        raise ValueError(f"seg_len must be at most context={context}, got {seg_len}")
    mem = context - seg_len
    # token t, at place t % S of a segment, sees the memory, then its segment so far
    pairs = sum(min(t - t % seg_len, mem) + t % seg_len + 1 for t in range(seq_len))
    return {"token_passes": seq_len, "pairs": pairs}
