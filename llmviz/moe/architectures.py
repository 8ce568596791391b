"""The four transformer structures, told apart by who may attend to whom.

A sequence holds ``source_len`` input tokens followed by ``target_len`` output tokens.

- encoder-only (BERT [devlin2019bert]): every token sees every token;
- decoder-only (GPT): each token sees itself and the tokens before it;
- prefix-LM (T5's variant, UniLM [raffel2020t5]): the input is seen bidirectionally,
  the output causally, all in one stack of layers;
- encoder-decoder (T5, the original Transformer [vaswani2017attention]): an encoder
  reads the input bidirectionally, a decoder reads the output causally, and
  cross-attention lets every output token read the whole encoded input.

Prefix-LM and encoder-decoder let the same pairs meet; they differ in the weights: one
shared stack, against separate encoder and decoder stacks joined by cross-attention.
Every pattern here is one of chapter 3's ``mask_mod`` predicates.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
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


def structure_mask(name: str, source_len: int, target_len: int) -> Tensor:
    """(N, N) codes into ``KINDS`` for N = source_len + target_len tokens, rows are
    queries and columns keys.

    >>> structure_mask("encoder-decoder", 1, 2).tolist()
    [[2, 0, 0], [4, 3, 0], [4, 3, 3]]
    """
    if name not in STRUCTURES:
        raise ValueError(f"name must be one of {STRUCTURES}, got {name!r}")
    source = check_int("source_len", source_len, minimum=0)
    length = source + check_int("target_len", target_len, minimum=0)
    if length < 1:
        raise ValueError("source_len + target_len must be at least 1, got 0")
    mask_mod = {
        "encoder-only": masks.full,
        "decoder-only": masks.causal,
        "prefix-LM": masks.prefix_lm(source),
        "encoder-decoder": masks.prefix_lm(source),  # the same pairs meet
    }[name]
    visible = masks.materialize(mask_mod, length, length).long()  # (N, N)
    if name != "encoder-decoder":
        return visible  # 1: self-attention within one stack
    position = torch.arange(length)
    query_in_source = (position < source)[:, None]  # (N, 1)
    key_in_source = (position < source)[None, :]  # (1, N)
    kinds = torch.where(query_in_source, 2, torch.where(key_in_source, 4, 3))
    return visible * kinds
