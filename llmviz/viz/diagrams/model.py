"""The whole model on one page, from text in to one token out, each part linked to its
chapter."""

from __future__ import annotations

import plotly.graph_objects as go

from llmviz.viz._args import _text
from llmviz.viz.diagrams._canvas import GREY, Canvas
from llmviz.viz.theme import COLORS

# The chapters written so far (number: notebook); the others are drawn as "coming".
CHAPTERS = {
    1: "01_tokenization",
    2: "02_embeddings",
    3: "03_attention",
    4: "04_long_context",
    5: "05_ffn_and_norms",
    6: "06_positional_encoding",
    7: "07_architectures_and_moe",
    8: "08_decoding",
}


def _chapter(number: int, base: str) -> str:
    """A link to a written chapter, or "chapter N, coming"."""
    if number not in CHAPTERS:
        return f"chapter {number}, coming"
    href = f"{base}{CHAPTERS[number]}.html"
    return (
        f'<a href="{href}" target="_self" style="text-decoration:underline">'
        f"chapter {number}</a>"
    )


def model_diagram(base: str = "../notebooks/") -> go.Figure:
    """The path from text to the next token, as boxes linked to the chapters.

    Text is split into token ids (chapter 1), embedded with their positions (2, 6),
    passed through N blocks of normalisation, attention and a feed-forward network or
    mixture of experts (3, 4, 5, 7), projected to logits and decoded into one token
    (8), which joins the input for the next step. ``base`` is the path from the page
    to the chapters' HTML files (the intro page lives in ``book/``). Parts whose
    chapter is not written yet are greyed, without a link.

    >>> fig = model_diagram()
    >>> sum('href="../notebooks/01_tokenization.html"' in a.text
    ...     for a in fig.layout.annotations)
    1
    """
    _text("base", base)
    link = lambda number: _chapter(number, base)  # noqa: E731
    written, coming = COLORS[0], GREY
    c = Canvas(height=470)
    left, main = (0.175, 0.29), (0.65, 0.6)  # (x, w) of the two columns
    c.box("tokenizer", main[0], 26, main[1], 44,
          f"<b>Tokenizer</b>: text → token ids<br>{link(1)}", written)  # fmt: skip
    c.box("embeddings", main[0], 96, main[1], 44,
          f"<b>Embeddings</b><br>{link(2)}", written)  # fmt: skip
    c.box("positions", left[0], 96, left[1], 44, f"<b>Positions</b><br>{link(6)}",
          written)  # fmt: skip
    c.shapes.append(dict(
        type="rect", name="frame:block", xref="x", yref="y", x0=0.022, x1=0.97,
        y0=130, y1=318, line=dict(color=GREY, width=1.5, dash="dash"),
    ))  # fmt: skip
    c.note(0.04, 148, f"<b>× N layers</b>: x + part(norm(x)) · {link(7)}",
           name="note:block", align="left")  # fmt: skip
    for row, (y, part, text) in enumerate([
        (196, "attention", f"<b>Attention</b> {link(3)}<br>long context: {link(4)}"),
        (276, "ffn", f"<b>FFN</b> {link(5)}<br>or <b>MoE</b> {link(7)}"),
    ]):  # fmt: skip
        c.box(f"norm{row}", left[0], y, left[1], 44, f"<b>Norm</b><br>{link(5)}",
              written, size=11)  # fmt: skip
        c.box(part, main[0], y, main[1], 44, text, written)
        c.arrow(f"norm{row}", part)
    c.box("logits", main[0], 366, main[1], 44,
          f"<b>LM head</b> → logits<br>{link(8)}", written)  # fmt: skip
    c.box("decoding", main[0], 440, main[1], 44,
          f"<b>Decoding</b> → next token<br>{link(8)}", written)  # fmt: skip
    for start, end in [("tokenizer", "embeddings"), ("positions", "embeddings"),
                       ("embeddings", "attention"), ("attention", "ffn"),
                       ("ffn", "logits"), ("logits", "decoding")]:  # fmt: skip
        c.arrow(start, end)
    _loop(c)
    c.key("chapter written", written)
    if set(CHAPTERS) != set(range(1, 9)):
        c.key("chapter coming", coming, muted=True)
    return c.figure("From text to the next token: every part of an LLM and its chapter")


def _loop(c: Canvas) -> None:
    """The new token joins the input: a grey path from decoding up to the tokenizer,
    along the left edge."""
    decoding, tokenizer = c.boxes["decoding"], c.boxes["tokenizer"]
    side = 0.004
    x0, x1 = decoding.x - decoding.w / 2, tokenizer.x - tokenizer.w / 2
    c.shapes.append(dict(
        type="path", name="path:decoding->tokenizer", xref="x", yref="y",
        path=f"M {x0},{decoding.y} L {side},{decoding.y} L {side},{tokenizer.y} "
             f"L {side + 0.02},{tokenizer.y}",
        line=dict(color=GREY, width=1.5),
    ))  # fmt: skip
    c.annotations.append(dict(
        name="arrow:decoding->tokenizer", x=x1, y=tokenizer.y, ax=side + 0.02,
        ay=tokenizer.y, xref="x", yref="y", axref="x", ayref="y", text="",
        showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor=GREY, standoff=0,
    ))  # fmt: skip
    c.note(
        0.03, 403, "the new token<br>joins the input", name="note:loop", align="left"
    )
