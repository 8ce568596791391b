"""TinyGPT run with or without its causal mask: what "decoder-only" buys at inference.

With the causal mask, the state of token t at every layer is a function of tokens
0..t only. Appending a token therefore leaves every earlier state, and so every cached
key and value, exactly as it was: generation computes only the new token. Without the
mask (an encoder's bidirectional attention) each token reads the ones after it, so
one more token changes every earlier state in every layer above the first attention,
and the whole sequence must be run again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from llmviz._checks import check_bool

if TYPE_CHECKING:  # llmviz.models imports llmviz.moe: import it when called
    from llmviz.models.tinygpt import TinyGPT


def _run(
    model: TinyGPT, input_ids: Tensor, causal: bool, weights: bool
) -> tuple[Tensor, Tensor | None]:
    """(states (L + 1, B, T, D), attention weights (L, B, H, T, T) if ``weights``).
    Without weights, attention takes the model's own fast path, bit for bit."""
    from llmviz.models.tinygpt import TinyGPT

    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    model._check_ids(input_ids)
    causal = check_bool("causal", causal)
    positions = torch.arange(input_ids.shape[1])
    x = model.embed_tokens(input_ids)  # (B, T, D)
    if model.config.position_embedding == "learned":
        x, cos_sin = x + model._learned_positions(positions), None
    else:
        cos_sin = model._rotary(positions)
    states, attention = [x], []
    with torch.no_grad():
        for layer in model.layers:
            attended = layer.self_attn(
                layer.input_layernorm(x),
                position_embeddings=cos_sin,
                is_causal=causal,
                return_weights=weights,
            )
            if weights:
                attended, w = attended
                attention.append(w)  # (B, H, T, T)
            x = x + attended
            mixed = layer.mlp(layer.post_attention_layernorm(x))
            x = x + (mixed[0] if isinstance(mixed, tuple) else mixed)
            states.append(x)
    return torch.stack(states), torch.stack(attention) if weights else None


def tinygpt_states(model: TinyGPT, input_ids: Tensor, causal: bool = True) -> Tensor:
    """The residual stream after the embedding and after each layer: (L + 1, B, T, D).

    The layers of ``model`` run as TinyGPT's own forward runs them (x + attention(norm
    x), then + mlp(norm ·)), with ``is_causal=causal``; with ``causal=True`` the last
    state, normed and projected, gives the model's own logits.

    >>> from llmviz.models import TinyGPT, TinyGPTConfig
    >>> model = TinyGPT(TinyGPTConfig(vocab_size=50, hidden_size=16,
    ...                               num_hidden_layers=2, intermediate_size=32))
    >>> tinygpt_states(model, torch.tensor([[1, 2, 3]])).shape
    torch.Size([3, 1, 3, 16])
    """
    return _run(model, input_ids, causal, weights=False)[0]


def tinygpt_attention(model: TinyGPT, input_ids: Tensor, causal: bool = True) -> Tensor:
    """Each layer's attention weights softmax(q·kᵀ/√d), run as ``tinygpt_states``
    runs the layers: (L, B, H, T, T). Causal, each is lower-triangular with a positive
    diagonal, so det = Π_t A_tt > 0: full rank [dong2021rankcollapse].

    >>> from llmviz.models import TinyGPT, TinyGPTConfig
    >>> model = TinyGPT(TinyGPTConfig(vocab_size=50, hidden_size=16,
    ...                               num_hidden_layers=2, intermediate_size=32))
    >>> tinygpt_attention(model, torch.tensor([[1, 2, 3]]))[0, 0, 0, 0].tolist()
    [1.0, 0.0, 0.0]
    """
    return _run(model, input_ids, causal, weights=True)[1]
