"""Scoring word vectors on analogy questions, a : b :: c : d, the way word2vec's
``questions-words.txt`` is scored {footcite}`mikolov2013efficient`: 3CosAdd
(``similarity.analogy``) must put d first, with a, b and c excluded; a question with a
word outside the vocabulary is not answered and is counted apart.

``llmviz/data/analogies.txt`` is a small set written for chapter 2 in that file's
format (``: section`` headers, then ``a b c d`` lines), in the vocabulary of Python's
documentation, so gensim's ``evaluate_word_analogies`` reads it too.

>>> import torch
>>> vectors = torch.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [-1.0, 1.0]])
>>> score = analogy_accuracy(vectors, ("x", "y", "u", "w"), [("x", "y", "u", "w")])
>>> score.correct, score.answered, score.unknown
(1, 1, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from llmviz.embeddings.similarity import check_vectors, unit_rows, vocabulary_words

ANALOGIES = Path(__file__).resolve().parent.parent / "data" / "analogies.txt"
MAX_QUESTIONS = 100_000

Question = tuple[str, str, str, str]


def analogy_questions() -> dict[str, list[Question]]:
    """Chapter 2's analogy set, ``llmviz/data/analogies.txt``, by section.

    >>> sections = analogy_questions()
    >>> all(len(q) == 4 for qs in sections.values() for q in qs)
    True
    """
    sections: dict[str, list[Question]] = {}
    section = None
    for line in ANALOGIES.read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            section = line[2:].strip()
            sections[section] = []
        elif line.strip():
            a, b, c, d = line.split()
            sections[section].append((a, b, c, d))
    return sections


@dataclass(frozen=True)
class AnalogyScore:
    """``correct`` of ``answered`` questions right, ``unknown`` not answered (a word
    outside the vocabulary); ``chance`` is a blind guess's accuracy, 1 / (V − 3)."""

    correct: int
    answered: int
    unknown: int
    chance: float
    answers: tuple[tuple[Question, str], ...]  # each answered question, our answer

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else float("nan")


def _check_questions(questions: Any) -> list[Question]:
    if isinstance(questions, str) or not isinstance(questions, Sequence):
        raise TypeError(
            "questions must be a sequence of (a, b, c, d) word tuples, got "
            f"{type(questions).__name__}"
        )
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise ValueError(
            f"questions must hold 1 to {MAX_QUESTIONS} questions, got {len(questions)}"
        )
    for q in questions:
        if not (isinstance(q, (tuple, list)) and len(q) == 4):
            raise ValueError(f"questions must be (a, b, c, d) tuples, got {q!r:.60}")
        if not all(isinstance(w, str) for w in q):
            raise TypeError(f"questions must hold str words, got {q!r:.60}")
    return [tuple(q) for q in questions]


def analogy_accuracy(
    vectors: Tensor, vocab: Any, questions: Sequence[Question]
) -> AnalogyScore:
    """The share of questions a : b :: c : d whose 3CosAdd answer, the word nearest
    ``b̂ − â + ĉ`` other than a, b and c, is d, as gensim's
    ``evaluate_word_analogies`` counts it {footcite}`mikolov2013linguistic`.

    >>> import torch
    >>> score = analogy_accuracy(torch.eye(4), tuple("abcd"), [("a", "b", "c", "d")])
    >>> score.answered, score.chance
    (1, 1.0)
    """
    vectors, index = check_vectors("vectors", vectors, vocab)
    questions = _check_questions(questions)
    words = vocabulary_words(vocab)
    known = [q for q in questions if all(w in index for w in q)]
    answers: list[tuple[Question, str]] = []
    if known:
        rows = torch.tensor([[index[w] for w in q] for q in known])  # (Q, 4)
        unit = unit_rows(vectors)
        target = unit[rows[:, 1]] - unit[rows[:, 0]] + unit[rows[:, 2]]  # (Q, d)
        scores = unit_rows(target) @ unit.T  # (Q, V)
        for j in range(3):
            scores[torch.arange(len(known)), rows[:, j]] = -torch.inf
        best = scores.argmax(dim=1).tolist()
        answers = [(q, words[b]) for q, b in zip(known, best, strict=True)]
    correct = sum(q[3] == got for q, got in answers)
    chance = 1.0 / max(1, len(words) - 3)
    return AnalogyScore(
        correct, len(known), len(questions) - len(known), chance, tuple(answers)
    )
