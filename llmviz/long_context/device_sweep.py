"""Time and peak memory of attention methods against n on one device: the measurement
behind §11's GPU figure, written so that the same code runs, and is tested, on CPU.

A method is ``(run, mask_mod)``: ``run(q, k, v, block_mask)`` returns the output
(B, H, T, D), and ``mask_mod`` is the FlexAttention predicate it computes, or None
(``block_mask`` is then None). For a method with a mask, the first length is also
computed by SDPA with the dense (n, n) mask, the reference its output must equal.

Peak memory is what ``torch.cuda.max_memory_allocated`` reports above the memory held
before the call (q, k, v and the block mask), on CUDA. torch keeps no such statistics
for CPU memory, and the process's resident size counts the allocator's cache and every
other thread, so on any other device the peak is NaN: not measured, rather than a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.attention.flex_attention import create_block_mask

from llmviz._checks import check_callable, check_int
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.mask_grid import materialize
from llmviz.measure import seconds_per_call

Run = Callable[[Tensor, Tensor, Tensor, Any], Tensor]


def sweep(
    methods: Mapping[str, tuple[Run, Callable | None]],
    lengths: Sequence[int],
    *,
    device: str | torch.device,
    dtype: torch.dtype,
    heads: int = 8,
    head_dim: int = 64,
    repeats: int = 5,
    block_mask: Callable = create_block_mask,
) -> dict[str, Any]:
    """Time (ms, the fastest of ``repeats`` calls) and peak memory (GiB above the
    inputs, NaN off CUDA) of each method at each length n, on q, k, v of
    (1, ``heads``, n, ``head_dim``) ~ N(0, 1) in ``dtype`` on ``device``.
    ``block_mask(mask_mod, None, None, n, n, device=...)`` builds the tiles a masked
    method skips (pass a compiled ``create_block_mask`` on a GPU).

    Returns ``{"ms": {name: [per n]}, "gib": {...}, "checks": {name: (out,
    reference)}}``, the checks float32 on CPU, for the masked methods at the first n.

    >>> from llmviz.attention import masks
    >>> def sdpa(q, k, v, _):
    ...     return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    >>> result = sweep({"sdpa": (sdpa, masks.causal)}, [16], device="cpu",
    ...                dtype=torch.float32, heads=1, head_dim=8, repeats=1)
    >>> out, reference = result["checks"]["sdpa"]
    >>> torch.allclose(out, reference, atol=1e-5), math.isnan(result["gib"]["sdpa"][0])
    (True, True)
    """
    methods = _check_methods(methods)
    lengths = _check_lengths(lengths)
    device = _check_device(device)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r:.60}")
    heads = check_int("heads", heads, minimum=1, maximum=256)
    head_dim = check_int("head_dim", head_dim, minimum=1, maximum=1024)
    repeats = check_int("repeats", repeats, minimum=1, maximum=100)
    check_callable("block_mask", block_mask)
    generator = torch.Generator().manual_seed(0)
    result: dict[str, Any] = {"ms": {}, "gib": {}, "checks": {}}
    for name in methods:
        result["ms"][name], result["gib"][name] = [], []
    for n in lengths:
        qkv = torch.randn(3, 1, heads, n, head_dim, generator=generator)  # (3,B,H,T,D)
        q, k, v = qkv.to(device=device, dtype=dtype).unbind(0)
        for name, (run, mask_mod) in methods.items():
            tiles = None if mask_mod is None else block_mask(
                mask_mod, None, None, n, n, device=device
            )  # fmt: skip
            out, gib = _peak(partial(run, q, k, v, tiles), device)  # compiles, if so
            _check_output(name, out, q)
            if n == lengths[0] and mask_mod is not None:
                dense = materialize(mask_mod, n, n).to(device)  # (n, n), True: attend
                expected = F.scaled_dot_product_attention(q, k, v, attn_mask=dense)
                result["checks"][name] = (out.float().cpu(), expected.float().cpu())
            seconds = seconds_per_call(partial(run, q, k, v, tiles), repeats=repeats)
            result["ms"][name].append(1000 * seconds)
            result["gib"][name].append(gib)
    return result


def _peak(call: Callable[[], Tensor], device: torch.device) -> tuple[Tensor, float]:
    if device.type != "cuda":
        return call(), math.nan  # not measured: see the module's docstring
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    out = call()
    torch.cuda.synchronize(device)
    return out, (torch.cuda.max_memory_allocated(device) - before) / 2**30


def _check_methods(methods: Any) -> dict[str, tuple[Run, Callable | None]]:
    if not isinstance(methods, Mapping) or not methods:
        raise TypeError(
            f"methods must be a non-empty dict of name -> (run, mask_mod or None), "
            f"got {methods!r:.60}"
        )
    for name, method in methods.items():
        if (
            not isinstance(name, str)
            or not isinstance(method, tuple)
            or len(method) != 2
        ):
            raise TypeError(
                f"methods[{name!r}] must be a pair (run, mask_mod or None) under a "
                f"string name, got {method!r:.60}"
            )
        check_callable(f"methods[{name!r}][0]", method[0])
        if method[1] is not None:
            check_callable(f"methods[{name!r}][1]", method[1])
    return dict(methods)


def _check_lengths(lengths: Any) -> list[int]:
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence):
        raise TypeError(f"lengths must be a list of integers, got {lengths!r:.60}")
    if not lengths:
        raise ValueError("lengths must hold at least one length, got []")
    return [
        check_int(f"lengths[{i}]", n, 1, MAX_SEQ_LEN) for i, n in enumerate(lengths)
    ]


def _check_device(device: Any) -> torch.device:
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device, got {device!r:.60}")
    try:
        device = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device must name a torch device, got {device!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device is {str(device)!r}, but this machine has no GPU")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {str(device)!r}")
    return device


def _check_output(name: str, out: Any, q: Tensor) -> None:
    if not isinstance(out, Tensor) or out.shape != q.shape:
        raise ValueError(
            f"methods[{name!r}] must return a tensor of the queries' shape "
            f"{tuple(q.shape)}, got {getattr(out, 'shape', type(out).__name__)}"
        )
    if not torch.isfinite(out).all():
        raise ValueError(f"methods[{name!r}] returned NaN or inf")
