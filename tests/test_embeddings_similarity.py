"""Neighbours, analogies, their accuracy, the neighbour overlap and the 2-D PCA of
llmviz.embeddings.similarity and .analogies: against gensim's KeyedVectors
(most_similar, evaluate_word_analogies), NumPy's eigen-decomposition of the
covariance, and invariants of cosine similarity."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.analogies import ANALOGIES, analogy_accuracy, analogy_questions
from llmviz.embeddings.similarity import analogy, nearest, neighbour_overlap, pca_2d

gensim = pytest.importorskip("gensim")
from gensim.models import KeyedVectors  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)


def random_vectors(num_words: int, dim: int, seed: int) -> tuple[torch.Tensor, tuple]:
    gen = torch.Generator().manual_seed(seed)
    words = tuple(f"w{i}" for i in range(num_words))
    return torch.randn(num_words, dim, generator=gen), words


def keyed(vectors: torch.Tensor, words: tuple) -> KeyedVectors:
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(words), vectors.numpy())
    return kv


def same_answers(ours: list, theirs: list) -> None:
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@SETTINGS
@given(st.integers(3, 60), st.integers(2, 16), st.integers(0, 2**16), st.data())
def test_nearest_equals_gensim_most_similar(num_words, dim, seed, data):
    vectors, words = random_vectors(num_words, dim, seed)
    word = words[data.draw(st.integers(0, num_words - 1))]
    k = data.draw(st.integers(1, num_words - 1))
    theirs = keyed(vectors, words).most_similar(word, topn=k)
    same_answers(nearest(vectors, words, word, k=k), theirs)


@SETTINGS
@given(st.integers(5, 60), st.integers(2, 16), st.integers(0, 2**16), st.data())
def test_analogy_equals_gensim_3cosadd(num_words, dim, seed, data):
    vectors, words = random_vectors(num_words, dim, seed)
    a, b, c = (words[i] for i in data.draw(st.permutations(range(num_words)))[:3])
    k = data.draw(st.integers(1, num_words - 3))
    theirs = keyed(vectors, words).most_similar(positive=[b, c], negative=[a], topn=k)
    same_answers(analogy(vectors, words, a, b, c, k=k), theirs)


@settings(max_examples=25, deadline=None)
@given(st.integers(6, 40), st.integers(2, 8), st.integers(0, 2**16), st.data())
def test_analogy_accuracy_equals_gensim_evaluate(num_words, dim, seed, data):
    vectors, words = random_vectors(num_words, dim, seed)
    pool = list(words) + ["unknownword"]
    questions = data.draw(
        st.lists(st.lists(st.sampled_from(pool), min_size=4, max_size=4, unique=True)
                 .map(tuple), min_size=1, max_size=30)
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "questions.txt"
        path.write_text(": all\n" + "".join(" ".join(q) + "\n" for q in questions))
        _, sections = keyed(vectors, words).evaluate_word_analogies(str(path))
    total = sections[-1]
    score = analogy_accuracy(vectors, words, questions)
    assert score.correct == len(total["correct"])
    assert score.answered == len(total["correct"]) + len(total["incorrect"])
    assert score.unknown == sum("unknownword" in q for q in questions)
    assert score.chance == 1 / (num_words - 3)


def test_the_shipped_analogies_load_and_gensim_reads_them():
    sections = analogy_questions()
    questions = [q for qs in sections.values() for q in qs]
    assert 30 <= len(questions) <= 60 and len(sections) >= 3
    words = tuple(sorted({w for q in questions for w in q}))
    vectors, _ = random_vectors(len(words), 8, 0)
    _, theirs = keyed(vectors, words).evaluate_word_analogies(str(ANALOGIES))
    assert (
        len(theirs[-1]["correct"])
        == analogy_accuracy(vectors, words, questions).correct
    )


@SETTINGS
@given(st.integers(2, 50), st.integers(2, 12), st.integers(0, 2**16))
def test_pca_equals_numpy_covariance_eigenvectors_up_to_sign(num_rows, dim, seed):
    vectors, _ = random_vectors(num_rows, dim, seed)
    points, ratio = pca_2d(vectors.double())
    x = vectors.double().numpy()
    centred = x - x.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(eigenvalues)[::-1][:2]
    expected = centred @ eigenvectors[:, order]
    for axis in range(2):
        if eigenvalues[order[axis]] < 1e-9 * eigenvalues.sum():
            continue  # a zero-variance axis (fewer rows than dimensions): any direction
        sign = np.sign(expected[:, axis] @ points[:, axis].numpy())
        np.testing.assert_allclose(points[:, axis], sign * expected[:, axis], atol=1e-8)
    np.testing.assert_allclose(
        ratio, eigenvalues[order] / eigenvalues.sum(), atol=1e-10
    )


def test_pca_keeps_its_dtype_and_its_sign_rule():
    points, ratio = pca_2d(torch.tensor([[0.0, 0.0], [1.0, 0.0], [-3.0, 0.5]]))
    assert points.dtype == ratio.dtype == torch.float32
    assert points[2, 0] > 0  # the farthest point lies on the positive side


@SETTINGS
@given(st.integers(3, 40), st.integers(2, 8), st.integers(0, 2**16), st.data())
def test_cosine_neighbours_ignore_each_vectors_length(num_words, dim, seed, data):
    vectors, words = random_vectors(num_words, dim, seed)
    scales = torch.rand(num_words, 1, generator=torch.Generator().manual_seed(seed)) * 9
    word = words[data.draw(st.integers(0, num_words - 1))]
    same_answers(nearest(vectors * (scales + 0.1), words, word, k=num_words - 1),
                 nearest(vectors, words, word, k=num_words - 1))  # fmt: skip


def test_one_hot_vectors_are_all_orthogonal_so_every_cosine_is_zero():
    words = tuple(f"w{i}" for i in range(12))
    neighbours = nearest(torch.eye(12), words, "w3", k=11)
    assert {w for w, _ in neighbours} == set(words) - {"w3"}
    assert all(s == 0.0 for _, s in neighbours)


@SETTINGS
@given(st.integers(4, 40), st.integers(2, 8), st.integers(0, 2**16), st.data())
def test_neighbour_overlap_counts_shared_top_k(num_words, dim, seed, data):
    a, words = random_vectors(num_words, dim, seed)
    b, _ = random_vectors(num_words, dim + 1, seed + 1)
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=5))
    k = data.draw(st.integers(1, num_words - 1))
    expected = np.mean([
        len({w for w, _ in nearest(a, words, q, k)} & {w for w, _ in nearest(b, words, q, k)}) / k
        for q in chosen
    ])  # fmt: skip
    assert neighbour_overlap(a, b, words, chosen, k) == pytest.approx(expected)
    assert neighbour_overlap(b, a, words, chosen, k) == pytest.approx(expected)
    rotation, _ = torch.linalg.qr(
        torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed))
    )
    assert neighbour_overlap(a, a @ rotation, words, chosen, k) == pytest.approx(1.0)


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 2**16))
def test_context_counts_equal_a_loop_over_every_pair_within_the_window(
    vocab_size, window, seed
):
    from llmviz.embeddings.similarity import context_counts

    rng = np.random.default_rng(seed)
    sentences = [rng.integers(0, vocab_size, size=rng.integers(0, 9)) for _ in range(4)]
    expected = np.zeros((vocab_size, vocab_size), np.int64)
    for ids in sentences:
        for i, j in itertools.product(range(len(ids)), repeat=2):
            if i != j and abs(i - j) <= window:
                expected[ids[i], ids[j]] += 1
    counts = context_counts(sentences, vocab_size, window)
    np.testing.assert_array_equal(counts, expected)
    assert (counts == counts.T).all()


def test_the_toy_corpus_is_seeded_and_its_control_keeps_words_and_frames():
    from llmviz.embeddings.toy import GENDER, PAIRS, analogy_set, toy_sentences

    assert toy_sentences(50, seed=3) == toy_sentences(50, seed=3)
    consistent, control = (
        toy_sentences(400, seed=3),
        toy_sentences(400, seed=3, consistent=False),
    )
    assert [len(s) for s in consistent] == [len(s) for s in control]  # the same frames
    words = {w for pair in PAIRS for w in pair[:2]}
    for a, b in zip(consistent, control, strict=True):
        assert [w for w in a if w in words] == [w for w in b if w in words]
    female = {pair[1] for pair in PAIRS}
    for sentence in consistent:  # the consistent corpus: gender words follow the word
        word = next(w for w in sentence if w in words)
        wrong = GENDER[0] if word in female else GENDER[1]
        assert not set(wrong) & set(sentence)
    assert len(analogy_set()) == len(PAIRS) * (len(PAIRS) - 1)
