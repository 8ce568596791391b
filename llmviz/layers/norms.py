"""Root-mean-square layer normalisation [zhang2019rmsnorm].

    RMSNorm(x) = w ⊙ x / sqrt(mean(x²) + eps)

Unlike LayerNorm it neither subtracts the mean nor adds a bias. As in Hugging Face's
Llama, the statistics are computed in float32 whatever the input's dtype.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real, checking
from llmviz._tensor_checks import check_dim, check_tensor

MAX_HIDDEN = 1 << 20


class RMSNorm(nn.Module):
    """RMSNorm over the last dimension, with a learned gain ``weight`` starting at 1.

    >>> norm = RMSNorm(2)
    >>> norm(torch.tensor([[3.0, 4.0]])).tolist()  # rms = sqrt((9 + 16) / 2)
    [[0.8485..., 1.1313...]]
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_HIDDEN)
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = check_real("eps", eps, 0, 1, open_min=True)

    def forward(self, hidden_states: Tensor) -> Tensor:
        """(..., hidden_size) → the same shape, normalised over the last dimension."""
        checked = checking()  # False inside TinyGPT, which checked its own input
        if checked:  # NaN and inf: found below, in the mean squares (one per row)
            check_tensor("hidden_states", hidden_states, finite=False)
            if hidden_states.dim() == 0:
                message = "hidden_states must have at least 1 dimension, got 0-d"
                raise ValueError(message)
            size = self.weight.shape[0]
            check_dim("hidden_states", hidden_states, -1, size, "hidden_size")
        dtype = hidden_states.dtype
        x = hidden_states.to(torch.float32)
        mean_square = x.pow(2).mean(-1, keepdim=True)  # NaN or inf if any x is
        if checked and not math.isfinite(mean_square.max().item()):  # max keeps NaN
            raise ValueError(
                "hidden_states must be finite (no NaN or inf, and no value whose "
                "square overflows float32)"
            )
        x = x * torch.rsqrt(mean_square + self.variance_epsilon)
        return self.weight * x.to(dtype)
