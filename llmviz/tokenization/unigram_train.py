"""Training a unigram tokenizer: seed, EM, prune, repeat [kudo2018subword].

1. **Seed**: every character, and the ``seed_size`` substrings (up to
   ``max_piece_length`` characters, seen at least twice) with the largest
   count × length; scores are log(count × length / total).
2. **EM** at a fixed vocabulary: the E-step runs ``forward_backward`` on each distinct
   sentence to get expected piece counts c_i; the M-step sets s_i = log(c_i / Σ_j c_j),
   the maximum-likelihood update, so the corpus log-likelihood Σ log Z never decreases.
3. **Prune**: removing piece i sends its c_i uses to its best alternative
   segmentation a(i); the loss is c_i · (log p_i − Σ_{j ∈ a(i)} log p'_j), with p'
   the probabilities after the counts move. Keep the pieces with the largest loss
   (and every character), shrinking by ``shrinking_factor`` until ``vocab_size`` is
   reached, then EM again.

Simplifications against sentencepiece's ``unigram_model_trainer``
[kudo2018sentencepiece]: its seeds come from a suffix array (substrings that can be
extended in more than one way, up to a million, where we keep ``seed_size``); its
M-step is Bayesian, s_i = ψ(c_i) − ψ(Σ c) with ψ the digamma function, which favours
frequent pieces and need not increase the likelihood; it drops pieces whose expected
count falls below 0.5; and its loss uses Viterbi counts rather than expected ones. So
the vocabularies agree largely but not exactly (``sentencepiece.vocabulary_overlap``).
Our plain MLE keeps more rare whole words: on the book's corpora it fits the training
text tighter than sentencepiece does.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from llmviz._checks import check_int, check_positive_number
from llmviz.tokenization.base import corpus_lines
from llmviz.tokenization.unigram import Unigram

UNKNOWN_PIECE = "<unk>"


@dataclass(frozen=True)
class EMIteration:
    """One EM iteration: pruning ``round``, vocabulary size, corpus log-likelihood."""

    round: int
    vocab_size: int
    log_likelihood: float


def seed_pieces(
    sentences: Counter, max_piece_length: int = 16, seed_size: int = 100_000
) -> dict[str, float]:
    """Seed scores log(count × length / total) for every character and the most
    frequent substrings.

    >>> seeds = seed_pieces(Counter(["abab"]))
    >>> {piece: round(score, 3) for piece, score in seeds.items()}
    {'a': -1.386, 'b': -1.386, 'ab': -0.693}
    """
    counts: Counter = Counter()
    for sentence, count in sentences.items():
        for start in range(len(sentence)):
            for end in range(
                start + 1, min(len(sentence), start + max_piece_length) + 1
            ):
                counts[sentence[start:end]] += count
    characters = {p: c for p, c in counts.items() if len(p) == 1}
    longer = [(c * len(p), p) for p, c in counts.items() if len(p) > 1 and c >= 2]
    seeds = characters | {p: w for w, p in sorted(longer, reverse=True)[:seed_size]}
    total = sum(seeds.values())
    return {piece: math.log(weight / total) for piece, weight in seeds.items()}


def _model(scores: dict[str, float]) -> Unigram:
    return Unigram([(UNKNOWN_PIECE, 0.0), *scores.items()])


def em_step(
    scores: dict[str, float], sentences: Counter
) -> tuple[dict[str, float], float, dict[str, float]]:
    """One EM iteration: new scores s_i = log(c_i / Σ c), the log-likelihood
    Σ_sentences count · log Z under the old scores, and the expected counts c_i.

    >>> scores = {"a": -1.0, "b": -1.0, "ab": -1.0}
    >>> new_scores, log_likelihood, _ = em_step(scores, Counter(["ab"]))
    >>> round(log_likelihood, 4), round(new_scores["ab"], 4)
    (-0.6867, -0.5514)
    """
    model = _model(scores)
    expected = np.zeros(model.vocab_size)
    log_likelihood = 0.0
    for sentence, count in sentences.items():
        log_z, counts = model.forward_backward(sentence)
        log_likelihood += count * log_z
        expected += count * counts
    piece_counts = {
        p: max(c, 1e-300)
        for (p, _), c in zip(model.vocabulary[1:], expected[1:], strict=True)
    }
    total = sum(piece_counts.values())
    new_scores = {piece: math.log(c / total) for piece, c in piece_counts.items()}
    return new_scores, log_likelihood, piece_counts


def prune(
    scores: dict[str, float], counts: dict[str, float], keep: int
) -> dict[str, float]:
    """Keep every character and the ``keep`` − (number of characters) pieces whose
    removal would cost the most likelihood; renormalise the scores.

    >>> counts = {"a": 1.0, "b": 1.0, "ab": 2.0, "ba": 0.1}
    >>> scores = {piece: math.log(count / 4.1) for piece, count in counts.items()}
    >>> sorted(prune(scores, counts, keep=3))
    ['a', 'ab', 'b']
    """
    model = _model(scores)
    total = sum(counts.values())
    loss = {}
    for piece in scores:
        if len(piece) == 1:
            continue
        alternative, _ = model.best_alternative(piece)
        moved = counts[piece]
        new_total = total + moved * (len(alternative) - 1)
        log_p_alternative = sum(
            math.log((counts[a] + moved) / new_total) for a in alternative
        )
        loss[piece] = moved * (math.log(moved / total) - log_p_alternative)
    characters = [p for p in scores if len(p) == 1]
    kept = (
        characters + sorted(loss, key=loss.get, reverse=True)[: keep - len(characters)]
    )
    kept_total = sum(counts[p] for p in kept)
    return {piece: math.log(counts[piece] / kept_total) for piece in kept}


def _check_vocab_size(vocab_size: int, scores: dict[str, float]) -> None:
    characters = sum(len(piece) == 1 for piece in scores)
    if not characters < vocab_size <= len(scores) + 1:
        raise ValueError(
            f"vocab_size must be from {characters + 1} (the corpus's {characters} "
            f"characters and <unk>) to {len(scores) + 1} (the seed pieces and "
            f"<unk>), got {vocab_size}"
        )


def train_unigram(
    corpus: str | Iterable[str],
    vocab_size: int,
    max_piece_length: int = 16,
    shrinking_factor: float = 0.75,
    num_sub_iterations: int = 2,
    seed_size: int | None = None,
) -> Unigram:
    """Learn a unigram vocabulary of exactly ``vocab_size`` pieces (``<unk>`` is id 0).

    Each line of a ``str`` corpus, or each item of an iterable, is a sentence; pieces
    never cross sentences. The seed holds ``seed_size`` substrings (by default 10 ×
    ``vocab_size``). ``model.history`` holds one ``EMIteration`` per E-step.

    >>> model = train_unigram(["low", "lower", "lowest", "low"], vocab_size=10)
    >>> model.pieces("lowest"), len(model.history)
    (['lowe', 's', 't'], 4)
    """
    sentences = Counter(line for line in corpus_lines(corpus) if line)
    vocab_size = check_int("vocab_size", vocab_size, minimum=2)
    if not 0 < check_positive_number("shrinking_factor", shrinking_factor) < 1:
        raise ValueError(f"shrinking_factor must be in (0, 1), got {shrinking_factor}")
    if seed_size is not None:
        check_int("seed_size", seed_size, minimum=1)
    seed_size = 10 * vocab_size if seed_size is None else seed_size
    max_piece_length = check_int("max_piece_length", max_piece_length, minimum=1)
    scores = seed_pieces(sentences, max_piece_length, seed_size)
    _check_vocab_size(vocab_size, scores)
    num_sub_iterations = check_int("num_sub_iterations", num_sub_iterations, minimum=1)
    history = []
    for round_ in itertools.count():
        for _ in range(num_sub_iterations):
            scores, log_likelihood, counts = em_step(scores, sentences)
            history.append(EMIteration(round_, len(scores) + 1, log_likelihood))
        if len(scores) + 1 <= vocab_size:
            break
        keep = max(vocab_size - 1, int(len(scores) * shrinking_factor))
        scores = prune(scores, counts, keep)
    model = _model(dict(sorted(scores.items(), key=lambda item: -item[1])))
    model.history = history
    return model
