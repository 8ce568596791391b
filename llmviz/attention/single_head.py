"""One attention head, for self-attention and for cross-attention.

In self-attention, queries, keys and values are all projections of the same sequence
x, so the weights are (T, T). In cross-attention, the link between the encoder and the
decoder of the original Transformer [vaswani2017attention], the queries come from the
decoder's x and the keys and values from the encoder's output ``context``, so the
weights are (T_decoder, T_encoder). The module is the same; only the source of k and v
changes.
"""

from __future__ import annotations

from torch import Tensor, nn

from llmviz._checks import check_int
from llmviz.attention._validate import MAX_DIM, check_hidden, check_mask
from llmviz.attention.sdpa import attend


class SingleHeadAttention(nn.Module):
    """q = x W_q, k = c W_k, v = c W_v, with c the context (else x), then attention.

    >>> import torch
    >>> head = SingleHeadAttention(hidden_size=8, head_dim=4)
    >>> out, weights = head(torch.randn(1, 5, 8), context=torch.randn(1, 7, 8))
    >>> tuple(out.shape), tuple(weights.shape)
    ((1, 5, 4), (1, 5, 7))
    """

    def __init__(
        self, hidden_size: int, head_dim: int, context_size: int | None = None
    ) -> None:
        super().__init__()
        hidden_size = check_int("hidden_size", hidden_size, 1, MAX_DIM)
        head_dim = check_int("head_dim", head_dim, 1, MAX_DIM)
        if context_size is None:
            context_size = hidden_size
        context_size = check_int("context_size", context_size, 1, MAX_DIM)
        self.q_proj = nn.Linear(hidden_size, head_dim, bias=False)
        self.k_proj = nn.Linear(context_size, head_dim, bias=False)
        self.v_proj = nn.Linear(context_size, head_dim, bias=False)

    def forward(
        self, x: Tensor, context: Tensor | None = None, attn_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """x (B, T_q, hidden_size), context (B, T_kv, context_size) or None
        -> output (B, T_q, head_dim), weights (B, T_q, T_kv)."""
        source = x if context is None else context
        _check_inputs(self, x, source, attn_mask)
        q = self.q_proj(x)  # (B, T_q, D)
        k, v = self.k_proj(source), self.v_proj(source)  # (B, T_kv, D)
        return attend(q, k, v, attn_mask=attn_mask, return_weights=True)


def _check_inputs(
    head: SingleHeadAttention, x: Tensor, source: Tensor, attn_mask: Tensor | None
) -> None:
    """x and the source of keys and values fit the projections and each other."""
    dtype = head.q_proj.weight.dtype
    check_hidden("x", x, head.q_proj.in_features, dtype)
    check_hidden("context", source, head.k_proj.in_features, dtype, "context_size")
    if source.shape[0] != x.shape[0]:
        raise ValueError(
            f"context must have the batch size of x, {x.shape[0]}, got shape "
            f"{tuple(source.shape)}"
        )
    check_mask(attn_mask, False, (x.shape[0],), x.shape[1], source.shape[1], dtype)
