"""The whole decoder block, in order [touvron2023llama]: chapter 3's attention and
chapter 5's RMSNorm and SwiGLU around two Pre-Norm residuals.

    h = x + Attention(RMSNorm(x))
    y = h + SwiGLU(RMSNorm(h))

Attention is the only place tokens exchange information; the FFN computes on each
token alone. The parameter names are TinyGPT's (and HF ``LlamaDecoderLayer``'s), so
one TinyGPT layer's weights load into it.
"""

from __future__ import annotations

from torch import Tensor, nn

from llmviz._checks import check_int, check_real, checking
from llmviz._tensor_checks import check_tensor
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.layers.ffn import SwiGLU
from llmviz.layers.norms import RMSNorm

STAGES = ("input", "normed", "attention", "residual 1", "normed 2", "ffn", "output")


class DecoderBlock(nn.Module):
    """One Pre-Norm decoder block: (B, T, hidden) → (B, T, hidden), causal.

    >>> import torch
    >>> DecoderBlock(8, 2, 16)(torch.randn(1, 3, 8)).shape
    torch.Size([1, 3, 8])
    """

    def __init__(
        self, hidden_size: int, num_attention_heads: int, intermediate_size: int,
        num_key_value_heads: int | None = None, rms_norm_eps: float = 1e-5,
    ) -> None:  # fmt: skip
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1, maximum=1 << 16)
        check_real("rms_norm_eps", rms_norm_eps, 0, 1, open_min=True)
        self.input_layernorm = RMSNorm(hidden_size, rms_norm_eps)
        self.self_attn = GroupedQueryAttention(
            hidden_size, num_attention_heads, num_key_value_heads
        )
        self.post_attention_layernorm = RMSNorm(hidden_size, rms_norm_eps)
        self.mlp = SwiGLU(hidden_size, intermediate_size)

    def _check(self, x: Tensor) -> None:
        check_tensor("x", x, ranks=(3,))
        size = self.input_layernorm.weight.shape[0]
        if x.shape[-1] != size:
            raise ValueError(
                f"x must have hidden_size={size} features in its last dimension, "
                f"got shape {tuple(x.shape)}"
            )

    def trace(
        self, x: Tensor, position_embeddings: tuple[Tensor, Tensor] | None = None
    ) -> dict[str, Tensor]:
        """Every intermediate tensor of the forward pass, named as in ``STAGES``."""
        if checking():
            self._check(x)
        out = {"input": x, "normed": self.input_layernorm(x)}
        out["attention"] = self.self_attn(
            out["normed"], position_embeddings=position_embeddings, is_causal=True
        )
        out["residual 1"] = x + out["attention"]
        out["normed 2"] = self.post_attention_layernorm(out["residual 1"])
        out["ffn"] = self.mlp(out["normed 2"])
        out["output"] = out["residual 1"] + out["ffn"]
        return out

    def forward(
        self, x: Tensor, position_embeddings: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        """(B, T, hidden) → (B, T, hidden); ``position_embeddings`` is RoPE's
        (cos, sin), each (B, T, head_dim), or None for no rotation."""
        return self.trace(x, position_embeddings)["output"]
