"""Attention masks as predicates, in FlexAttention's form [dong2024flexattention].

A mask is a function ``mask_mod(b, h, q_idx, kv_idx) -> bool``: True means that query
``q_idx`` (in batch row ``b``, head ``h``) may attend to key ``kv_idx``. Each one uses
only tensor operations, so one definition serves every use: ``materialize`` evaluates
it on whole index grids to get the dense bool matrix that we draw and pass to SDPA,
and torch's ``create_block_mask`` vmaps it for ``flex_attention``.

Positions are absolute, query i and key j indexing the same sequence, so ``causal`` is
top-left aligned like torch's ``is_causal``. Constructors check their arguments once;
the predicates they return stay short.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.attention._validate import MAX_WIDTH
from llmviz.attention.mask_grid import (  # noqa: F401 - part of this module's API
    MaskMod,
    _named,
    and_masks,
    check_mask_mod,
    materialize,
    or_masks,
)

MAX_INDICES = 4096  # global tokens, or batch rows of padding lengths


def _int_tensor(name: str, values: Sequence[int], minimum: int) -> Tensor:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of integers, got {values!r:.60}")
    if not 1 <= len(values) <= MAX_INDICES:
        raise ValueError(
            f"{name} must hold 1 to {MAX_INDICES} integers, got {len(values):,}"
        )
    return torch.tensor(
        [check_int(f"{name}[{i}]", v, minimum, MAX_WIDTH) for i, v in enumerate(values)]
    )


def _size(name: str, value: int, minimum: int = 1) -> int:
    return check_int(name, value, minimum=minimum, maximum=MAX_WIDTH)


def causal(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
    """Decoder self-attention: query i sees keys 0..i."""
    return kv_idx <= q_idx


def full(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
    """Encoder self-attention and cross-attention: every key is visible."""
    return (q_idx >= 0) & (kv_idx >= 0)


def sliding_window(window: int) -> MaskMod:
    """The last ``window`` keys, the query's own included: i − window < j ≤ i.

    This causal window is Mistral's and Hugging Face's ``sliding_window``
    [jiang2023mistral]; Longformer's window [beltagy2020longformer] is symmetric,
    w/2 keys on each side of the query.

    >>> materialize(sliding_window(2), 3, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    """
    window = _size("window", window)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & (q_idx - kv_idx < window)

    return _named(mask_mod, f"sliding_window({window})")


def dilated_sliding_window(window: int, dilation: int) -> MaskMod:
    """``window`` keys spaced ``dilation`` apart: j = i, i − d, …, i − (window − 1)·d.

    The causal half of Longformer's dilated window [beltagy2020longformer], whose
    windows are symmetric (w/2 keys each side); dilation 1 is sliding_window.

    >>> materialize(dilated_sliding_window(2, 2), 4, 4).int().tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    """
    window = _size("window", window)
    dilation = _size("dilation", dilation)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        distance = q_idx - kv_idx
        in_reach = (distance >= 0) & (distance < window * dilation)
        return in_reach & (distance % dilation == 0)

    return _named(mask_mod, f"dilated_sliding_window({window}, {dilation})")


def strided(stride: int) -> MaskMod:
    """Every ``stride``-th key up to the query: j ≤ i and (i − j) mod stride = 0.

    The Sparse Transformer [child2019sparse] uses it together with a window:
    ``or_masks(sliding_window(stride), strided(stride))``.

    >>> materialize(strided(2), 4, 4).int().tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    """
    stride = _size("stride", stride)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & ((q_idx - kv_idx) % stride == 0)

    return _named(mask_mod, f"strided({stride})")


def global_tokens(indices: Sequence[int]) -> MaskMod:
    """Tokens at ``indices`` see every key and are seen by every query.

    As in Longformer and BigBird [beltagy2020longformer]; not causal by itself.

    >>> materialize(global_tokens([0]), 3, 3).int().tolist()
    [[1, 1, 1], [1, 0, 0], [1, 0, 0]]
    """
    positions = _int_tensor("indices", indices, minimum=0)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        q_is_global = (q_idx.unsqueeze(-1) == positions).any(-1)
        kv_is_global = (kv_idx.unsqueeze(-1) == positions).any(-1)
        return q_is_global | kv_is_global

    return _named(mask_mod, f"global_tokens({positions.tolist()})")


def attention_sinks(num_sinks: int, window: int) -> MaskMod:
    """The first ``num_sinks`` keys plus a causal sliding window of ``window`` keys.

    StreamingLLM's cache [xiao2024streamingllm]; with no sinks it is sliding_window.

    >>> materialize(attention_sinks(1, 1), 3, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0], [1, 0, 1]]
    """
    num_sinks = _size("num_sinks", num_sinks, 0)
    window = _size("window", window)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & ((kv_idx < num_sinks) | (q_idx - kv_idx < window))

    return _named(mask_mod, f"attention_sinks({num_sinks}, {window})")


def block_diagonal(block_size: int) -> MaskMod:
    """Bidirectional attention inside blocks of ``block_size`` tokens, none across.

    >>> materialize(block_diagonal(2), 3, 3).int().tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    block_size = _size("block_size", block_size)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return q_idx // block_size == kv_idx // block_size

    return _named(mask_mod, f"block_diagonal({block_size})")


def prefix_lm(prefix_len: int) -> MaskMod:
    """The first ``prefix_len`` keys are visible to every query; the rest is causal.

    The prefix LM of T5 and UniLM [raffel2020t5]; prefix 0 is the causal mask.

    >>> materialize(prefix_lm(2), 3, 3).int().tolist()
    [[1, 1, 0], [1, 1, 0], [1, 1, 1]]
    """
    prefix_len = _size("prefix_len", prefix_len, 0)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx < prefix_len) | (kv_idx <= q_idx)

    return _named(mask_mod, f"prefix_lm({prefix_len})")


def padding(lengths: Sequence[int]) -> MaskMod:
    """Key padding: in batch row b, only the first ``lengths[b]`` keys are real tokens.

    >>> materialize(padding([2]), 2, 3).int().tolist()
    [[1, 1, 0], [1, 1, 0]]
    """
    valid = _int_tensor("lengths", lengths, minimum=0)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return kv_idx < valid[b]

    return _named(mask_mod, f"padding({valid.tolist()})")
