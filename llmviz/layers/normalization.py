"""LayerNorm and its family: batch, layer, instance and group normalisation.

Each one standardises x over some axes and then scales and shifts it:

    y = (x − mean) / sqrt(var + eps) · weight + bias,   var biased (divided by n)

They differ only in the axes the mean and variance are taken over
[ba2016layer, ioffe2015batch, ulyanov2016instance, wu2018group]. For a (batch,
sequence, hidden) tensor (B, T, C): BatchNorm over (B, T) for each hidden unit,
LayerNorm over C for each token, InstanceNorm over T for each sequence and unit,
GroupNorm over T and the C/G units of each group for each sequence.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import check_choice, check_tensor

NORM_KINDS = ("batch", "layer", "instance", "group")
LAYOUTS = ("BTC", "BCHW")
MAX_GROUPS = 1 << 16
_AXES = {  # the axes each statistic is taken over, the rest index the statistics
    "BTC": {"batch": (0, 1), "layer": (2,), "instance": (1,), "group": (1, 2)},
    "BCHW": {"batch": (0, 2, 3), "layer": (1, 2, 3), "instance": (2, 3),
             "group": (1, 2, 3)},
}  # fmt: skip


def norm_axes(kind: str, layout: str = "BTC") -> tuple[int, ...]:
    """The axes that ``kind`` of norm averages over, for a tensor laid out as
    ``layout``.

    For "group" the channel axis is included, but only the channels of one group
    share a statistic. [wu2018group]

    >>> norm_axes("batch"), norm_axes("layer"), norm_axes("layer", "BCHW")
    ((0, 1), (2,), (1, 2, 3))
    """
    check_choice("kind", kind, NORM_KINDS)
    check_choice("layout", layout, LAYOUTS)
    return _AXES[layout][kind]


def standardize(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    """(x − mean) / sqrt(var + eps) over ``dims``, with the biased variance.

    >>> standardize(torch.tensor([[1.0, 3.0]]), (1,), 1e-12).tolist()
    [[-1.0, 1.0]]
    """
    check_tensor("x", x)
    if not isinstance(dims, tuple) or not dims:
        raise TypeError(f"dims must be a non-empty tuple of ints, got {dims!r}")
    for dim in dims:
        check_int("dims", dim, -x.dim(), x.dim() - 1)
    if len({d % x.dim() for d in dims}) < len(dims):
        raise ValueError(f"dims must not repeat a dimension, got {dims}")
    return _standardize(x, dims, check_real("eps", eps, 0, 1, open_min=True))


def _standardize(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    mean = x.mean(dims, keepdim=True)
    var = (x - mean).pow(2).mean(dims, keepdim=True)  # biased: divided by n, not n − 1
    return (x - mean) / torch.sqrt(var + eps)  # eps inside the root


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def _check_affine(name: str, value: Tensor | None, shape: tuple[int, ...]) -> None:
    if value is None:
        return
    check_tensor(name, value)
    if tuple(value.shape) != shape:
        raise ValueError(
            f"{name} must have shape {shape} (the normalized shape), "
            f"got {tuple(value.shape)}"
        )


def layer_norm(
    x: Tensor,
    normalized_shape: tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """LayerNorm over the last ``len(normalized_shape)`` dimensions [ba2016layer].

        y = (x − mean) / sqrt(var + eps) · weight + bias

    >>> layer_norm(torch.tensor([[1.0, 2.0, 3.0]]), (3,), eps=1e-12).tolist()
    [[-1.2247..., 0.0, 1.2247...]]
    """
    shape = _normalized_shape(normalized_shape)
    check_tensor("x", x)
    if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape) :]) != shape:
        raise ValueError(
            f"normalized_shape {shape} must match the last dimensions of x, "
            f"got x of shape {tuple(x.shape)}"
        )
    _check_affine("weight", weight, shape)
    _check_affine("bias", bias, shape)
    eps = check_real("eps", eps, 0, 1, open_min=True)
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    return _affine(_standardize(x, dims, eps), weight, bias)


def _normalized_shape(value: object) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list, torch.Size)) or not value:
        raise TypeError(
            "normalized_shape must be an int or a non-empty tuple of ints, "
            f"got {value!r}"
        )
    return tuple(check_int("normalized_shape", n, 1, 1 << 20) for n in value)


class LayerNorm(nn.Module):
    """``layer_norm`` with learned ``weight`` (ones) and ``bias`` (zeros), named as in
    ``torch.nn.LayerNorm`` so its state dict loads.

    >>> LayerNorm(4)(torch.randn(2, 4)).shape
    torch.Size([2, 4])
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = check_real("eps", eps, 0, 1, open_min=True)
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x: Tensor) -> Tensor:
        """(..., *normalized_shape) → the same shape."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


def _check_btc(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> None:
    check_tensor("x", x, ranks=(3,))
    _check_affine("weight", weight, (x.shape[2],))
    _check_affine("bias", bias, (x.shape[2],))


def instance_norm(
    x: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """InstanceNorm of a (B, T, C) tensor: over T, for each sequence and hidden unit
    [ulyanov2016instance]. Equals ``torch.nn.InstanceNorm1d`` on (B, C, T).

    >>> instance_norm(torch.tensor([[[1.0], [3.0]]]), eps=1e-12).flatten().tolist()
    [-1.0, 1.0]
    """
    _check_btc(x, weight, bias)
    eps = check_real("eps", eps, 0, 1, open_min=True)
    return _affine(_standardize(x, (1,), eps), weight, bias)


def group_norm(
    x: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """GroupNorm of a (B, T, C) tensor: the C hidden units split into ``num_groups``
    groups; one mean and variance per sequence and group, over T and the group's
    units [wu2018group]. G = 1 is LayerNorm over (T, C); G = C is InstanceNorm.

    >>> group_norm(torch.randn(2, 3, 4), 2).shape
    torch.Size([2, 3, 4])
    """
    _check_btc(x, weight, bias)
    size = x.shape[2]
    groups = check_int("num_groups", num_groups, 1, MAX_GROUPS)
    if size % groups:
        raise ValueError(
            f"num_groups must divide the hidden size {size}, got {num_groups}"
        )
    eps = check_real("eps", eps, 0, 1, open_min=True)
    grouped = x.unflatten(2, (groups, size // groups))  # (B, T, G, C/G)
    y = _standardize(grouped, (1, 3), eps).flatten(2)  # (B, T, C)
    return _affine(y, weight, bias)


def statistic_index(
    shape: tuple[int, ...], dims: tuple[int, ...], num_groups: int = 1
) -> Tensor:
    """For each cell of a tensor of ``shape``, the index of the mean and variance it
    is standardised with when the statistics are taken over ``dims``: two cells share
    one exactly when they agree on every other axis (and, for GroupNorm, when the
    last axis is averaged over, on their group of ``num_groups``).

    >>> statistic_index((2, 1, 2), norm_axes("layer")).flatten().tolist()
    [0, 0, 1, 1]
    """
    if not isinstance(shape, tuple) or not 1 <= len(shape) <= 4:
        raise TypeError(f"shape must be a tuple of 1 to 4 ints, got {shape!r}")
    sizes = [check_int("shape", n, 1, 64) for n in shape]
    x = torch.zeros(sizes)
    standardize(x, dims, 1e-5)  # checks dims against the shape
    groups = check_int("num_groups", num_groups, 1, MAX_GROUPS)
    if sizes[-1] % groups:
        raise ValueError(f"num_groups must divide {sizes[-1]}, got {num_groups}")
    kept = [d for d in range(len(sizes)) if d not in {a % len(sizes) for a in dims}]
    index = torch.zeros(sizes, dtype=torch.long)
    grids = torch.meshgrid(*[torch.arange(n) for n in sizes], indexing="ij")
    if len(sizes) - 1 not in kept:  # the last axis averaged over: its group counts
        grids = (*grids[:-1], grids[-1] // (sizes[-1] // groups))
        kept, sizes = [*kept, len(sizes) - 1], [*sizes[:-1], groups]
    for d in kept:
        index = index * sizes[d] + grids[d]
    return index
