"""Chapter 2's live explorer (llmviz.widgets.embeddings): its computation against
nearest and char_ngrams, the drawing, and the widget under this ipywidgets (8); the
explorer machinery itself runs under ipywidgets 7 too in tests/test_widgets.py."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
import torch

from llmviz.embeddings.fasttext import char_ngrams
from llmviz.embeddings.similarity import nearest
from llmviz.notebook import BOOK_ENV
from llmviz.widgets import Explorer, LiveOnly
from llmviz.widgets.embeddings import draw_word_view, embedding_explorer, word_view

WORDS = ("list", "lists", "int", "integer", "str", "string", "tuple")
VECTORS = torch.randn(len(WORDS), 5, generator=torch.Generator().manual_seed(0))


@pytest.fixture(autouse=True)
def live(monkeypatch):
    monkeypatch.delenv(BOOK_ENV, raising=False)


def test_a_known_word_gets_its_cosine_neighbours_and_ngrams():
    view = word_view(VECTORS, WORDS, " List ", k=3)
    assert view["known"] and view["word"] == "list"
    assert view["neighbours"] == nearest(VECTORS, WORDS, "list", 3)
    assert view["ngrams"] == char_ngrams("list", 3, 6)


def test_an_unknown_word_gets_ngrams_and_no_neighbours():
    view = word_view(VECTORS, WORDS, "listing", k=3)
    assert not view["known"] and view["neighbours"] == []
    assert "<li" in view["ngrams"] and "ing>" in view["ngrams"]
    fig = draw_word_view(view)
    assert "not in the vocabulary" in fig.layout.title.text


def test_the_figure_lists_the_neighbours_best_at_the_top():
    view = word_view(VECTORS, WORDS, "int", k=4)
    fig = draw_word_view(view)
    assert list(fig.data[0].y)[::-1] == [w for w, _ in view["neighbours"]]
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert str(len(view["ngrams"])) in fig.layout.annotations[0].text


def test_typing_a_word_redraws():
    explorer = embedding_explorer(VECTORS, WORDS, "list", k=2)
    assert isinstance(explorer, Explorer)
    explorer.controls["word"].value = "tuple"
    assert "tuple" in explorer.figure.layout.title.text
    explorer.controls["k"].value = 5
    assert len(explorer.figure.data[0].y) == 5
    assert explorer.last_redraw_ms < 1000


def test_while_building_the_book_no_widget_is_made(monkeypatch):
    monkeypatch.setenv(BOOK_ENV, "1")
    shown = embedding_explorer(VECTORS, WORDS, "str", k=3)
    assert isinstance(shown, LiveOnly) and isinstance(shown.figure, go.Figure)
