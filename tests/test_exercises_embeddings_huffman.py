"""Chapter 2's Huffman exercise: the check accepts every Huffman code (our own, gensim's
via llmviz, and solutions written differently: swapped children, ties broken another
way, bit lists, NumPy), and names each wrong one (not prefix-free, a frequent word
deeper than a rare one, prefix-free but not optimal, wrong count, wrong type, an
exception, a changed input, a hang) without showing an answer."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.huffman import huffman_codes
from llmviz.exercises.embeddings_huffman import check_huffman_code, huffman_optimum
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("heappop", "heapq", "sorted(")


def with_heap(counts, left="0", right="1", newest_first=False):
    """Huffman by a heap of (count, order, words): order breaks ties."""
    order = itertools.count(0, -1 if newest_first else 1)
    heap = [(c, next(order), [i]) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    codes = [""] * len(counts)
    while len(heap) > 1:
        (c1, _, a), (c2, _, b) = heapq.heappop(heap), heapq.heappop(heap)
        for i in a:
            codes[i] = left + codes[i]
        for i in b:
            codes[i] = right + codes[i]
        heapq.heappush(heap, (c1 + c2, next(order), a + b))
    return codes


def by_sorting(counts):
    """Huffman by re-sorting a list of subtrees (nested tuples), bits as lists of ints."""
    nodes = sorted([(c, i) for i, c in enumerate(counts)], key=lambda n: -n[0])
    while len(nodes) > 1:
        (c2, b), (c1, a) = nodes.pop(), nodes.pop()
        nodes.append((c1 + c2, (a, b)))
        nodes.sort(key=lambda n: -n[0])
    codes = {}

    def walk(tree, path):
        if isinstance(tree, int):
            codes[tree] = path
        else:
            walk(tree[0], path + [0])
            walk(tree[1], path + [1])

    walk(nodes[0][1], [])
    return [codes[i] for i in range(len(counts))]


CORRECT = [
    lambda counts: with_heap(counts),
    lambda counts: with_heap(counts, left="1", right="0"),
    lambda counts: with_heap(counts, newest_first=True),
    by_sorting,
    lambda counts: huffman_codes(counts)[0],  # gensim's tree, NumPy uint8 arrays
    lambda counts: tuple(np.array([int(b) for b in c]) for c in with_heap(counts)),
]


@pytest.mark.parametrize("solution", CORRECT)
def test_every_huffman_code_passes(solution, capsys):
    assert_accepts(check_huffman_code, solution, capsys)


def fixed_length(counts):
    width = max(1, (len(counts) - 1).bit_length())
    return [format(i, f"0{width}b") for i in range(len(counts))]


def unary(counts):
    return [
        "1" * i + "0" for i in range(len(counts))
    ]  # prefix-free, but for sorted counts only


def reversed_lengths(counts):
    codes = with_heap(counts)
    order = sorted(range(len(counts)), key=lambda i: counts[i])
    lengths = sorted(codes, key=len)
    out = [""] * len(counts)
    for i, code in zip(
        order, lengths, strict=True
    ):  # rarest word gets the shortest code
        out[i] = code
    return out


def mutating(counts):
    codes = with_heap(counts)
    counts.sort()
    return codes


WRONG = [
    (not_written, "Your turn"),
    (hangs, "longer than"),
    (lambda counts: 1 / 0, "ZeroDivisionError"),
    (lambda counts: None, "list of codes"),
    (lambda counts: "0 10 11", "list of codes"),
    (lambda counts: with_heap(counts)[:-1], "codes for"),
    (
        lambda counts: [c.replace("1", "2") for c in with_heap(counts)],
        "not a sequence of 0s and 1s",
    ),
    (
        lambda counts: [[float(b) for b in c] for c in with_heap(counts)],
        "not a sequence of 0s and 1s",
    ),
    (lambda counts: ["", *with_heap(counts)[1:]], "empty code"),
    (lambda counts: [c[:-1] or c for c in with_heap(counts)], "is a prefix of"),
    (lambda counts: ["0" * (i + 1) for i in range(len(counts))], "is a prefix of"),
    (reversed_lengths, "never sits deeper"),
    (fixed_length, "the best one spends"),
    (unary, "the best one spends"),
    (mutating, "changed counts"),
]


@pytest.mark.parametrize(("wrong", "expected"), WRONG)
def test_each_mistake_is_named(wrong, expected, capsys):
    assert_names_mistake(check_huffman_code, wrong, expected, capsys, ANSWERS)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 50), min_size=2, max_size=30))
def test_the_optimum_is_what_every_huffman_tree_spends(counts):
    for solution in (with_heap, by_sorting):
        codes = solution(counts)
        assert sum(
            c * len(code) for c, code in zip(counts, codes, strict=True)
        ) == huffman_optimum(counts)
    gensim_tree = huffman_codes(counts)[0]
    assert sum(
        c * len(code) for c, code in zip(counts, gensim_tree, strict=True)
    ) == huffman_optimum(counts)


def test_the_check_refuses_a_non_function():
    with pytest.raises(TypeError, match="huffman"):
        check_huffman_code("not a function")
