"""fastText's classifier: shapes, seeding, finite gradients, and held-out accuracy above
the majority-class baseline on the book's labelled sentences."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.classifier import (
    FastTextClassifier,
    classifier_accuracy,
    classify,
    labelled_examples,
    split_examples,
    text_features,
    text_words,
    train_classifier,
)
from llmviz.embeddings.fasttext import ngram_buckets

EXAMPLES = labelled_examples()
TRAIN, TEST = split_examples(EXAMPLES, 0.3, seed=0)


def test_the_labelled_set_is_balanced_and_bilingual():
    counts = Counter(label for label, _ in EXAMPLES)
    assert set(counts) == {"sports", "tech", "food", "weather"}
    assert len(set(counts.values())) == 1 and len(EXAMPLES) >= 150
    chinese = [t for _, t in EXAMPLES if not t.isascii()]
    assert 0.3 < len(chinese) / len(EXAMPLES) < 0.7
    assert len(set(t for _, t in EXAMPLES)) == len(EXAMPLES)  # no repeats


def test_the_split_is_disjoint_stratified_and_seeded():
    assert sorted(TRAIN + TEST) == sorted(EXAMPLES)
    assert Counter(lab for lab, _ in TEST) == {
        lab: 15 for lab in ("sports", "tech", "food", "weather")
    }
    assert split_examples(EXAMPLES, 0.3, seed=0)[1] == TEST
    assert split_examples(EXAMPLES, 0.3, seed=1)[1] != TEST


def test_text_words_cuts_chinese_and_drops_punctuation():
    assert text_words("Rain, then SUN!") == ["rain", "then", "sun"]
    assert "".join(text_words("明天北方将有大雨。")) == "明天北方将有大雨"


@settings(max_examples=25, deadline=None)
@given(words=st.lists(st.sampled_from(["rain", "雨", "goal", "cpu", "汤"]), min_size=1, max_size=5),
       bucket=st.integers(1, 50), word_ngrams=st.integers(1, 2))  # fmt: skip
def test_features_count_words_ngrams_and_bigrams(words, bucket, word_ngrams):
    index = {"rain": 0, "汤": 1}
    rows = text_features(
        words, index, minn=2, maxn=3, word_ngrams=word_ngrams, bucket=bucket
    )
    known = [index[w] for w in words if w in index]
    grams = [2 + int(b) for w in words for b in ngram_buckets(w, 2, 3, bucket)]
    assert rows[: len(known)].tolist() == known
    assert rows[len(known) : len(known) + len(grams)].tolist() == grams
    assert len(rows) == len(known) + len(grams) + (len(words) - 1) * (word_ngrams == 2)
    assert rows.min() >= 0 and rows.max() < 2 + bucket


def test_the_model_is_a_mean_then_a_linear_map():
    torch.manual_seed(0)
    model = FastTextClassifier(10, 3, hidden_size=4)
    torch.nn.init.normal_(model.output.weight)
    ids, offsets = torch.tensor([1, 2, 5, 7]), torch.tensor([0, 3])
    logits = model(ids, offsets)
    assert logits.shape == (2, 3)
    table = model.embed.weight
    expected = (
        torch.stack([table[[1, 2, 5]].mean(0), table[[7]].mean(0)])
        @ model.output.weight.T
    )
    torch.testing.assert_close(logits, expected + model.output.bias)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2])).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_training_is_seeded():
    a = train_classifier(TRAIN, epochs=2, seed=5)
    b = train_classifier(TRAIN, epochs=2, seed=5)
    c = train_classifier(TRAIN, epochs=2, seed=6)
    assert torch.equal(a.model.embed.weight, b.model.embed.weight)
    assert not torch.equal(a.model.embed.weight, c.model.embed.weight)
    assert all(np.isfinite(a.losses))


@pytest.mark.parametrize("ngrams", [True, False])
def test_held_out_accuracy_beats_the_majority_class(ngrams):
    majority = Counter(lab for lab, _ in TEST).most_common(1)[0][1] / len(TEST)
    trained = train_classifier(TRAIN, maxn=4 if ngrams else 0, seed=0)
    assert classifier_accuracy(trained, TEST) > majority + 0.2
    assert classifier_accuracy(trained, TRAIN) > 0.95  # it fits what it saw
    assert set(classify(trained, ["明天有雨", "the striker scored"])) <= set(
        trained.labels
    )
