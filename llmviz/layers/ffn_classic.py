"""The classic feed-forward layer of the Transformer [vaswani2017attention]:

    FFN(x) = max(0, x W₁ + b₁) W₂ + b₂

Two linear maps with an activation between them, widening the hidden size d to an
intermediate size (4d in the original) and back. It acts on each token's vector alone:
attention lets tokens exchange information, the FFN then computes on what each token
gathered. The parameter names are Hugging Face's ``GPTNeoXMLP``, so its weights load
with ``load_state_dict``; ``activation`` is any name in
``llmviz.layers.activations.ACTIVATIONS`` except softmax.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, checking
from llmviz._tensor_checks import check_dim, check_tensor
from llmviz.layers.activations import _FUNCTIONS, _params

MAX_HIDDEN, MAX_INTERMEDIATE = 1 << 16, 1 << 18


class ClassicFFN(nn.Module):
    """hidden → intermediate → activation → hidden, with biases.

    >>> ClassicFFN(8, 32)(torch.randn(2, 3, 8)).shape
    torch.Size([2, 3, 8])
    """

    def __init__(
        self,
        hidden_size: int,
        intermediate_size: int,
        activation: str = "relu",
        **params: float,
    ) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_HIDDEN)
        check_int("intermediate_size", intermediate_size, 1, MAX_INTERMEDIATE)
        self.params = _params(activation, params, "activation")
        if activation == "softmax":
            raise ValueError("activation must be elementwise, got 'softmax'")
        self.activation = activation
        self.dense_h_to_4h = nn.Linear(hidden_size, intermediate_size)  # W₁, b₁
        self.dense_4h_to_h = nn.Linear(intermediate_size, hidden_size)  # W₂, b₂

    def forward(self, hidden_states: Tensor) -> Tensor:
        """(..., hidden_size) → (..., hidden_size), each token on its own."""
        if checking():
            check_tensor("hidden_states", hidden_states)
            if hidden_states.dim() == 0:
                message = "hidden_states must have at least 1 dimension, got 0-d"
                raise ValueError(message)
            size = self.dense_h_to_4h.in_features
            check_dim("hidden_states", hidden_states, -1, size, "hidden_size")
        inner = self.dense_h_to_4h(hidden_states)  # (..., intermediate_size)
        act = _FUNCTIONS[self.activation][0]  # the closed form, checked above
        return self.dense_4h_to_h(act(inner, **self.params))


def per_token_change(
    layer: nn.Module, hidden_states: Tensor, position: int = 0, seed: int = 0
) -> Tensor:
    """Replace token ``position`` of ``hidden_states`` (batch, seq, hidden) by a seeded
    random vector and return, for each position, the largest change in ``layer``'s
    output there, shape (seq,). A layer that computes on each token alone (an FFN)
    changes only ``position``; one that mixes tokens (attention) changes the others.

    >>> per_token_change(ClassicFFN(4, 8), torch.randn(1, 3, 4), position=1)[[0, 2]]
    tensor([0., 0.])
    """
    if not isinstance(layer, nn.Module):
        raise TypeError(f"layer must be a torch nn.Module, got {type(layer).__name__}")
    check_tensor("hidden_states", hidden_states, ranks=(3,))
    check_int("position", position, 0, hidden_states.shape[1] - 1)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    changed = hidden_states.clone()  # (B, T, hidden)
    changed[:, position] = torch.randn(changed[:, position].shape, generator=g)
    with torch.no_grad():
        before, after = layer(hidden_states), layer(changed)
    if isinstance(before, tuple):  # modules that also return weights or a cache
        before, after = before[0], after[0]
    return (after - before).abs().amax(dim=(0, 2))  # (T,)


def other_tokens_change(
    layer: nn.Module, hidden_states: Tensor, position: int = 0, seed: int = 0
) -> float:
    """The largest of ``per_token_change`` away from ``position``: 0 for a layer that
    computes on each token alone.

    >>> other_tokens_change(ClassicFFN(4, 8), torch.randn(1, 3, 4))
    0.0
    """
    change = per_token_change(layer, hidden_states, position, seed)
    others = torch.cat([change[:position], change[position + 1 :]])
    return float(others.max()) if len(others) else 0.0
