"""What a word vocabulary costs: coverage against a direct count, word families, and
the ids a word and a subword tokenizer spend on them."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.tokenization import CharLevel, WordLevel, train_bpe
from llmviz.tokenization.word_vocab import (
    distinct_ids,
    shares_stem,
    types_for_coverage,
    word_families,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), min_size=1), st.floats(0, 1))
def test_coverage_is_the_smallest_sufficient_prefix(tokens, target):
    counts = Counter(tokens)
    k = types_for_coverage(counts, target)
    top = [n for _, n in counts.most_common()]
    total = sum(top)
    assert sum(top[:k]) >= target * total - 1e-9
    assert k == 1 or sum(top[: k - 1]) < target * total


def test_families_and_ids():
    text = "walk walks walked walking talk talks talked talking " * 20
    families = word_families(set(text.split()))
    assert families == [
        ["talk", "talks", "talked", "talking"],
        ["walk", "walks", "walked", "walking"],
    ]
    words = [w for f in families for w in f]
    assert distinct_ids(WordLevel.train(text), words) == 8  # one id per form
    assert distinct_ids(CharLevel.train(text), words) == len(set(text))
    bpe = train_bpe(text, vocab_size=256 + 12)
    assert bpe.pieces(" walked") == [" walk", "ed"]
    assert shares_stem(bpe, families[1]) and shares_stem(CharLevel.train(text), words)
    assert not shares_stem(WordLevel.train(text), families[0])
