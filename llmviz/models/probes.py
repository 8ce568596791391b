"""What a trained TinyGPT does inside: its attention maps, the attention mass it puts on
the first token (the attention sink [xiao2024streamingllm]), and its output gates.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz.models.pretrained import BOS_TOKEN
from llmviz.models.tinygpt import TinyGPT
from llmviz.tokenization.bpe import BPE, readable


def with_bos(tokenizer: BPE, text: str) -> Tensor:
    """(1, T) ids: ``<|endoftext|>`` and then ``text``, as TinyGPT was trained."""
    return torch.tensor([[tokenizer.ids[BOS_TOKEN], *tokenizer.encode(text)]])


@torch.no_grad()
def attention_maps(
    model: TinyGPT, tokenizer: BPE, text: str
) -> tuple[list[str], Tensor]:
    """The tokens of ``text`` after BOS, and every head's weights (layers, H, T, T).

    >>> from llmviz.models import load_tinygpt
    >>> tokens, maps = attention_maps(*load_tinygpt(), "Hello")
    >>> tokens[0], maps.shape[:2], maps[0, 0].sum(-1).allclose(torch.ones(len(tokens)))
    ('<|endoftext|>', torch.Size([4, 4]), True)
    """
    ids = with_bos(tokenizer, text)
    _, attentions = model(ids, output_attentions=True)
    tokens = [readable(tokenizer.vocab[i]) for i in ids[0].tolist()]
    return tokens, torch.stack([a[0] for a in attentions])


@torch.no_grad()
def first_token_mass(model: TinyGPT, rows: Tensor) -> Tensor:
    """The weight each query puts on position 0, per layer and head: (layers, H, T).

    ``rows`` (B, T) are token sequences, and the mean is over them. Query 0 can only
    see itself, so its entry is 1; a head that spread its weight evenly would give
    query i 1 / (i + 1).
    """
    if rows.dim() != 2 or rows.shape[1] < 2:
        raise ValueError(
            f"rows must be (batch, seq) with seq >= 2, got shape {tuple(rows.shape)}"
        )
    _, attentions = model(rows, output_attentions=True)
    mass = torch.stack([a[..., 0] for a in attentions])  # (layers, B, H, T)
    return mass.mean(dim=1)


@torch.no_grad()
def gate_values(model: TinyGPT, rows: Tensor) -> Tensor:
    """Each gated layer's sigmoid gates on ``rows``: (layers, B, T, H, head_dim)."""
    if not model.config.output_gate:
        raise ValueError("model has no output gate: train it with --output-gate")
    gates: list[Tensor] = []
    hooks = [
        layer.self_attn.gate_proj.register_forward_hook(
            lambda module, inputs, output: gates.append(torch.sigmoid(output))
        )
        for layer in model.layers
    ]
    try:
        model(rows)
    finally:
        for hook in hooks:
            hook.remove()
    batch, seq = rows.shape
    shape = (batch, seq, model.config.num_attention_heads, model.head_dim)
    return torch.stack([gate.view(shape) for gate in gates])
