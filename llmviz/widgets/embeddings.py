"""Chapter 2's live explorer: type a word, see its nearest words by cosine and its
fastText character n-grams; a word outside the vocabulary has no word2vec vector, and
the n-grams are what fastText would build one from.

``word_view`` is the one computation (the tests call it directly), ``draw_word_view``
draws it, and ``embedding_explorer`` wires both to a text box and a slider through
``explore`` (no widget while the book is built).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from torch import Tensor

from llmviz._checks import check_int
from llmviz.embeddings.fasttext import char_ngrams
from llmviz.embeddings.similarity import MAX_K, check_vectors, nearest
from llmviz.embeddings.similarity import vocabulary_words as vocab_rows
from llmviz.viz.theme import COLORS, style
from llmviz.widgets.explorer import Explorer, LiveOnly, explore


def word_view(
    vectors: Tensor, vocab: Any, word: str, k: int = 8, minn: int = 3, maxn: int = 6
) -> dict[str, Any]:
    """``word``'s ``k`` nearest words by cosine (an empty list when it is not in
    ``vocab``) and its character n-grams ``<word>`` of ``minn``..``maxn`` characters.

    >>> import torch
    >>> view = word_view(torch.eye(3), ("ab", "cd", "ef"), "xy", k=1, minn=3, maxn=3)
    >>> view["known"], view["ngrams"]
    (False, ['<xy', 'xy>'])
    """
    vectors, index = check_vectors("vectors", vectors, vocab)
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}")
    word = word.strip().lower()
    if not word:
        raise ValueError("word must hold at least one letter, got an empty word")
    k = check_int("k", k, minimum=1, maximum=min(MAX_K, max(1, len(index) - 1)))
    ngrams = char_ngrams(word, minn, maxn)
    known = word in index
    near = nearest(vectors, vocab, word, k) if known else []
    return {"word": word, "known": known, "neighbours": near, "ngrams": ngrams}


def _wrapped(items: list[str], per_line: int = 8) -> str:
    lines = [" ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "<br>".join(lines)


def draw_word_view(view: dict[str, Any]) -> go.Figure:
    """Bars of the neighbours' cosines, and the n-grams written under them."""
    keys = {"word", "known", "neighbours", "ngrams"}
    if not isinstance(view, dict) or not keys <= set(view):
        raise TypeError(f"view must be a dict of word_view with keys {sorted(keys)}, "
                        f"got {view!r:.60}")  # fmt: skip
    near = view["neighbours"]
    fig = go.Figure(go.Bar(
        x=[c for _, c in near][::-1], y=[w for w, _ in near][::-1], orientation="h",
        marker_color=COLORS[0], name="cosine", showlegend=False,
        hovertemplate="%{y}: cosine %{x:.3f}<extra></extra>"))  # fmt: skip
    if view["known"]:
        title = f"The {len(near)} nearest words to “{view['word']}” by cosine"
    else:
        title = (f"“{view['word']}” is not in the vocabulary: no word2vec vector"
                 "<br><sup>fastText builds one from its n-grams</sup>")  # fmt: skip
    grams = view["ngrams"]
    fig.add_annotation(
        text=f"{len(grams)} character n-grams: " + _wrapped(grams), showarrow=False,
        xref="paper", yref="paper", x=0, y=-0.22, xanchor="left", yanchor="top",
        align="left",
    )  # fmt: skip
    fig.update_xaxes(
        title="cosine similarity", range=[min([0.0] + [c for _, c in near]), 1]
    )
    fig.update_yaxes(title="word")
    style(fig, title, height=460, top=80)
    fig.layout.margin.b = 140
    return fig


def embedding_explorer(
    vectors: Tensor, vocab: Any, word: str = "list", k: int = 8
) -> Explorer | LiveOnly:
    """A text box for the word and a slider for ``k``, redrawing ``word_view``.

    >>> import os, torch
    >>> os.environ["LLMVIZ_BOOK"] = "1"
    >>> type(embedding_explorer(torch.eye(3), ("ab", "cd", "ef"), "ab", 1)).__name__
    'LiveOnly'
    >>> del os.environ["LLMVIZ_BOOK"]
    """
    start = word_view(vectors, vocab, word, k)  # checks the arguments
    high = max(2, min(len(vocab_rows(vocab)) - 1, 20), k)

    def compute(word: str, k: int) -> dict[str, Any]:
        return word_view(vectors, vocab, word, k)

    return explore(compute, draw_word_view, word=start["word"], k=(1, high, 1, k))
