"""The unigram model against sentencepiece and Hugging Face ``tokenizers`` built from the
same pieces and scores, against brute-force enumeration of every segmentation, and the
trainer against the invariants of EM."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import numpy as np
import pytest
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import models as hf_models

from llmviz.data import chinese, python_docs
from llmviz.tokenization.sentencepiece import (
    escape,
    reference_sentencepiece,
    unigram_from_sentencepiece,
)
from llmviz.tokenization.unigram import TINY_VOCABULARY, Unigram
from llmviz.tokenization.unigram_train import em_step, seed_pieces, train_unigram

UNKNOWN_LINES = ["naïve café ☃ — 中文 ok", "x ∑∑∑ y", "ÿÿ"]  # runs of unknowns too


@cache
def corpora() -> dict[str, tuple[str, str, int]]:
    """name -> (training text, held-out text, vocab_size)."""
    english_train, english_held_out = python_docs(60_000).split(0.8)
    chinese_train, chinese_held_out = chinese().split(0.8)
    return {
        "english": (english_train, english_held_out, 1000),
        "chinese": (chinese_train, chinese_held_out, 450),
    }


@cache
def reference(name: str):
    train, _, vocab_size = corpora()[name]
    return reference_sentencepiece(train, vocab_size)


def held_out_lines(name: str) -> list[str]:
    return [line for line in corpora()[name][1].splitlines() if line] + UNKNOWN_LINES


def segmentations(text: str, vocabulary: set[str]) -> list[list[str]]:
    """Every way to cut ``text`` into vocabulary pieces, by recursion on the first piece."""
    if not text:
        return [[]]
    return [
        [text[:end], *rest]
        for end in range(1, len(text) + 1)
        if text[:end] in vocabulary
        for rest in segmentations(text[end:], vocabulary)
    ]


def brute_force_scores(model: Unigram, text: str) -> dict[tuple[str, ...], float]:
    scores = dict(model.vocabulary[1:])
    return {
        tuple(pieces): sum(scores[p] for p in pieces)
        for pieces in segmentations(text, set(scores))
    }


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_viterbi_ids_equal_sentencepiece_on_every_held_out_line(name):
    sp = reference(name)
    ours = unigram_from_sentencepiece(sp)
    lines = held_out_lines(name)
    with_unknowns = [line for line in lines if sp.unk_id() in sp.encode(line)]
    assert len(with_unknowns) >= len(UNKNOWN_LINES)
    mismatches = [
        line for line in lines if ours.encode(escape(line)) != sp.encode(line)
    ]
    assert mismatches == []
    for line in lines:
        assert ours.pieces(escape(line)) == sp.encode(line, out_type=str)


def sentencepiece_with(pieces: list[tuple[str, float]]):
    """A real sentencepiece model holding exactly ``pieces`` (the first is <unk>)."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto.FromString(
        reference("chinese").serialized_model_proto()
    )
    del proto.pieces[:]
    for i, (piece, score) in enumerate(pieces):
        kind = proto.SentencePiece.UNKNOWN if i == 0 else proto.SentencePiece.NORMAL
        proto.pieces.add(piece=piece, score=score, type=kind)
    return sentencepiece.SentencePieceProcessor(model_proto=proto.SerializeToString())


