"""A quantised KV cache: keys and values stored as int8 or int4 codes with a scale.

Symmetric quantisation with b bits maps a group of numbers x to integer codes

    s = max|x| / (2^(b−1) − 1),    q = round(x / s),    x̂ = s · q,

so each element comes back within s/2 of where it was. Which numbers share a scale
matters: keys have a few channels far larger than the rest (outliers), so KIVI
[liu2024kivi] quantises keys *per channel* (one scale per channel for a group of
tokens) and values *per token* (one scale per token, over its channels). A key group
is quantised once its ``group_size`` tokens are all there; until then the newest
tokens stay in full precision (KIVI's residual), so no query reads a scale that
depends on later tokens.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.attention._validate import MAX_DIM, MAX_HEADS, MAX_SEQ_LEN
from llmviz.attention.sdpa import attend

BITS = (2, 3, 4, 5, 6, 7, 8)  # codes fit in int8; 16 is the unquantised cache


def _check_bits(name: str, bits: int, plain: bool = False) -> int:
    check_int(name, bits, minimum=2, maximum=16 if plain else 8)
    return check_choice(name, bits, (*BITS, 16) if plain else BITS)


GROUPINGS = ("token", "channel")


def _check(x: Tensor, bits: int, dim: int, group_size: int | None) -> None:
    check_tensor("x", x)
    _check_bits("bits", bits)
    check_int("dim", dim, minimum=-x.dim(), maximum=x.dim() - 1)
    if group_size is not None:
        check_int("group_size", group_size, minimum=1, maximum=MAX_SEQ_LEN)


def _grouped(x: Tensor, dim: int, group_size: int | None) -> Tensor:
    """x with ``dim`` moved last and cut into groups: (..., groups, group_size)."""
    x = x.movedim(dim, -1)
    size = x.shape[-1] if group_size is None else group_size
    pad = -x.shape[-1] % size
    x = torch.nn.functional.pad(x, (0, pad))  # zeros change no max|x|
    return x.unflatten(-1, (x.shape[-1] // size, size))


def quantize(
    x: Tensor, bits: int, dim: int = -1, group_size: int | None = None
) -> tuple[Tensor, Tensor]:
    """Symmetric ``bits``-bit codes (int8, x's shape) and scales: the numbers that
    share a scale run along ``dim``, ``group_size`` at a time (None: all of them).
    The scales have x's shape with ``dim`` cut to its number of groups.

    >>> codes, scale = quantize(torch.tensor([[-1.0, 0.5, 0.25]]), bits=8)
    >>> codes.tolist(), scale.tolist()
    ([[-127, 64, 32]], [[0.007874015718698502]])
    """
    _check(x, bits, dim, group_size)
    qmax = 2 ** (bits - 1) - 1
    groups = _grouped(x, dim, group_size)
    scale = groups.abs().amax(-1, keepdim=True) / qmax  # (..., groups, 1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    codes = torch.round(groups / safe).clamp(-qmax, qmax).flatten(-2)
    codes = codes[..., : x.shape[dim]].movedim(-1, dim).to(torch.int8)
    return codes, scale.squeeze(-1).movedim(-1, dim)


def dequantize(
    codes: Tensor, scale: Tensor, dim: int = -1, group_size: int | None = None
) -> Tensor:
    """x̂ = s · q, each code times the scale of its group (``quantize``'s inverse).

    >>> dequantize(torch.tensor([[-127, 64]], dtype=torch.int8), torch.tensor([[0.5]]))
    tensor([[-63.5000,  32.0000]])
    """
    check_tensor("codes", codes, floating=False)
    check_tensor("scale", scale)
    if scale.dim() != codes.dim():
        raise ValueError(
            f"scale must have as many dimensions as codes, got shapes "
            f"{tuple(scale.shape)} and {tuple(codes.shape)}"
        )
    check_int("dim", dim, minimum=-codes.dim(), maximum=codes.dim() - 1)
    length = codes.shape[dim]
    size = length
    if group_size is not None:
        size = check_int("group_size", group_size, minimum=1, maximum=MAX_SEQ_LEN)
    expected = list(codes.shape)
    expected[dim] = math.ceil(length / size)
    if list(scale.shape) != expected:
        raise ValueError(
            f"scale must have shape {tuple(expected)}: the codes' shape with "
            f"{expected[dim]} groups of {size} along dim {dim}, got "
            f"{tuple(scale.shape)}"
        )
    expanded = scale.repeat_interleave(size, dim=dim).narrow(dim, 0, length)
    return codes.to(scale.dtype) * expanded


def fake_quantize(
    x: Tensor, bits: int, dim: int = -1, group_size: int | None = None
) -> Tensor:
    """x quantised and dequantised: what a quantised cache gives back.

    >>> fake_quantize(torch.tensor([1.0, -0.3]), bits=4).tolist()
    [1.0, -0.2857142984867096]
    """
    codes, scale = quantize(x, bits, dim, group_size)
    return dequantize(codes, scale, dim, group_size)


def quantized_kv_bytes_per_token(
    num_hidden_layers: int,
    num_key_value_heads: int,
    head_dim: int,
    bits: int = 16,
    group_size: int = 32,
    scale_bytes: int = 2,
) -> float:
    """Cache bytes per token: keys and values at ``bits`` bits each, plus a
    ``scale_bytes`` scale per channel every ``group_size`` tokens (keys) and one per
    token and head (values); bits=16 is a plain bfloat16 cache, with no scales.

    >>> [quantized_kv_bytes_per_token(1, 1, 64, bits=b) for b in (16, 8)]
    [256.0, 134.0]
    """
    layers = check_int("num_hidden_layers", num_hidden_layers, 1, 1 << 16)
    heads = check_int("num_key_value_heads", num_key_value_heads, 1, MAX_HEADS)
    dim = check_int("head_dim", head_dim, minimum=1, maximum=MAX_DIM)
    bits = _check_bits("bits", bits, plain=True)
    group_size = check_int("group_size", group_size, minimum=1, maximum=MAX_SEQ_LEN)
    scale_bytes = check_int("scale_bytes", scale_bytes, minimum=1, maximum=8)
    codes = 2 * heads * dim * bits / 8  # keys and values
    scales = 0 if bits == 16 else heads * scale_bytes * (dim / group_size + 1)
    return layers * (codes + scales)


def quantized_attention(
    key_bits: int, value_bits: int, key_grouping: str = "channel", group_size: int = 32
):
    """An ``attention(q, k, v, rotary)`` for ``llmviz.long_context.swap.
    forward_with_attention``: causal attention over keys (after RoPE) and values read
    back from a quantised cache. Keys per channel in groups of ``group_size`` tokens,
    the unfinished group in full precision, or per token; values per token.

    >>> from llmviz.models import load_tinygpt
    >>> from llmviz.long_context.swap import forward_with_attention
    >>> model, _ = load_tinygpt()
    >>> forward_with_attention(model, torch.tensor([[0, 5, 6]]),
    ...                        quantized_attention(8, 8)).shape
    torch.Size([1, 3, 2048])
    """
    _check_bits("key_bits", key_bits)
    _check_bits("value_bits", value_bits)
    check_choice("key_grouping", key_grouping, GROUPINGS)
    check_int("group_size", group_size, minimum=1, maximum=MAX_SEQ_LEN)

    def attention(q: Tensor, k: Tensor, v: Tensor, rotary) -> Tensor:
        q, k = rotary(q), rotary(k)  # the cache holds keys after RoPE
        v_hat = fake_quantize(v, value_bits, dim=-1)  # (B, H, T, D), per token
        if key_grouping == "token":
            return attend(q, fake_quantize(k, key_bits, dim=-1), v_hat, None, True)
        k_hat = fake_quantize(k, key_bits, dim=-2, group_size=group_size)
        seq = q.shape[-2]
        t, j = torch.arange(seq)[:, None], torch.arange(seq)[None, :]
        done = (j // group_size + 1) * group_size - 1 <= t  # key j's group is full
        scores = torch.where(done, q @ k_hat.mT, q @ k.mT) / q.shape[-1] ** 0.5
        scores = scores.masked_fill(j > t, -torch.inf)  # (B, H, T, T)
        return torch.softmax(scores, dim=-1) @ v_hat

    return attention
