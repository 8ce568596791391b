"""What a trained TinyGPT does inside: its attention maps, the attention mass it puts on
the first token (the attention sink [xiao2024streamingllm]), its output gates, and, for
a mixture of experts, which expert each token goes to.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz.models.pretrained import BOS_TOKEN
from llmviz.models.tinygpt import TinyGPT
from llmviz.moe.routing import route
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


@torch.no_grad()
def expert_weights(model: TinyGPT, rows: Tensor) -> Tensor:
    """Each MoE layer's routing of ``rows`` (B, T): (layers, B·T, num_experts), the
    weight of every expert for every token, 0 for the experts a token skips."""
    if not model.config.num_experts:
        raise ValueError("model has no experts: train it with --num-experts")
    model(rows)
    dense = []
    for layer in model.layers:
        weights, experts = route(layer.router_logits, model.config.num_experts_per_tok)
        table = torch.zeros(len(weights), model.config.num_experts)
        dense.append(table.scatter(1, experts, weights))  # (B·T, E)
    return torch.stack(dense)


TOKEN_KINDS = ("word start", "word piece", "digits", "punctuation", "space or newline")


def token_kind(token: str) -> str:
    """Which of ``TOKEN_KINDS`` a byte-level BPE token (GPT-2 alphabet) is.

    >>> [token_kind(t) for t in ["Ġthe", "ing", "42", "):", "ĊĠĠ"]]
    ['word start', 'word piece', 'digits', 'punctuation', 'space or newline']
    """
    text = readable(token)  # the text it stands for
    if not text.strip():
        return "space or newline"
    word = text.strip()
    if word.isdigit():
        return "digits"
    if not any(c.isalnum() for c in word):
        return "punctuation"
    return "word start" if text[0].isspace() else "word piece"
