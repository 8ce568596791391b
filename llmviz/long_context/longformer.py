"""Longformer's self-attention [beltagy2020longformer]: a symmetric sliding window,
optionally dilated, plus global tokens with projections of their own.

- Every token attends to the w/2 tokens on each side of it (``attention_window`` = w,
  as in Hugging Face's config), spaced ``dilation`` apart, and to every global token,
  with the local projections Q_s, K_s, V_s (``query``, ``key``, ``value``).
- A global token attends to every token with its own projections Q_g, K_g, V_g
  (``query_global``, ``key_global``, ``value_global``), and its output is that.

The window is symmetric, not causal: Longformer is an encoder (RoBERTa's successor).
The names of the parameters are Hugging Face's ``LongformerSelfAttention``'s, so
``load_state_dict`` copies its weights; unlike it, no sequence length needs to be a
multiple of the window, and dilation is supported (Hugging Face has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from llmviz._checks import check_int
from llmviz._tensor_checks import check_same, check_tensor
from llmviz.attention import masks
from llmviz.attention._validate import MAX_DIM, MAX_HEADS, check_hidden
from llmviz.attention.mask_grid import MaskMod, _named, materialize
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_dense, check_fits


def _window(attention_window: Any) -> int:
    window = check_int("attention_window", attention_window, 2, 1 << 20)
    if window % 2:
        raise ValueError(
            f"attention_window must be even (w/2 keys on each side), got {window}"
        )
    return window


def symmetric_window(attention_window: int, dilation: int = 1) -> MaskMod:
    """w/2 keys on each side of the query, ``dilation`` apart, the query included:
    |i − j| ≤ (w/2)·d and d divides i − j.

    >>> materialize(symmetric_window(2), 3, 3).int().tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    """
    half = _window(attention_window) // 2
    dilation = check_int("dilation", dilation, minimum=1, maximum=1 << 20)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        distance = (q_idx - kv_idx).abs()
        return (distance <= half * dilation) & (distance % dilation == 0)

    return _named(mask_mod, f"symmetric_window({2 * half}, {dilation})")


def longformer_mask(
    attention_window: int, dilation: int = 1, global_indices: Sequence[int] = ()
) -> MaskMod:
    """The symmetric window, or the rows and columns of the global tokens.

    >>> materialize(longformer_mask(2, global_indices=(0,)), 4, 4).int().tolist()
    [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 1, 1]]
    """
    window = symmetric_window(attention_window, dilation)
    if isinstance(global_indices, (str, bytes)) or not isinstance(
        global_indices, Sequence
    ):
        raise TypeError(
            f"global_indices must be a sequence of integers, got {global_indices!r:.60}"
        )
    if len(global_indices) == 0:
        return window
    for i, index in enumerate(global_indices):
        check_int(f"global_indices[{i}]", index, minimum=0, maximum=1 << 20)
    return masks.or_masks(window, masks.global_tokens(global_indices))


class LongformerAttention(nn.Module):
    """Longformer self-attention, (B, T, hidden) → (B, T, hidden) (before the output
    projection, like Hugging Face's ``LongformerSelfAttention``).

    >>> attention = LongformerAttention(16, 2, attention_window=4)
    >>> x, first = torch.randn(1, 8, 16), torch.tensor([[1, 0, 0, 0, 0, 0, 0, 0]])
    >>> attention(x, global_attention_mask=first).shape
    torch.Size([1, 8, 16])
    """

    def __init__(
        self,
        hidden_size: int,
        num_attention_heads: int,
        attention_window: int,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        hidden_size = check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_DIM)
        heads = check_int("num_attention_heads", num_attention_heads, 1, MAX_HEADS)
        if hidden_size % heads:
            raise ValueError(
                f"num_attention_heads must divide hidden_size {hidden_size}, "
                f"got {heads}"
            )
        self.window = symmetric_window(attention_window, dilation)
        self.attention_window, self.dilation = attention_window, dilation
        self.hidden_size, self.num_heads = hidden_size, heads
        self.head_dim = hidden_size // heads
        for name in ("query", "key", "value",
                     "query_global", "key_global", "value_global"):  # fmt: skip
            setattr(self, name, nn.Linear(hidden_size, hidden_size))

    def _heads(self, x: Tensor) -> Tensor:
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.num_heads, self.head_dim).transpose(1, 2)

    def _flags(self, name: str, value: Any, hidden_states: Tensor) -> Tensor:
        shape = hidden_states.shape[:2]
        if value is None:
            return torch.full(shape, name == "attention_mask", dtype=torch.bool)
        check_tensor(name, value, ranks=(2,), floating=False)
        check_same(name, value, "hidden_states[..., 0]", hidden_states[..., 0])
        if not bool(((value == 0) | (value == 1)).all()):
            raise ValueError(f"{name} must hold only 0 and 1, got {value.unique()}")
        return value.bool()

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        global_attention_mask: Tensor | None = None,
    ) -> Tensor:
        """``attention_mask`` (B, T): 1 for real tokens, 0 for padding;
        ``global_attention_mask`` (B, T): 1 for global tokens. Padding gives zeros."""
        check_hidden("hidden_states", hidden_states, self.hidden_size,
                     self.query.weight.dtype)  # fmt: skip
        real = self._flags("attention_mask", attention_mask, hidden_states)
        glob = self._flags("global_attention_mask", global_attention_mask,
                           hidden_states) & real  # fmt: skip
        seq_len = hidden_states.shape[1]
        check_fits("attention_window", self.attention_window, seq_len, divides=False)
        check_dense("the attention mask", hidden_states.shape[:1], q_len=seq_len,
                    kv_len=seq_len)  # fmt: skip
        local = materialize(self.window, seq_len, seq_len)  # (T, T)
        keys = (local | glob[:, None, :]) & real[:, None, :]  # (B, T, T)
        out = self._attend(hidden_states, "", keys.unsqueeze(1))  # (B, H, T, D)
        out_global = self._attend(hidden_states, "_global", real[:, None, None, :])
        out = torch.where(glob[:, None, :, None], out_global, out)
        out = torch.where(real[:, None, :, None], out, torch.zeros_like(out))
        return out.transpose(1, 2).flatten(2)  # (B, T, hidden)

    def _attend(self, x: Tensor, kind: str, mask: Tensor) -> Tensor:
        """Attention with the local (kind "") or global ("_global") projections."""
        q, k, v = (self._heads(getattr(self, name + kind)(x))
                   for name in ("query", "key", "value"))  # fmt: skip
        return attend(q, k, v, mask)  # (B, H, T, D)
