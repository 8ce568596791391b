"""Token boundaries: one box per token laid out like text, and the same traces whatever
the input (so sliders work)."""

from __future__ import annotations

import numpy as np
import pytest

from llmviz.viz.slider import slider_figure
from llmviz.viz.tokens import (
    BOX_COLORS,
    token_boundaries,
    visible,
)

BOXES = slice(0, len(BOX_COLORS))  # the box traces come first
TOKEN_TEXT, HEADERS = len(BOX_COLORS), len(BOX_COLORS) + 1


def gaps(trace) -> int:
    """How many NaN-separated shapes (rectangles, arcs) a trace draws."""
    return int(np.isnan(np.asarray(trace.x, dtype=float)).sum())


def lines_of(fig) -> list[float]:
    """The line (y) of each token, in order."""
    return list(fig.data[TOKEN_TEXT].y)


def structure(fig) -> list[tuple]:
    return [(trace.type, trace.mode, trace.fill) for trace in fig.data]


def test_one_box_per_token_and_the_text_in_order():
    rows = {"words": ["The", " cat", " sat"], "chars": list("The cat")}
    fig = token_boundaries(rows, title="two tokenizers")
    assert sum(gaps(trace) for trace in fig.data[BOXES]) == 3 + 7
    assert list(fig.data[TOKEN_TEXT].text) == ["The", "·cat", "·sat", *"The·cat"]
    assert list(fig.data[HEADERS].text) == [
        "<b>words</b>: 3 tokens",
        "<b>chars</b>: 7 tokens",
    ]
    assert fig.layout.title.text == "two tokenizers"
    # rows given as (name, tokens) pairs draw the same figure
    as_pairs = token_boundaries(list(rows.items()), title="two tokenizers")
    assert as_pairs.to_json() == fig.to_json()


def test_neighbouring_tokens_get_different_colours():
    fig = token_boundaries({"x": list("abcdefghij")})
    assert [gaps(trace) for trace in fig.data[BOXES]] == [3, 3, 2, 2]
    assert [trace.line.color for trace in fig.data[BOXES]] == list(BOX_COLORS)
    # light fills; the token text takes the layout's font colour (re-themed in dark mode)
    assert all(trace.fillcolor.endswith("0.25)") for trace in fig.data[BOXES])
    assert fig.data[TOKEN_TEXT].textfont.color is None


def test_wide_characters_count_two_columns():
    # each box is half a column wider than its text: 2.5 columns a CJK character
    cjk = token_boundaries({"cjk": list("一二三四五六七八九十")}, width=13)
    assert lines_of(cjk) == [1] * 5 + [2] * 5
    ascii_row = token_boundaries({"ascii": list("abcdefghij")}, width=15)
    assert lines_of(ascii_row) == [1] * 10
    assert lines_of(token_boundaries({"w": ["ab", "cd", "ef"]}, width=3)) == [1, 2, 3]


def test_whitespace_is_visible_and_a_newline_breaks_the_line():
    assert visible(" a\tb\n\r") == "·a→b↵␍"
    fig = token_boundaries({"t": ["one", "\n", "two", " ", "\tthree"]})
    assert list(fig.data[TOKEN_TEXT].text) == ["one", "↵", "two", "·", "→three"]
    assert lines_of(fig) == [1, 1, 2, 2, 2]


def test_taller_for_more_lines_and_markup_is_shown_as_written():
    short = token_boundaries({"t": ["a"] * 10}, width=10)
    tall = token_boundaries({"t": ["a"] * 100}, width=10)
    assert tall.layout.height > short.layout.height
    fig = token_boundaries({"t": ["<b>", "&"]})
    assert list(fig.data[TOKEN_TEXT].text) == ["&lt;b&gt;", "&amp;"]


def test_hover_shows_the_token_its_id_and_its_bytes():
    fig = token_boundaries({"bpe": ["你", " a"]}, ids={"bpe": [42, 7]})
    first, second = fig.data[TOKEN_TEXT].hovertext
    assert "'你'" in first and "id 42" in first and "3 bytes" in first
    assert "' a'" in second and "id 7" in second and "2 bytes" in second
    plain = token_boundaries({"bpe": ["a"]}).data[TOKEN_TEXT].hovertext[0]
    assert "id" not in plain and "1 bytes" in plain


def test_same_traces_for_any_input_so_sliders_work():
    small = token_boundaries({"a": ["x"]})
    empty = token_boundaries({"a": [], "b": []})
    big = token_boundaries({f"row {k}": ["tok"] * 500 for k in range(4)})
    assert structure(small) == structure(empty) == structure(big)
    assert sum(gaps(trace) for trace in big.data[BOXES]) == 2000