def test_ties_are_broken_as_sentencepiece_breaks_them():
    # Integer scores make many segmentations score exactly the same.
    rng = np.random.default_rng(0)
    candidates = ["▁", "a", "b", "c", "ab", "ba", "abc", "▁a", "▁ab", "bc", "cab"]
    for _ in range(30):
        chosen = ["▁", "a", "b"] + list(rng.choice(candidates[3:], 5, replace=False))
        pieces = [("<unk>", 0.0)] + [(p, -float(rng.integers(1, 4))) for p in chosen]
        sp, ours = sentencepiece_with(pieces), Unigram(pieces)
        for _ in range(20):
            text = "".join(rng.choice(list("abc "), rng.integers(1, 12)))
            assert ours.encode(escape(text)) == sp.encode(text), (pieces, text)


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_viterbi_ids_equal_hugging_face_unigram(name):
    sp = reference(name)
    ours = unigram_from_sentencepiece(sp)
    hf = HFTokenizer(hf_models.Unigram(ours.vocabulary, unk_id=sp.unk_id()))
    for line in held_out_lines(name):
        assert ours.encode(escape(line)) == hf.encode(escape(line)).ids, line


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_viterbi_score_equals_sentencepiece_path_score(name):
    # encode(out_type="proto").score is 0.0 in sentencepiece 0.2.3; the n-best proto
    # carries the path score. sentencepiece adds float32 scores, hence the tolerance.
    sp = reference(name)
    ours = unigram_from_sentencepiece(sp)
    for line in held_out_lines(name)[:200]:
        proto = sp.nbest_encode(line, nbest_size=2, out_type="proto")
        expected = proto.nbests[0].score
        assert ours.viterbi(escape(line))[1] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_nbest_equals_sentencepiece(name):
    sp = reference(name)
    ours = unigram_from_sentencepiece(sp)
    for line in [line[:12] for line in held_out_lines(name)[:40]]:
        expected = sp.nbest_encode(line, nbest_size=6, out_type="proto").nbests
        got = ours.nbest(escape(line), 6)
        assert [s for _, s in got] == pytest.approx(
            [e.score for e in expected], rel=1e-5
        )
        for best in expected:  # equal scores may come in either order
            tied = [
                tuple(p) for p, s in got if s == pytest.approx(best.score, rel=1e-6)
            ]
            assert tuple(x.piece for x in best.pieces) in tied


def test_nbest_is_the_brute_force_ranking():
    model = unigram_from_sentencepiece(reference("english"))
    for text in ["▁the▁", "▁print(x)", "▁return▁None"]:
        everything = sorted(brute_force_scores(model, text).values(), reverse=True)
        got = [score for _, score in model.nbest(text, 10_000)]
        assert got == pytest.approx(everything)
        assert model.viterbi(text)[1] == pytest.approx(everything[0])


def test_probabilities_of_all_segmentations_sum_to_one():
    model = unigram_from_sentencepiece(reference("english"))
    for text in ["▁the▁", "▁print(x)", "▁a▁b▁c"]:
        all_pieces = brute_force_scores(model, text)
        total = sum(math.exp(model.log_probability(text, p)) for p in all_pieces)
        assert total == pytest.approx(1.0, abs=1e-9)
        log_z = np.logaddexp.reduce(list(all_pieces.values()))
        assert model.forward_backward(text)[0] == pytest.approx(log_z)


def test_expected_counts_are_the_gradient_of_log_z():
    sp = reference("english")
    vocabulary = unigram_from_sentencepiece(sp).vocabulary
    text, step = "▁print(the▁list)", 1e-5
    _, counts = Unigram(vocabulary).forward_backward(text)
    for piece_id in [i for i in np.argsort(-counts)[:8]] + [sp.piece_to_id("▁pr")]:
        shifted = []
        for sign in (1, -1):
            scores = [list(v) for v in vocabulary]
            scores[piece_id][1] += sign * step
            shifted.append(Unigram(scores).forward_backward(text)[0])
        gradient = (shifted[0] - shifted[1]) / (2 * step)
        assert gradient == pytest.approx(counts[piece_id], abs=1e-6)
    lengths = [len(piece) for piece, _ in vocabulary]
    assert np.dot(counts, lengths) == pytest.approx(len(text))  # each char covered once


def test_sample_frequencies_approach_the_tempered_distribution():
    model, text, alpha, draws = Unigram(TINY_VOCABULARY), "abab", 0.5, 20_000
    scores = brute_force_scores(model, text)
    log_z_alpha = np.logaddexp.reduce([alpha * s for s in scores.values()])
    rng = np.random.default_rng(1)
    counts = Counter(tuple(model.sample(text, alpha, rng)) for _ in range(draws))
    assert set(counts) <= set(scores)
    for pieces, score in scores.items():
        p = math.exp(alpha * score - log_z_alpha)
        tolerance = 4.5 * math.sqrt(p * (1 - p) / draws)  # 4.5 standard errors
        assert abs(counts[pieces] / draws - p) < tolerance, pieces


