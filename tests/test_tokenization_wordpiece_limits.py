"""WordPiece's limits: greedy longest-match against HF tokenizers' WordPiece, and the
fewest-pieces split against a brute-force search over every split."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models

from llmviz.tokenization import WordPiece
from llmviz.tokenization.wordpiece_limits import both_forms, fewest_pieces, unknown_cost

PIECES = ["a", "b", "ab", "ba", "##a", "##b", "##ab", "##ba", "##bb", "aab", "##aab"]


def brute_force(word: str, vocab: set[str]) -> int | None:
    """The fewest pieces over every way to cut ``word``, or None."""
    best = None
    for k in range(len(word)):
        for cuts in combinations(range(1, len(word)), k):
            bounds = [0, *cuts, len(word)]
            parts = [word[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
            pieces = [parts[0], *("##" + p for p in parts[1:])]
            if all(p in vocab for p in pieces):
                best = k + 1 if best is None else min(best, k + 1)
    return best


@settings(max_examples=300, deadline=None)
@given(st.text("ab", min_size=1, max_size=8), st.sets(st.sampled_from(PIECES)))
def test_fewest_pieces_is_a_shortest_cover(word, vocab):
    found, best = fewest_pieces(word, vocab), brute_force(word, vocab)
    assert (found is None) == (best is None)
    if found is not None:
        assert len(found) == best and all(p in vocab for p in found)
        assert found[0] + "".join(p[2:] for p in found[1:]) == word


@settings(max_examples=200, deadline=None)
@given(st.text("ab", min_size=1, max_size=8), st.sets(st.sampled_from(PIECES)))
def test_greedy_matches_hf_and_fails_only_if_something_else_could_or_nothing_can(
    word, vocab
):
    ids = {p: i for i, p in enumerate(["[UNK]", *sorted(vocab)])}
    ours = WordPiece(ids).tokenize_word(word)
    hf = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    assert ours == hf.encode(word, add_special_tokens=False).tokens
    if ours != ["[UNK]"]:  # greedy found a cover, so a shortest one exists
        assert len(fewest_pieces(word, vocab)) <= len(ours)


def test_the_tokenizer_example_fails_greedily_and_splits_otherwise():
    vocab = {"[UNK]": 0, "token": 1, "tokeni": 2, "##izer": 3}
    assert WordPiece(vocab).tokenize_word("tokenizer") == ["[UNK]"]
    assert fewest_pieces("tokenizer", vocab) == ["token", "##izer"]


def test_both_forms_counts_pairs():
    assert both_forms({"ing", "##ing", "in", "##s", "s", "##x"}) == ["ing", "s"]


def test_unknown_cost_counts_whole_words():
    wp = WordPiece({"[UNK]": 0, "c": 1, "##a": 2, "##f": 3, "##e": 4, "a": 5})
    assert wp.pieces("café a cafe") == ["[UNK]", "a", "c", "##a", "##f", "##e"]
    assert unknown_cost(wp, "café a cafe") == {
        "characters": 9,
        "erased": 4,
        "unspellable": 1,
    }
