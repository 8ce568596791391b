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

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int

MaskMod = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]


def _named(mask_mod: MaskMod, name: str) -> MaskMod:
    """Give a predicate a readable name, such as ``sliding_window(4)``, for titles."""
    mask_mod.__name__ = mask_mod.__qualname__ = name
    return mask_mod


def _int_tensor(name: str, values: Sequence[int], minimum: int) -> Tensor:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of integers, got {values!r}")
    if len(values) == 0:
        raise ValueError(
            f"{name} must hold at least one integer, got an empty sequence"
        )
    return torch.tensor(
        [check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(values)]
    )


def causal(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
    """Decoder self-attention: query i sees keys 0..i."""
    return kv_idx <= q_idx


def full(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
    """Encoder self-attention and cross-attention: every key is visible."""
    return (q_idx >= 0) & (kv_idx >= 0)


def sliding_window(window: int) -> MaskMod:
    """The last ``window`` keys, the query's own included: i − window < j ≤ i.

    This is the definition of Mistral and Hugging Face [jiang2023mistral].

    >>> materialize(sliding_window(2), 3, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    """
    window = check_int("window", window, minimum=1)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & (q_idx - kv_idx < window)

    return _named(mask_mod, f"sliding_window({window})")


def dilated_sliding_window(window: int, dilation: int) -> MaskMod:
    """``window`` keys spaced ``dilation`` apart: j = i, i − d, …, i − (window − 1)·d.

    Longformer's dilated window [beltagy2020longformer]; dilation 1 is sliding_window.

    >>> materialize(dilated_sliding_window(2, 2), 4, 4).int().tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    """
    window = check_int("window", window, minimum=1)
    dilation = check_int("dilation", dilation, minimum=1)

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
    stride = check_int("stride", stride, minimum=1)

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
    num_sinks = check_int("num_sinks", num_sinks, minimum=0)
    window = check_int("window", window, minimum=1)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & ((kv_idx < num_sinks) | (q_idx - kv_idx < window))

    return _named(mask_mod, f"attention_sinks({num_sinks}, {window})")


def block_diagonal(block_size: int) -> MaskMod:
    """Bidirectional attention inside blocks of ``block_size`` tokens, none across.

    >>> materialize(block_diagonal(2), 3, 3).int().tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    block_size = check_int("block_size", block_size, minimum=1)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return q_idx // block_size == kv_idx // block_size

    return _named(mask_mod, f"block_diagonal({block_size})")


def prefix_lm(prefix_len: int) -> MaskMod:
    """The first ``prefix_len`` keys are visible to every query; the rest is causal.

    The prefix LM of T5 and UniLM [raffel2020t5]; prefix 0 is the causal mask.

    >>> materialize(prefix_lm(2), 3, 3).int().tolist()
    [[1, 1, 0], [1, 1, 0], [1, 1, 1]]
    """
    prefix_len = check_int("prefix_len", prefix_len, minimum=0)

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


def and_masks(*mask_mods: MaskMod) -> MaskMod:
    """A pair is visible when every mask allows it."""
    return _combine(mask_mods, torch.logical_and, "and")


def or_masks(*mask_mods: MaskMod) -> MaskMod:
    """A pair is visible when any mask allows it."""
    return _combine(mask_mods, torch.logical_or, "or")


def _combine(mask_mods: tuple[MaskMod, ...], op: Callable, word: str) -> MaskMod:
    if not mask_mods:
        raise ValueError(f"{word}_masks needs at least one mask_mod, got none")
    for i, mask_mod in enumerate(mask_mods):
        check_callable(f"mask_mods[{i}]", mask_mod)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        result = mask_mods[0](b, h, q_idx, kv_idx)
        for other in mask_mods[1:]:
            result = op(result, other(b, h, q_idx, kv_idx))
        return result

    names = [getattr(m, "__name__", "mask_mod") for m in mask_mods]
    return _named(mask_mod, f" {word} ".join(names))


def materialize(
    mask_mod: MaskMod,
    q_len: int,
    kv_len: int,
    batch_size: int | None = None,
    num_heads: int | None = None,
) -> Tensor:
    """The dense bool mask: (q_len, kv_len) for batch row 0 and head 0, or, given
    ``batch_size`` or ``num_heads``, (batch_size, num_heads, q_len, kv_len).

    >>> materialize(causal, 2, 2).tolist()
    [[True, False], [True, True]]
    """
    check_callable("mask_mod", mask_mod)
    q_len = check_int("q_len", q_len, minimum=1)
    kv_len = check_int("kv_len", kv_len, minimum=1)
    B = 1 if batch_size is None else check_int("batch_size", batch_size, minimum=1)
    H = 1 if num_heads is None else check_int("num_heads", num_heads, minimum=1)
    b = torch.arange(B).view(B, 1, 1, 1)  # (B, 1, 1, 1)
    h = torch.arange(H).view(1, H, 1, 1)  # (1, H, 1, 1)
    q_idx = torch.arange(q_len).view(q_len, 1)  # (T_q, 1)
    kv_idx = torch.arange(kv_len).view(1, kv_len)  # (1, T_kv)
    try:
        mask = mask_mod(b, h, q_idx, kv_idx)
    except IndexError as error:  # e.g. padding() given fewer lengths than batch rows
        name = getattr(mask_mod, "__name__", "mask_mod")
        raise ValueError(
            f"{name} does not cover batch_size={B}, num_heads={H}: {error}"
        ) from error
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        got = getattr(mask, "dtype", type(mask).__name__)
        raise TypeError(f"mask_mod must return a bool tensor, got {got}")
    mask = mask.expand(B, H, q_len, kv_len)  # (B, H, T_q, T_kv)
    if batch_size is None and num_heads is None:
        return mask[0, 0].clone()
    return mask.clone()
