"""T5's relative position buckets [raffel2020t5].

T5 adds to each attention score one learned number per head, looked up by the bucket of
the distance key − query. Small distances get a bucket each (num_buckets/2 of them);
larger ones share buckets whose widths grow logarithmically up to ``max_distance``, and
all distances beyond it share the last bucket. Bidirectional attention (the encoder)
gives half the buckets to keys after the query; causal attention (the decoder) counts
only keys before it, and a key after the query falls in bucket 0. The bucketing is the
same as Hugging Face's ``T5Attention._relative_position_bucket``, bucket for bucket.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_tensor
from llmviz.positions.relative import relative_distances


def _check_buckets(bidirectional: bool, num_buckets: int, max_distance: int) -> int:
    """The buckets per direction; errors unless each has an exact and a log part."""
    check_bool("bidirectional", bidirectional)
    num_buckets = check_int("num_buckets", num_buckets, minimum=2)
    if bidirectional and num_buckets < 4:
        raise ValueError(
            f"num_buckets must be >= 4 when bidirectional (two per direction), "
            f"got {num_buckets}"
        )
    per_direction = num_buckets // 2 if bidirectional else num_buckets
    max_exact = per_direction // 2
    max_distance = check_int("max_distance", max_distance, minimum=1)
    if max_distance <= max_exact:
        raise ValueError(
            f"max_distance must be > {max_exact}, where the logarithmic buckets start "
            f"for num_buckets={num_buckets}, got {max_distance}"
        )
    return per_direction


def t5_relative_position_bucket(
    relative_position: Tensor,
    bidirectional: bool = True,
    num_buckets: int = 32,
    max_distance: int = 128,
) -> Tensor:
    """The bucket (a LongTensor, same shape) of each distance key − query.

    With n = |distance| and e = buckets per direction / 2: bucket n if n < e, else
    min(e + ⌊ln(n/e) / ln(max_distance/e) · e⌋, 2e − 1); plus the per-direction count
    for keys after the query when bidirectional [raffel2020t5].

    >>> t5_relative_position_bucket(torch.tensor([-200, -3, 0, 3, 200])).tolist()
    [15, 3, 0, 19, 31]
    """
    check_tensor("relative_position", relative_position, floating=False, nonempty=False)
    per_direction = _check_buckets(bidirectional, num_buckets, max_distance)
    if bidirectional:
        offset = (relative_position > 0).long() * per_direction  # keys after the query
        distance = relative_position.abs()
    else:
        offset = torch.zeros_like(relative_position, dtype=torch.long)
        distance = (-relative_position).clamp(min=0)  # keys after the query: 0
    max_exact = per_direction // 2
    ratio = distance.clamp(min=max_exact).float() / max_exact  # >= 1: no log(0)
    log_scale = math.log(max_distance / max_exact)
    far = max_exact + (ratio.log() / log_scale * (per_direction - max_exact)).long()
    far = far.clamp(max=per_direction - 1)
    return offset + torch.where(distance < max_exact, distance, far).long()


def t5_bucket_bias(
    bucket_table: Tensor,
    q_len: int,
    kv_len: int,
    bidirectional: bool = True,
    max_distance: int = 128,
) -> Tensor:
    """The bias (H, q_len, kv_len) = bucket_table[bucket(j − i)], queries bottom-right.

    bucket_table (num_buckets, H) holds the learned scalars (HF's
    ``relative_attention_bias.weight``).

    >>> t5_bucket_bias(torch.arange(8.0)[:, None], 1, 3, max_distance=4).tolist()
    [[[2.0, 1.0, 0.0]]]
    """
    check_tensor("bucket_table", bucket_table, ranks=(2,))
    if bucket_table.shape[0] < (4 if bidirectional is True else 2):
        raise ValueError(
            f"bucket_table must be (num_buckets, H) with num_buckets >= 2 (>= 4 when "
            f"bidirectional), got {tuple(bucket_table.shape)}"
        )
    distances = relative_distances(q_len, kv_len)  # (q_len, kv_len)
    buckets = t5_relative_position_bucket(
        distances, bidirectional, bucket_table.shape[0], max_distance
    )
    return bucket_table[buckets].permute(2, 0, 1)  # (H, q_len, kv_len)
