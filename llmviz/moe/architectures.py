"""The four transformer structures, told apart by who may attend to whom.

A sequence holds ``source_len`` input tokens followed by ``target_len`` output tokens.

- encoder-only (BERT [devlin2019bert]): every token sees every token;
- decoder-only (GPT): each token sees itself and the tokens before it;
- prefix-LM (T5's variant, UniLM [raffel2020t5]): the input is seen bidirectionally,
  the output causally, all in one stack of layers;
- encoder-decoder (T5, the original Transformer [vaswani2017attention]): an encoder
  reads the input bidirectionally, a decoder reads the output causally, and
  cross-attention lets every output token read the whole encoded input.

Within one layer, prefix-LM and encoder-decoder let the same pairs meet. Across layers
they differ: a prefix-LM's layer ℓ reads the input's states after layer ℓ − 1 of the
same stack, while every decoder layer of an encoder-decoder reads, through
cross-attention, the encoder's final states. ``key_depth`` gives, for each layer, which
depth of hidden states each query reads; ``structure_mask`` the pattern of one layer.
Every pattern here is one of chapter 3's ``mask_mod`` predicates.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice
from llmviz.attention import masks

STRUCTURES = ("encoder-only", "decoder-only", "prefix-LM", "encoder-decoder")
# what each query–key pair is in the structure's matrix
KINDS = (
    "not visible",
    "self-attention",
    "encoder self-attention",
    "decoder self-attention",
    "cross-attention",
)
MAX_LENGTH = 2048  # each of source_len and target_len: the masks are (N, N)
MAX_LAYERS = 256


def structure_mask(name: str, source_len: int, target_len: int) -> Tensor:
    """(N, N) codes into ``KINDS`` for N = source_len + target_len tokens, rows are
    queries and columns keys.

    >>> structure_mask("encoder-decoder", 1, 2).tolist()
    [[2, 0, 0], [4, 3, 0], [4, 3, 3]]
    """
    source, length = _lengths(name, source_len, target_len)
    mask_mod = {
        "encoder-only": masks.full,
        "decoder-only": masks.causal,
        "prefix-LM": masks.prefix_lm(source),
        "encoder-decoder": masks.prefix_lm(source),  # the same pairs, in one layer
    }[name]
    visible = masks.materialize(mask_mod, length, length).long()  # (N, N)
    if name != "encoder-decoder":
        return visible  # 1: self-attention within one stack
    position = torch.arange(length)
    query_in_source = (position < source)[:, None]  # (N, 1)
    key_in_source = (position < source)[None, :]  # (1, N)
    kinds = torch.where(query_in_source, 2, torch.where(key_in_source, 4, 3))
    return visible * kinds


def _lengths(name: str, source_len: int, target_len: int) -> tuple[int, int]:
    """(source_len, N) checked; ``name`` one of ``STRUCTURES``."""
    check_choice("name", name, STRUCTURES)
    source = check_int("source_len", source_len, 0, MAX_LENGTH)
    length = source + check_int("target_len", target_len, 0, MAX_LENGTH)
    if length < 1:
        raise ValueError("source_len + target_len must be at least 1, got 0")
    return source, length


def key_depth(name: str, source_len: int, target_len: int, num_layers: int) -> Tensor:
    """(num_layers, N, N): at layer ℓ + 1, how many layers have already transformed the
    hidden state that each query (row) reads at each key (column); −1 where it reads
    nothing.

    One stack (encoder-only, decoder-only, prefix-LM): every visible key is read at
    depth ℓ, the states entering layer ℓ + 1. Encoder-decoder, with ``num_layers``
    encoder and ``num_layers`` decoder layers, as T5 [raffel2020t5]: the input's
    queries are the encoder's, reading the input at depth ℓ; the output's queries are
    the decoder's, reading the output at depth ℓ (self-attention) and the input at
    depth ``num_layers``, the encoder's final states (cross-attention), in every layer.

    >>> key_depth("prefix-LM", 1, 1, 2)[:, 1].tolist()  # the output token's row
    [[0, 0], [1, 1]]
    >>> key_depth("encoder-decoder", 1, 1, 2)[:, 1].tolist()
    [[2, 0], [2, 1]]
    """
    source, length = _lengths(name, source_len, target_len)
    num_layers = check_int("num_layers", num_layers, 1, MAX_LAYERS)
    visible = structure_mask(name, source, length - source) > 0  # (N, N)
    layer = torch.arange(num_layers)[:, None, None]  # (L, 1, 1): ℓ
    depth = layer.expand(num_layers, length, length).clone()  # (L, N, N)
    if name == "encoder-decoder":
        cross = structure_mask(name, source, length - source) == KINDS.index(
            "cross-attention"
        )
        depth[:, cross] = num_layers  # the encoder's output, at every decoder layer
    return torch.where(visible, depth, -1)
