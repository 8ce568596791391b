"""The SwiGLU feed-forward layer [shazeer2020glu], as in Llama.

    FFN(x) = W_down (SiLU(W_gate x) ⊙ W_up x)

One projection, passed through SiLU, gates another elementwise; a third maps back to
the hidden size. The parameter names are Hugging Face's.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from llmviz._checks import check_int, checking
from llmviz._tensor_checks import check_dim, check_tensor


class SwiGLU(nn.Module):
    """hidden → intermediate (gated) → hidden.

    >>> import torch
    >>> SwiGLU(8, 16)(torch.randn(2, 3, 8)).shape
    torch.Size([2, 3, 8])
    """

    def __init__(self, hidden_size: int, intermediate_size: int) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1, maximum=1 << 16)
        check_int("intermediate_size", intermediate_size, minimum=1, maximum=1 << 18)
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)

    def _check(self, x: Tensor) -> None:
        check_tensor("x", x)
        if x.dim() == 0:
            raise ValueError("x must have at least 1 dimension, got a 0-d tensor")
        check_dim("x", x, -1, self.gate_proj.in_features, "hidden_size")
        if x.dtype != self.gate_proj.weight.dtype:
            raise TypeError(
                f"x must have the layer's dtype {self.gate_proj.weight.dtype}, "
                f"got {x.dtype}"
            )

    def forward(self, x: Tensor) -> Tensor:
        """(..., hidden_size) → (..., hidden_size)."""
        if checking():  # skipped inside TinyGPT, which checked its own input
            self._check(x)
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))
