"""Evaluating a ``mask_mod`` on whole grids of indices (the dense bool mask that the
book draws and passes to SDPA, and the check that a predicate gives bools at all), and
combining masks with ``and_masks`` and ``or_masks``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.attention._validate import MAX_HEADS, MAX_SEQ_LEN, check_cells

MaskMod = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]
MAX_BATCH = 1 << 16


def _named(mask_mod: MaskMod, name: str) -> MaskMod:
    """Give a predicate a readable name, such as ``sliding_window(4)``, for titles."""
    mask_mod.__name__ = mask_mod.__qualname__ = name
    return mask_mod


def _evaluate(mask_mod: MaskMod, B: int, H: int, q_len: int, kv_len: int) -> Tensor:
    """mask_mod on the grid (B, H, q_len, kv_len), broadcast; a clear error if it
    does not give a bool tensor."""
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
    return mask


def check_mask_mod(mask_mod: MaskMod, batch_size: int = 1, num_heads: int = 1) -> None:
    """``TypeError``/``ValueError`` unless ``mask_mod`` is callable and gives a bool
    tensor for every batch row and head (tried on one query and one key)."""
    check_callable("mask_mod", mask_mod)
    _evaluate(mask_mod, batch_size, num_heads, 1, 1)


def and_masks(*mask_mods: MaskMod) -> MaskMod:
    """A pair is visible when every mask allows it."""
    return _combine(mask_mods, torch.logical_and, "and")


def or_masks(*mask_mods: MaskMod) -> MaskMod:
    """A pair is visible when any mask allows it."""
    return _combine(mask_mods, torch.logical_or, "or")


def _combine(mask_mods: tuple[MaskMod, ...], op: Callable, word: str) -> MaskMod:
    if not mask_mods:
        raise ValueError(f"{word}_masks needs at least one of mask_mods, got none")
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

    >>> materialize(lambda b, h, q_idx, kv_idx: kv_idx <= q_idx, 2, 2).tolist()
    [[True, False], [True, True]]
    """
    check_callable("mask_mod", mask_mod)
    q_len = check_int("q_len", q_len, minimum=1, maximum=MAX_SEQ_LEN)
    kv_len = check_int("kv_len", kv_len, minimum=1, maximum=MAX_SEQ_LEN)
    B = 1 if batch_size is None else check_int("batch_size", batch_size, 1, MAX_BATCH)
    H = 1 if num_heads is None else check_int("num_heads", num_heads, 1, MAX_HEADS)
    check_cells("the dense mask", batch_size=B, num_heads=H, q_len=q_len, kv_len=kv_len)
    mask = _evaluate(mask_mod, B, H, q_len, kv_len)
    try:
        mask = mask.expand(B, H, q_len, kv_len)  # (B, H, T_q, T_kv)
    except RuntimeError:
        raise ValueError(
            f"mask_mod must return a mask that broadcasts to (batch_size, num_heads, "
            f"q_len, kv_len) = {(B, H, q_len, kv_len)}, got {tuple(mask.shape)}"
        ) from None
    if batch_size is None and num_heads is None:
        return mask[0, 0].clone()
    return mask.clone()
