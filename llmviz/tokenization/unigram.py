"""The unigram language model tokenizer [kudo2018subword].

Each vocabulary piece has a log-probability score s(piece), and a segmentation
x = (x_1, …, x_m) of a text scores s(x) = Σ_i s(x_i). The segmentations of a text are
the paths through its *lattice*: one edge (start, end) for each piece that matches
``text[start:end]``. On the lattice

* ``viterbi`` finds the best path x* = argmax_x s(x), which ``encode`` returns;
* ``nbest`` finds the n best paths;
* ``forward_backward`` gives log Z = log Σ_x exp s(x), so that P(x | text) =
  exp(s(x)) / Z, and the expected count of each piece under P;
* ``sample`` draws x with probability exp(α·s(x)) / Z_α: subword regularisation.

As in sentencepiece [kudo2018sentencepiece], a character that no single-character
piece matches gets an unknown edge scored min(s) − 10, a run of unknowns becomes one
unknown token, and ties go to the earliest edge found while scanning left to right
with a strict ``>``. ``train_unigram`` (in ``unigram_train``) learns the scores.
"""

from __future__ import annotations

import bisect
import itertools
import math
import struct
from collections.abc import Collection, Sequence
from typing import NamedTuple

import numpy as np

from llmviz._checks import check_int, check_positive_number
from llmviz.tokenization._unigram_checks import check_controls, check_pieces
from llmviz.tokenization.base import Tokenizer, check_ids, check_text

