"""Huffman codes for hierarchical softmax.

{footcite}`huffman1952method,morin2005hierarchical`

Hierarchical softmax replaces a softmax over ``V`` words by a binary tree with ``V − 1``
inner nodes: a word's probability is the product of the sigmoid decisions on its path
from the root. Huffman's tree minimises the expected path length
:math:`\\sum_w c_w \\lvert\\text{code}(w)\\rvert / \\sum_w c_w`, so frequent words get
short codes {footcite}`mikolov2013distributed`.

The tree is built exactly as gensim builds it {footcite}`rehurek2010gensim`, so codes
and points agree with gensim's, ties included: a binary heap (Python's ``heapq``) of
the words in vocabulary order, compared by count only; the two smallest are popped, the
first becoming the 0 child and the second the 1 child of inner node ``k`` (merge number
``k``); the root is inner node ``V − 2``.

>>> codes, points = huffman_codes([5, 3, 2, 1])
>>> [c.tolist() for c in codes], [p.tolist() for p in points]
([[0], [1, 0], [1, 1, 1], [1, 1, 0]], [[2], [2, 1], [2, 1, 0], [2, 1, 0]])
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from llmviz.embeddings.vocab import _check_counts

MAX_WORDS = 10**6  # a Python heap of a million nodes takes seconds: the bound


class _Node:
    """A heap entry ordered by count alone: ties fall where ``heapq`` puts them."""

    __slots__ = ("count", "index", "left", "right")

    def __init__(
        self,
        count: int,
        index: int,
        left: _Node | None = None,
        right: _Node | None = None,
    ):
        self.count, self.index, self.left, self.right = count, index, left, right

    def __lt__(self, other: _Node) -> bool:
        return self.count < other.count


def _tree(counts: np.ndarray) -> _Node:
    size = len(counts)
    heap = [_Node(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    for k in range(size - 1):
        first, second = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(heap, _Node(first.count + second.count, size + k, first, second))
    return heap[0]


def huffman_codes(counts: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each word's code (uint8 bits, root first: 0 = left) and points (the inner nodes
    on its path, root first, numbered ``0 … V − 2``), for counts in vocabulary order.

    >>> codes, points = huffman_codes([1, 1])
    >>> [c.tolist() for c in codes], [p.tolist() for p in points]
    ([[1], [0]], [[0], [0]])
    """
    counts = _check_counts("counts", counts, maximum=MAX_WORDS)
    size = len(counts)
    codes: list[np.ndarray] = [np.zeros(0, np.uint8)] * size
    points: list[np.ndarray] = [np.zeros(0, np.uint32)] * size
    stack: list[tuple[_Node, list[int], list[int]]] = [(_tree(counts), [], [])]
    while stack:
        node, code, point = stack.pop()
        if node.left is None or node.right is None:  # a leaf: a word
            codes[node.index] = np.array(code, dtype=np.uint8)
            points[node.index] = np.array(point, dtype=np.uint32)
            continue
        point = point + [node.index - size]
        stack.append((node.left, code + [0], point))
        stack.append((node.right, code + [1], point))
    return codes, points


def expected_code_length(counts: Any, codes: list[Any]) -> float:
    """The mean number of decisions per word occurrence,
    :math:`\\sum_w c_w \\lvert\\text{code}(w)\\rvert / \\sum_w c_w`.

    >>> expected_code_length([2, 1, 1], [[0], [1, 0], [1, 1]])
    1.5
    """
    counts = _check_counts("counts", counts)
    if not isinstance(codes, (list, tuple)):
        raise TypeError(f"codes must be a list of codes, got {type(codes).__name__}")
    if len(codes) != len(counts):
        raise ValueError(
            f"codes must hold one code per count: got {len(codes)} codes "
            f"for {len(counts)} counts"
        )
    for i, code in enumerate(codes):
        if not isinstance(code, (str, list, tuple, np.ndarray)) or np.ndim(code) > 1:
            raise TypeError(
                f"codes[{i}] must be a string or 1-D sequence of bits, got {code!r:.40}"
            )
    lengths = np.array([len(c) for c in codes], dtype=np.float64)
    return float((counts * lengths).sum() / counts.sum())
