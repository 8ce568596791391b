"""The receptive field of stacked sparse layers: which input tokens can reach a
position's output after L layers.

One layer with mask M lets position i read position j when M[i, j]; the residual stream
keeps i's own state too, so one layer's reach is R₁ = M ∨ I, and L layers compose as
boolean matrix products:

    R_L = (M_L ∨ I) · … · (M_1 ∨ I)          (· is the boolean product: OR of ANDs)

A causal window of W keys reaches W − 1 further back each layer, so after L layers a
token sees L·(W − 1) + 1 tokens: the "≈ L·w" rule that Longformer gives
[beltagy2020longformer]. Masks with holes (dilated, strided) do not follow the rule:
here it is computed, not assumed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.attention.mask_grid import MaskMod, check_mask_mod, materialize
from llmviz.long_context._validate import check_dense

MAX_LAYERS = 64
MAX_GRID = 4096  # the side of the reach matrix


def _layers(mask_mods: MaskMod | Sequence[MaskMod], num_layers: int | None):
    if callable(mask_mods):
        count = check_int("num_layers", num_layers, minimum=1, maximum=MAX_LAYERS)
        return [mask_mods] * count
    if isinstance(mask_mods, (str, bytes)) or not isinstance(mask_mods, Sequence):
        raise TypeError(
            "mask_mods must be a mask_mod or a sequence of them (one per layer), "
            f"got {type(mask_mods).__name__}"
        )
    if not 1 <= len(mask_mods) <= MAX_LAYERS:
        raise ValueError(f"mask_mods must hold 1 to {MAX_LAYERS}, got {len(mask_mods)}")
    if num_layers is not None:
        raise ValueError(
            f"num_layers must be None when mask_mods lists the layers, got {num_layers}"
        )
    return list(mask_mods)


def receptive_field(
    mask_mods: MaskMod | Sequence[MaskMod], seq_len: int, num_layers: int | None = None
) -> Tensor:
    """Bool (T, T): True where input token j reaches the output at position i after the
    layers. ``mask_mods`` is one mask for ``num_layers`` layers, or one mask per layer
    (the first layer first).

    >>> from llmviz.attention import masks
    >>> receptive_field(masks.sliding_window(2), 4, num_layers=2).int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    """
    layers = _layers(mask_mods, num_layers)
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_GRID)
    check_dense("the reach matrix", (), q_len=seq_len, kv_len=seq_len)
    for i, mask_mod in enumerate(layers):
        try:
            check_mask_mod(mask_mod)
        except (TypeError, ValueError) as error:
            name = "mask_mods" if callable(mask_mods) else f"mask_mods[{i}]"
            raise type(error)(f"{name}: {error}") from None
    identity = torch.eye(seq_len, dtype=torch.bool)
    reach = identity.float()  # (T, T): before any layer, each token has itself
    for mask_mod in layers:
        step = materialize(mask_mod, seq_len, seq_len) | identity  # (T, T)
        reach = (step.float() @ reach).clamp_(max=1.0)  # boolean product, in 0/1
    return reach.bool()


def tokens_seen(
    mask_mod: MaskMod, seq_len: int, num_layers: int, position: int | None = None
) -> list[int]:
    """How many input tokens reach ``position`` (the last token by default) after
    1, 2, …, ``num_layers`` layers of ``mask_mod``.

    >>> from llmviz.attention import masks
    >>> tokens_seen(masks.sliding_window(4), 64, num_layers=3)
    [4, 7, 10]
    """
    check_mask_mod(mask_mod)
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_GRID)
    num_layers = check_int("num_layers", num_layers, minimum=1, maximum=MAX_LAYERS)
    if position is None:
        position = seq_len - 1
    position = check_int("position", position, minimum=0, maximum=seq_len - 1)
    step = materialize(mask_mod, seq_len, seq_len)
    step = step.fill_diagonal_(True).float()  # (T, T) in 0/1, the residual included
    seen = torch.zeros(seq_len)
    seen[position] = 1.0  # a row: the positions this output depends on so far
    counts = []
    for _ in range(num_layers):
        seen = (seen @ step).clamp_(max=1.0)  # (T,): one more layer back
        counts.append(int(seen.count_nonzero()))
    return counts
