"""The functions behind the chapter's figures and explorers: what they compute follows
from the tokenizers they wrap, and bad input is refused."""

from itertools import product

import pytest

from llmviz import data
from llmviz.tokenization import CharLevel, train_bpe
from llmviz.tokenization.compare import measure
from llmviz.tokenization.sentencepiece import escape, train_sentencepiece
from llmviz.tokenization.views import (
    after_merges,
    compression_curve,
    nbest_probabilities,
    tokenize_all,
    word_lattice,
)

TEXT = data.python_docs(20_000).text


@pytest.fixture(scope="module")
def bpe():
    return train_bpe(TEXT, 400)


@pytest.fixture(scope="module")
def unigram():
    return train_sentencepiece(TEXT, 300).model


def test_after_merges_equals_a_tokenizer_trained_that_far(bpe):
    smaller = train_bpe(TEXT, 300)
    (pieces,) = after_merges(bpe, "The tokenizer splits words.", 300 - 256).values()
    assert pieces == smaller.pieces("The tokenizer splits words.")
    assert len(after_merges(bpe, "héllo", 0)["after 0 merges"]) == len(
        "héllo".encode()
    )  # one byte each


def test_word_lattice_path_is_the_viterbi_segmentation(unigram):
    text, edges, path = word_lattice(unigram, "understanding")
    assert text == escape("understanding")
    assert [text[a:b] for a, b in path] == unigram.viterbi(text)[0]
    assert path[0][0] == 0 and path[-1][1] == len(text)
    assert all(left[1] == right[0] for left, right in zip(path, path[1:], strict=False))
    spans = {(a, b) for a, b, _, _ in edges}
    assert set(path) <= spans and all(text[a:b] == piece for a, b, piece, _ in edges)


def _segmentations(text, pieces):
    for cuts in product([False, True], repeat=len(text) - 1):
        parts, start = [], 0
        for i, cut in enumerate(cuts, start=1):
            if cut:
                parts.append(text[start:i])
                start = i
        parts.append(text[start:])
        if all(p in pieces for p in parts):
            yield parts


def test_nbest_probabilities_are_a_distribution(unigram):
    word = "tokens"
    everything = list(_segmentations(escape(word), set(unigram.piece_to_id)))
    all_of_them = nbest_probabilities(unigram, word, n=len(everything) + 5)
    assert len(all_of_them) == len(everything)
    assert sum(p for _, p in all_of_them) == pytest.approx(1.0)
    top = nbest_probabilities(unigram, word, n=3)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert top == all_of_them[:3]


def test_compression_curve_is_measure_of_each_truncation(bpe):
    held_out = data.python_docs(40_000).text[20_000:30_000]
    sizes = [256, 300, 400]
    curve = compression_curve(bpe, held_out, sizes)
    assert curve[0] == 1.0  # no merges: one token per byte
    assert curve == [
        measure(bpe.truncated(s - 256), held_out)["bytes per token"] for s in sizes
    ]
    assert curve == sorted(
        curve
    )  # more merges never lengthen a BPE encoding of English here


def test_tokenize_all_names_each_row():
    rows = tokenize_all(
        "ab", {"one": CharLevel.train("a"), "two": CharLevel.train("ab")}
    )
    assert rows == {"one": ["a", "[UNK]"], "two": ["a", "b"]}


def test_bad_input_is_refused_with_a_clear_message(bpe, unigram):
    with pytest.raises(
        ValueError, match="num_merges must be at most 144, the merges learned, got 145"
    ):
        after_merges(bpe, "x", 145)
    with pytest.raises(ValueError, match="num_merges must be an integer >= 0, got -1"):
        after_merges(bpe, "x", -1)
    with pytest.raises(ValueError, match="sizes must be from 256 to 400, .* got 500"):
        compression_curve(bpe, "x", [300, 500])
    with pytest.raises(TypeError, match="word must be a str, got int"):
        word_lattice(unigram, 3)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        nbest_probabilities(unigram, "ab", 0)
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tokenize_all(b"ab", {})


def test_the_lattice_of_unknown_runs_is_sentencepieces():
    """sentencepiece's lattice holds one unknown edge per unknown character and fuses
    a run of them into one token when it encodes: so does ours, and the figure draws
    the path over the lattice's own edges (it used to fail on "日本語")."""
    from llmviz.tokenization.sentencepiece import (
        reference_sentencepiece,
        unigram_from_sentencepiece,
    )
    from llmviz.viz import lattice_figure

    library = reference_sentencepiece(TEXT, 300)
    model = unigram_from_sentencepiece(library)
    for word in ["日本語", "x日本語y", "a日b本c", "日", "understanding"]:
        text, edges, path = word_lattice(model, word)
        unknown = {(a, b) for a, b, piece, _ in edges if piece not in model.piece_to_id}
        foreign = {(i, i + 1) for i, c in enumerate(text) if ord(c) > 0x2581}
        assert unknown == foreign
        fused = [text[a:b] for a, b in path]
        for i in range(len(fused) - 1, 0, -1):  # fuse runs of unknowns, as spm does
            if path[i] in unknown and path[i - 1] in unknown:
                fused[i - 1 : i + 1] = [fused[i - 1] + fused[i]]
        assert fused == library.encode(word, out_type=str)
        assert lattice_figure(text, edges, path).layout.title.text.startswith("Viterbi")


def test_an_empty_word_is_refused_clearly(unigram):
    for view in (word_lattice, nbest_probabilities):
        with pytest.raises(ValueError, match="word must be a non-empty str"):
            view(unigram, "")