_F32 = struct.Struct("f")
UNKNOWN_PENALTY = 10.0  # sentencepiece's kUnkPenalty
UNKNOWN_SURFACE = " \u2047 "  # what sentencepiece decodes an unknown token to
TINY_VOCABULARY = [("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -1.0)]


class Edge(NamedTuple):
    """A lattice edge: ``piece`` (vocabulary id ``id``) spans ``text[start:end]``."""

    start: int
    end: int
    piece: str
    score: float
    id: int


def _log_add(a: float, b: float) -> float:
    """log(e^a + e^b) without overflow."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def _merge_unknowns(path: list[Edge], unk_id: int) -> list[Edge]:
    """Fuse each run of unknown edges into one edge, as sentencepiece does."""
    merged: list[Edge] = []
    for edge in path:
        if merged and edge.id == unk_id == merged[-1].id:
            last = merged.pop()
            edge = Edge(
                last.start,
                edge.end,
                last.piece + edge.piece,
                last.score + edge.score,
                unk_id,
            )
        merged.append(edge)
    return merged


class Unigram(Tokenizer):
    """A unigram model from ``(piece, log-probability)`` pairs; a piece's id is its
    position. ``unk_id`` is the unknown token; ``control_ids`` (such as ``<s>``)
    never match text.

    >>> model = Unigram(TINY_VOCABULARY)
    >>> model.pieces("abba"), model.encode("abc"), model.decode([3, 0])
    (['ab', 'b', 'a'], [3, 0], 'ab ⁇ ')
    """

    name = "unigram"
    # Viterbi's sums rounded to float32, as sentencepiece's are (set by
    # unigram_from_sentencepiece): the same pieces in another order may then differ
    # in the last bit, and sentencepiece keeps the higher
    _float32 = False

    def __init__(
        self,
        pieces: Sequence[tuple[str, float]],
        unk_id: int = 0,
        control_ids: Collection[int] = (),
    ) -> None:
        self.vocabulary = check_pieces(pieces)
        size = len(self.vocabulary)
        self.unk_id = check_int("unk_id", unk_id, minimum=0)
        if unk_id >= size:
            raise ValueError(f"unk_id must be below the {size} pieces, got {unk_id}")
        special = {unk_id, *check_controls(control_ids, unk_id, size)}
        self.piece_to_id = {
            p: i for i, (p, _) in enumerate(self.vocabulary) if i not in special
        }
        if len(self.piece_to_id) + len(special) < size or "" in self.piece_to_id:
            raise ValueError(
                "pieces must be distinct, non-empty strings (besides the unknown and "
                "control pieces)"
            )
        if not self.piece_to_id:
            raise ValueError(
                "pieces must hold at least one piece besides the unknown and control "
                "pieces"
            )
        scores = [self.vocabulary[i][1] for i in self.piece_to_id.values()]
        self.unknown_score = min(scores) - UNKNOWN_PENALTY
        # every string that begins a piece: matching stops when it leaves this set
        self._prefixes = {p[:k] for p in self.piece_to_id for k in range(1, len(p) + 1)}
        self.history: list = []  # filled by train_unigram: one entry per EM iteration

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def lattice(self, text: str) -> list[Edge]:
        """Every edge of the lattice of ``text``, ordered by (start, end).

        >>> [edge.piece for edge in Unigram(TINY_VOCABULARY).lattice("ab")]
        ['a', 'ab', 'b']
        """
        check_text("text", text)
        return sorted(itertools.chain(*self._edges_by_end(text)))

    def _edges_by_end(self, text: str) -> list[list[Edge]]:
        """Edges grouped by end position, each group ordered by start."""
        by_end: list[list[Edge]] = [[] for _ in range(len(text) + 1)]
        for start in range(len(text)):
            for end in range(start + 1, len(text) + 1):
                if text[start:end] not in self._prefixes:
                    break
                piece_id = self.piece_to_id.get(text[start:end])
                if piece_id is not None:
                    score = self.vocabulary[piece_id][1]
                    by_end[end].append(
                        Edge(start, end, text[start:end], score, piece_id)
                    )
            if text[start] not in self.piece_to_id:
                unknown = Edge(
                    start, start + 1, text[start], self.unknown_score, self.unk_id
                )
                by_end[start + 1].append(unknown)
        return by_end

    def viterbi(self, text: str) -> tuple[list[str], float]:
        """The best segmentation and its score, x* = argmax_x Σ_i s(x_i).

        >>> Unigram(TINY_VOCABULARY).viterbi("aab")
        (['a', 'ab'], -2.0)
        """
        path, score = self._viterbi_path(check_text("text", text))
        return [edge.piece for edge in path], score

    def best_alternative(self, piece: str) -> tuple[list[str], float]:
        """The best segmentation of ``piece`` into two or more pieces: what would
        replace it if it were removed from the vocabulary.

        >>> Unigram(TINY_VOCABULARY).best_alternative("ab")
        (['a', 'b'], -2.0)
        """
        if len(check_text("piece", piece)) < 2:
            raise ValueError(f"piece must have two characters or more, got {piece!r}")
        by_end = self._edges_by_end(piece)
        by_end[-1] = [edge for edge in by_end[-1] if edge.start > 0]
        path, score = self._best_path(by_end)
        return [edge.piece for edge in _merge_unknowns(path, self.unk_id)], score

    def _viterbi_path(self, text: str) -> tuple[list[Edge], float]:
        path, score = self._best_path(self._edges_by_end(text))
        return _merge_unknowns(path, self.unk_id), score

    def lattice_path(self, text: str) -> list[Edge]:
        """The Viterbi path as edges of ``lattice(text)``: an unknown character is an
        edge of its own, as in sentencepiece's lattice, which fuses a run of them into
        one token only when it encodes.

        >>> [(e.start, e.end) for e in Unigram(TINY_VOCABULARY).lattice_path("xyab")]
        [(0, 1), (1, 2), (2, 4)]
        """
        return self._best_path(self._edges_by_end(check_text("text", text)))[0]

    def _best_path(self, by_end: list[list[Edge]]) -> tuple[list[Edge], float]:
        best = [0.0] + [-math.inf] * (len(by_end) - 1)  # best[e]: best of text[:e]
        last_edge: list[Edge | None] = [None] * len(by_end)
        for end, edges in enumerate(by_end):
            for edge in edges:
                candidate = best[edge.start] + edge.score
                if self._float32:  # sentencepiece's sums: "e"+"ee" may beat "ee"+"e"
                    candidate = _F32.unpack(_F32.pack(candidate))[0]
                if last_edge[end] is None or candidate > best[end]:
                    best[end], last_edge[end] = candidate, edge
        path, end = [], len(by_end) - 1
        while end > 0:
            path.append(last_edge[end])
            end = path[-1].start
        return path[::-1], best[-1]

    def nbest(self, text: str, n: int) -> list[tuple[list[str], float]]:
        """The ``n`` best segmentations with their scores, best first (exact k-best
        dynamic programming: keep the n best partial paths at every position).

        >>> Unigram(TINY_VOCABULARY).nbest("ab", 3)
        [(['ab'], -1.0), (['a', 'b'], -2.0)]
        """
        check_text("text", text)
        n = check_int("n", n, minimum=1)
        top: list[list] = [[(0.0, None, None)]]  # (score, last edge, previous entry)
        for edges in self._edges_by_end(text)[1:]:
            candidates = [
                (entry[0] + e.score, e, entry) for e in edges for entry in top[e.start]
            ]
            top.append(sorted(candidates, key=lambda c: -c[0])[:n])
        results = []
        for score, edge, previous in top[-1]:
            path = []
            while edge is not None:
                path.append(edge)
                _, edge, previous = previous
            pieces = [e.piece for e in _merge_unknowns(path[::-1], self.unk_id)]
            results.append((pieces, score))
        return results

    def _forward(self, by_end: list[list[Edge]], alpha: float = 1.0) -> list[float]:
        """forward[e] = log Σ over paths x of text[:e] of exp(α·s(x))."""
        forward = [0.0] + [-math.inf] * (len(by_end) - 1)
        for end, edges in enumerate(by_end):
            for edge in edges:
                forward[end] = _log_add(
                    forward[end], forward[edge.start] + alpha * edge.score
                )
        return forward

    def forward_backward(self, text: str) -> tuple[float, np.ndarray]:
        """log Z = log Σ_x exp s(x), and E_P[count of piece i] for every id i.

        An edge's probability is exp(forward[start] + s + backward[end] − log Z).

        >>> log_z, counts = Unigram(TINY_VOCABULARY).forward_backward("ab")
        >>> round(log_z, 4), counts.round(3).tolist()
        (-0.6867, [0.0, 0.269, 0.269, 0.731])
        """
        by_end = self._edges_by_end(check_text("text", text))
        forward = self._forward(by_end)
        backward = [-math.inf] * len(text) + [0.0]  # backward[s]: log Z of text[s:]
        for end in range(len(text), 0, -1):
            for edge in by_end[end]:
                backward[edge.start] = _log_add(
                    backward[edge.start], edge.score + backward[end]
                )
        counts = np.zeros(self.vocab_size)
        for edge in itertools.chain(*by_end):
            counts[edge.id] += math.exp(
                forward[edge.start] + edge.score + backward[edge.end] - forward[-1]
            )
        return forward[-1], counts

    def log_probability(self, text: str, pieces: Sequence[str]) -> float:
        """log P(x | text) = s(x) − log Z for the segmentation ``pieces`` of ``text``.

        >>> round(math.exp(Unigram(TINY_VOCABULARY).log_probability("ab", ["ab"])), 4)
        0.7311
        """
        if isinstance(pieces, (str, bytes)) or not isinstance(pieces, Sequence):
            raise TypeError(f"pieces must be a list of str, got {pieces!r:.60}")
        for i, piece in enumerate(pieces):
            check_text(f"pieces[{i}]", piece)
        if "".join(pieces) != check_text("text", text):
            raise ValueError(f"pieces must join to text {text!r}, got {list(pieces)!r}")
        score = 0.0
        for piece in pieces:
            if piece in self.piece_to_id:
                score += self.vocabulary[self.piece_to_id[piece]][1]
            elif not any(c in self.piece_to_id for c in piece):  # a run of unknowns
                score += self.unknown_score * len(piece)
            else:
                raise ValueError(f"piece {piece!r} is not in the vocabulary")
        return score - self.forward_backward(text)[0]

    def sample(
        self,
        text: str,
        alpha: float = 1.0,
        seed: int | np.random.Generator | None = None,
    ) -> list[str]:
        """A segmentation drawn with P(x) ∝ exp(α·s(x)): forward filtering, then
        backward sampling of one edge at a time from the end [kudo2018subword].

        >>> Unigram(TINY_VOCABULARY).sample("abab", alpha=0.5, seed=0)
        ['ab', 'a', 'b']
        """
        alpha = check_positive_number("alpha", alpha)
        if not (seed is None or isinstance(seed, np.random.Generator)):
            check_int("seed", seed, minimum=0)
        rng = np.random.default_rng(seed)
        by_end = self._edges_by_end(check_text("text", text))
        forward = self._forward(by_end, alpha)
        path, end = [], len(text)
        while end > 0:
            weights = [
                math.exp(forward[e.start] + alpha * e.score - forward[end])
                for e in by_end[end]
            ]
            cumulative = list(itertools.accumulate(weights))
            choice = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
            path.append(by_end[end][min(choice, len(weights) - 1)])
            end = path[-1].start
        return [edge.piece for edge in _merge_unknowns(path[::-1], self.unk_id)]

    def pieces(self, text: str) -> list[str]:
        return self.viterbi(text)[0]

    def encode(self, text: str) -> list[int]:
        """The ids of the Viterbi segmentation; an unknown run is one ``unk_id``."""
        return [edge.id for edge in self._viterbi_path(check_text("text", text))[0]]

    def decode(self, ids: Sequence[int]) -> str:
        """Concatenate the pieces; unknown ids become " ⁇ ", control ids nothing."""
        surface = {i: p for p, i in self.piece_to_id.items()} | {
            self.unk_id: UNKNOWN_SURFACE
        }
        return "".join(surface.get(i, "") for i in check_ids(ids, self.vocab_size))