def test_sample_with_the_same_seed_is_the_same():
    model = unigram_from_sentencepiece(reference("english"))
    text = escape("subword regularisation samples a new segmentation")
    first = [model.sample(text, 0.1, seed=seed) for seed in range(20)]
    assert first == [model.sample(text, 0.1, seed=seed) for seed in range(20)]
    assert len({tuple(pieces) for pieces in first}) > 1
    assert all("".join(pieces) == text for pieces in first)


@cache
def trained_on_lines() -> tuple[Unigram, str]:
    train, held_out = python_docs(12_000).split(0.8)
    return train_unigram(train, vocab_size=300), train


def test_training_reaches_vocab_size_and_keeps_every_character():
    model, train = trained_on_lines()
    assert model.vocab_size == 300
    assert set(train) <= set(model.piece_to_id)
    assert model.vocabulary[0] == ("<unk>", 0.0)
    probabilities = [math.exp(score) for _, score in model.vocabulary[1:]]
    assert sum(probabilities) == pytest.approx(1.0)


def test_likelihood_never_decreases_between_em_iterations_at_a_fixed_vocabulary():
    model, _ = trained_on_lines()
    rounds = {step.round for step in model.history}
    assert len(rounds) > 3
    for round_ in rounds:
        curve = [s.log_likelihood for s in model.history if s.round == round_]
        assert len({s.vocab_size for s in model.history if s.round == round_}) == 1
        assert all(
            b >= a - 1e-9 * abs(a) for a, b in zip(curve, curve[1:], strict=False)
        )


def test_plain_em_increases_the_likelihood_step_after_step():
    sentences = Counter(python_docs(3_000).text.split())
    scores = seed_pieces(sentences, max_piece_length=8)
    curve = []
    for _ in range(6):
        scores, log_likelihood, _ = em_step(scores, sentences)
        curve.append(log_likelihood)
    assert all(b > a for a, b in zip(curve, curve[1:], strict=False))


def test_viterbi_of_a_trained_model_beats_every_other_segmentation():
    model, _ = trained_on_lines()
    for text in ["The return value", "if x is None:", "lambda: 0"]:
        pieces, score = model.viterbi(text)
        everything = brute_force_scores(model, text)
        assert score == pytest.approx(max(everything.values()))
        assert everything[tuple(pieces)] == pytest.approx(score)


def test_bad_input_is_refused_with_a_clear_message():
    model = Unigram(TINY_VOCABULARY)
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        model.encode(b"ab")
    with pytest.raises(ValueError, match="id 7 is not in the vocabulary"):
        model.decode([1, 7])
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        model.nbest("ab", 0)
    for alpha in (0, -1.0):
        with pytest.raises(ValueError, match=f"alpha must be .* > 0, got {alpha}"):
            model.sample("ab", alpha)
    with pytest.raises(ValueError, match="pieces must join to text 'ab'"):
        model.log_probability("ab", ["a"])
    with pytest.raises(ValueError, match="unk_id must be below the 4 pieces, got 9"):
        Unigram(TINY_VOCABULARY, unk_id=9)
    with pytest.raises(ValueError, match="pieces must be distinct"):
        Unigram([("<unk>", 0.0), ("a", -1.0), ("a", -2.0)])
    with pytest.raises(ValueError, match="vocab_size must be from 4 .* to .* got 3"):
        train_unigram("abcabc", vocab_size=3)
    with pytest.raises(ValueError, match="corpus must contain some text"):
        train_unigram("", vocab_size=10)
    with pytest.raises(TypeError, match="corpus must be a str or an iterable"):
        train_unigram(42, vocab_size=10)
    with pytest.raises(ValueError, match="shrinking_factor must be in"):
        train_unigram("abcabc", vocab_size=4, shrinking_factor=1.5)


def test_the_issues_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="seed_size must be an integer >= 1, got -1"):
        train_unigram("abcabc", vocab_size=4, seed_size=-1)
    with pytest.raises(ValueError, match=r"control_ids\[0\] must be an id of pieces"):
        Unigram(TINY_VOCABULARY, control_ids=[99])