def test_min_lines_reserves_room_for_taller_slider_frames():
    short, tall = ["a"] * 3, ["bb"] * 60  # 1 line and 3 lines at width 48
    plain = slider_figure(
        lambda n: {"t": [short, tall][n]}, "n", [0, 1], draw=token_boundaries
    )
    bottom = plain.layout.yaxis.range[0]  # the y axis runs down from line 0
    assert max(plain.frames[1].data[TOKEN_TEXT].y) > bottom  # cut off without room
    roomy = slider_figure(
        lambda n: {"t": [short, tall][n]},
        "n",
        [0, 1],
        draw=lambda rows: token_boundaries(rows, min_lines=5),
    )
    assert max(roomy.frames[1].data[TOKEN_TEXT].y) < roomy.layout.yaxis.range[0]
    assert roomy.layout.height > plain.layout.height


def test_a_merge_step_slider_over_token_lists_of_different_lengths():
    steps = [["l", "o", "w", "e", "r"], ["lo", "w", "e", "r"], ["low", "er"]]
    fig = slider_figure(
        lambda step: {"BPE": steps[step]}, "step", [0, 1, 2], draw=token_boundaries
    )
    texts = [list(frame.data[TOKEN_TEXT].text) for frame in fig.frames]
    assert texts == steps
    assert [frame.data[HEADERS].text[0][-8:] for frame in fig.frames] == [
        "5 tokens",
        "4 tokens",
        "2 tokens",
    ]


def test_the_default_width_is_legible_on_a_phone():
    # A 390 px phone gives a figure 358 px; the margins take 20 of them. A column must
    # be as wide as one monospace character, 0.6 em of the token font (DejaVu Sans
    # Mono's advance), or neighbouring tokens' text overlaps.
    fig = token_boundaries({"t": list("abc")})
    low, high = fig.layout.xaxis.range
    pixels_per_column = (358 - fig.layout.margin.l - fig.layout.margin.r) / (high - low)
    assert pixels_per_column >= 0.6 * fig.data[TOKEN_TEXT].textfont.size


def test_a_one_character_token_has_room_inside_its_box_on_a_phone():
    # At 358 px a box must be wider than its text by a few pixels, or the letter
    # touches its border and a one-character token is a sliver.
    fig = token_boundaries({"t": list("abc") * 20})
    low, high = fig.layout.xaxis.range
    pixels_per_column = (358 - fig.layout.margin.l - fig.layout.margin.r) / (high - low)
    left, right = fig.data[0].x[:2]  # the first box, a one-character token
    text = 0.6 * fig.data[TOKEN_TEXT].textfont.size
    assert (right - left) * pixels_per_column - text >= 3  # 1.5 px either side
    assert fig.data[TOKEN_TEXT].textfont.size >= 11


def test_a_two_line_title_gets_room_above_the_boxes():
    one = token_boundaries({"t": ["a"]}, title="one line")
    two = token_boundaries({"t": ["a"]}, title="two<br>lines")
    assert two.layout.margin.t > one.layout.margin.t
    assert (
        two.layout.height - one.layout.height
        == two.layout.margin.t - one.layout.margin.t
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: token_boundaries({}),
            ValueError,
            r"rows must map tokenizer names to tokens, got none",
        ),
        (
            lambda: token_boundaries({"a": "abc"}),
            TypeError,
            r"rows\['a'\] must be a list of str tokens, got 'abc'",
        ),
        (
            lambda: token_boundaries({"a": ["x", 3]}),
            TypeError,
            r"rows\['a'\]\[1\] must be a str, got 3 \(int\)",
        ),
        (
            lambda: token_boundaries({"a": ["x"]}, width=0),
            ValueError,
            r"width must be an integer >= 1, got 0",
        ),
        (
            lambda: token_boundaries({"a": ["x"]}, width=2.5),
            TypeError,
            r"width must be an integer, got 2.5",
        ),
        (
            lambda: token_boundaries({"a": ["x"]}, min_lines=-1),
            ValueError,
            r"min_lines must be an integer >= 0, got -1",
        ),
        (
            lambda: token_boundaries({"a": ["x"]}, ids={"a": [1, 2]}),
            ValueError,
            r"ids\['a'\] has 2 ids but rows\['a'\] has 1 tokens",
        ),
        (
            lambda: token_boundaries({"a": ["x"]}, ids={"b": [1]}),
            ValueError,
            r"ids names 'b', which is not one of the rows",
        ),
    ],
)
def test_bad_input_is_named_in_the_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
