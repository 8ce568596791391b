"""ALiBi: attention with linear biases, and no position embeddings [press2022alibi].

Head h adds −m_h·(i − j) to the score of query i and key j: a penalty that grows
linearly with the distance, steep for some heads (they look near) and gentle for others
(they look far). The slopes m_h form a geometric sequence. Queries are aligned
bottom-right: query q_idx sits at position i = kv_len − q_len + q_idx, so one query over
a cache of kv_len keys gets the last row of the full matrix. The bias is given for every
pair; keys after the query (j > i) get a positive value, which the causal mask removes.
BLOOM adds m_h·j instead; that differs by m_h·i along each row, which softmax ignores.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.positions._checks import MAX_HEADS
from llmviz.positions.relative import relative_distances


def _geometric_slopes(num_heads: int) -> Tensor:
    """2^(−8(h+1)/n) for h < n, float64: from 2^(−8/n) down to 2^(−8)."""
    exponents = torch.arange(1, num_heads + 1, dtype=torch.float64)  # (n,)
    return 2.0 ** (-8.0 * exponents / num_heads)


def alibi_slopes(num_heads: int) -> Tensor:
    """The slope m_h of each head, (num_heads,) float32.

    For n a power of two, m_h = 2^(−8(h+1)/n). Otherwise the paper takes the slopes of
    the nearest power of two below, n' = 2^⌊log2 n⌋, then the slopes of 2n' at even
    indices (0, 2, 4, …) until there are n [press2022alibi].

    >>> alibi_slopes(2).tolist()
    [0.0625, 0.00390625]
    >>> alibi_slopes(3).tolist()
    [0.0625, 0.00390625, 0.25]
    """
    num_heads = check_int("num_heads", num_heads, minimum=1, maximum=MAX_HEADS)
    power_of_two = 1 << (num_heads.bit_length() - 1)  # 2^⌊log2 n⌋, exactly
    slopes = _geometric_slopes(power_of_two)  # (n',)
    if power_of_two < num_heads:
        extra = _geometric_slopes(2 * power_of_two)[0::2]  # (n',) interleaved
        slopes = torch.cat([slopes, extra[: num_heads - power_of_two]])
    return slopes.to(torch.float32)


def alibi_bias(num_heads: int, q_len: int, kv_len: int) -> Tensor:
    """The bias −m_h·(i − j), (num_heads, q_len, kv_len), queries bottom-right.

    Added to the scores q·k/√d before the softmax (and before the causal mask).

    >>> alibi_bias(2, q_len=2, kv_len=2)[0].tolist()
    [[0.0, 0.0625], [-0.0625, 0.0]]
    """
    slopes = alibi_slopes(num_heads)  # (H,)
    distances = relative_distances(q_len, kv_len)  # (q_len, kv_len): j − i
    return slopes[:, None, None] * distances  # (H, q_len, kv_len)
