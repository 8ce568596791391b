"""The sparse mixture-of-experts layer of Mixtral [jiang2024mixtral].

    y = Σ_{e ∈ top-k(x)} w_e(x) · SwiGLU_e(x)

A router scores each token against E experts, the k best each process the token,
and their outputs are summed with the router's weights. Every expert is a SwiGLU
feed-forward layer, stored fused as Hugging Face transformers 5 stores Mixtral's:
``experts.gate_up_proj`` (E, 2I, D) holds each expert's gate and up projections
stacked, ``experts.down_proj`` (E, D, I) its down projection, so a state dict loads
from ``MixtralSparseMoeBlock``.
Simplified: no router jitter noise, no capacity limit, no load-balancing loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llmviz._checks import check_bool, check_int, checking
from llmviz._tensor_checks import check_tensor
from llmviz.moe.routing import route

DISPATCHES = ("grouped", "loop")
MAX_EXPERT_WEIGHTS = 2**31  # E · 3 · D · I: Mixtral-8x7B's layer holds 1.4e9


class FusedExperts(nn.Module):
    """E SwiGLU experts held as two 3-D tensors (Hugging Face's layout and names)."""

    def __init__(
        self, num_experts: int, hidden_size: int, intermediate_size: int
    ) -> None:
        super().__init__()
        E, D, inner = num_experts, hidden_size, intermediate_size
        self.gate_up_proj = nn.Parameter(torch.empty(E, 2 * inner, D))  # gate | up
        self.down_proj = nn.Parameter(torch.empty(E, D, inner))
        # nn.Linear's default: uniform in ±1/√fan_in
        nn.init.uniform_(self.gate_up_proj, -1 / math.sqrt(D), 1 / math.sqrt(D))
        nn.init.uniform_(self.down_proj, -1 / math.sqrt(inner), 1 / math.sqrt(inner))

    def forward(self, expert: int, x: Tensor) -> Tensor:
        """Expert ``expert`` applied to tokens x (..., D): down(SiLU(gate x) ⊙ up x)."""
        gate, up = F.linear(x, self.gate_up_proj[expert]).chunk(2, dim=-1)  # (..., I)
        return F.linear(F.silu(gate) * up, self.down_proj[expert])  # (..., D)

    def _forward_into(self, expert: int, x: Tensor, out: Tensor) -> Tensor:
        """``forward(expert, x)`` for tokens x (n, D), written into ``out`` (n, D), for
        inference (no gradient): the gate and up projections as two matrix products
        (one of 2I columns ran slower, measured on CPU), the activation in place. The
        same sums, which BLAS may round differently: equal to ``forward`` within float
        rounding.

        >>> experts = FusedExperts(2, 4, 3)
        >>> x = torch.randn(5, 4)
        >>> with torch.no_grad():
        ...     into = experts._forward_into(1, x, torch.empty(5, 4))
        ...     torch.allclose(into, experts(1, x), atol=1e-6)
        True
        """
        inner = self.down_proj.shape[-1]
        gate = F.silu(F.linear(x, self.gate_up_proj[expert, :inner]), inplace=True)
        gate.mul_(F.linear(x, self.gate_up_proj[expert, inner:]))  # SiLU(gate x) ⊙ up x
        return torch.mm(gate, self.down_proj[expert].t(), out=out)


class SparseMoeBlock(nn.Module):
    """A router ``gate`` (D → E, no bias) and E SwiGLU ``experts``; each token uses k.

    ``forward`` returns the output (B, T, D) and the router logits (B·T, E); the
    routing is Mixtral's (``llmviz.moe.routing.route``).

    >>> block = SparseMoeBlock(8, 16, num_experts=4, num_experts_per_tok=2)
    >>> out, router_logits = block(torch.randn(2, 3, 8))
    >>> tuple(out.shape), tuple(router_logits.shape)
    ((2, 3, 8), (6, 4))
    """

    def __init__(
        self,
        hidden_size: int,
        intermediate_size: int,
        num_experts: int,
        num_experts_per_tok: int,
        norm_topk_prob: bool = True,
    ) -> None:
        super().__init__()
        self.hidden_size = check_int("hidden_size", hidden_size, 1, 65536)
        check_int("intermediate_size", intermediate_size, 1, 262144)
        self.num_experts = check_int("num_experts", num_experts, 1, 4096)
        self.top_k = check_int("num_experts_per_tok", num_experts_per_tok, minimum=1)
        if self.top_k > self.num_experts:
            raise ValueError(
                f"num_experts_per_tok must be at most num_experts = {num_experts}, "
                f"got {num_experts_per_tok}"
            )
        weights = 3 * num_experts * hidden_size * intermediate_size
        if weights > MAX_EXPERT_WEIGHTS:
            raise ValueError(
                f"num_experts · 3 · hidden_size · intermediate_size must be at most "
                f"{MAX_EXPERT_WEIGHTS} weights, got {weights} ({num_experts}, "
                f"{hidden_size}, {intermediate_size})"
            )
        self.norm_topk_prob = check_bool("norm_topk_prob", norm_topk_prob)
        self.gate = nn.Linear(hidden_size, num_experts, bias=False)
        self.experts = FusedExperts(num_experts, hidden_size, intermediate_size)

    def _check(self, hidden_states: Tensor) -> None:
        check_tensor("hidden_states", hidden_states, ranks=None)
        if hidden_states.dim() != 3 or hidden_states.shape[-1] != self.hidden_size:
            raise ValueError(
                f"hidden_states must be (batch, seq, hidden_size={self.hidden_size}), "
                f"got shape {tuple(hidden_states.shape)}"
            )
        autocast = torch.is_autocast_enabled(hidden_states.device.type)
        if hidden_states.dtype != self.gate.weight.dtype and not autocast:
            raise TypeError(
                f"hidden_states must have the layer's dtype {self.gate.weight.dtype}, "
                f"got {hidden_states.dtype}"
            )

    def forward(
        self, hidden_states: Tensor, dispatch: str = "grouped"
    ) -> tuple[Tensor, Tensor]:
        """Route each token of (B, T, D) to its k experts; ``dispatch`` picks how.

        ``hidden_states`` must be finite and of the layer's dtype."""
        if dispatch not in DISPATCHES:
            raise ValueError(f"dispatch must be one of {DISPATCHES}, got {dispatch!r}")
        if checking():  # skipped inside TinyGPT, which checked its own input
            self._check(hidden_states)
        B, T, D = hidden_states.shape
        x = hidden_states.reshape(B * T, D)  # (B·T, D): tokens, batch or not
        router_logits = self.gate(x)  # (B·T, E)
        weights, experts = route(router_logits, self.top_k, self.norm_topk_prob)
        combine = grouped_dispatch if dispatch == "grouped" else loop_dispatch
        out = combine(x, weights, experts, self.experts)  # (B·T, D)
        return out.reshape(B, T, D), router_logits


def loop_dispatch(
    x: Tensor, weights: Tensor, experts: Tensor, expert_fn: FusedExperts
) -> Tensor:
    """The textbook reference: for each token and each of its k experts, add
    w · expert(x).

    x (T, D); weights, experts (T, k). One small matrix-vector product at a time: slow.
    """
    out = torch.zeros_like(x)  # (T, D)
    for t in range(x.shape[0]):
        for w, e in zip(weights[t], experts[t].tolist(), strict=True):
            out[t] += (w * expert_fn(e, x[t])).to(x.dtype)
    return out


def grouped_dispatch(
    x: Tensor, weights: Tensor, experts: Tensor, expert_fn: FusedExperts
) -> Tensor:
    """Sort the (token, slot) pairs by expert, run each expert once on all its tokens,
    and add the weighted results back to their tokens (``index_add_``).

    x (T, D); weights, experts (T, k). E matrix-matrix products instead of T·k. The
    tokens are gathered once, already in expert order, so that each expert reads and
    writes one contiguous slice (``FusedExperts._forward_into`` without gradients), and
    one ``index_add_`` adds every result back, in expert order for each token, as a
    loop over the experts would.
    """
    k = experts.shape[1]
    flat_experts = experts.reshape(-1)  # (T·k,): slot s is token s // k
    order = flat_experts.argsort(stable=True)  # slots grouped by expert
    counts = torch.bincount(flat_experts, minlength=expert_fn.down_proj.shape[0])
    tokens = order // k  # (T·k,): the token of each slot, in expert order
    inputs = x[tokens]  # (T·k, D), one gather: expert e's tokens are one slice
    outputs = torch.empty_like(inputs)  # (T·k, D)
    start = 0
    for e, count in enumerate(counts.tolist()):
        if count:  # else no token chose this expert
            end = start + count
            if torch.is_grad_enabled():  # out= has no gradient: the plain products
                outputs[start:end] = expert_fn(e, inputs[start:end])
            else:
                expert_fn._forward_into(e, inputs[start:end], outputs[start:end])
            start = end
    weighted = outputs * weights.reshape(-1, 1)[order]  # (T·k, D)
    return torch.zeros_like(x).index_add_(0, tokens, weighted.to(x.dtype))
