"""Colours and layout that read on the site's light and dark pages, and in notebooks.

Backgrounds are transparent, so a figure takes the colour of the page. Text and grid
lines start in the ``LIGHT`` palette; ``_static/llmviz-theme.js`` switches every figure
to ``DARK`` when the reader turns the site to dark mode.

Text starts with the site's own CJK and emoji fonts (``_static/llmviz.css``, subsets
written by ``book/fonts.py``), so a Chinese axis label or an emoji reads on a machine
without such fonts; in a notebook those names match nothing and the next font is used.
"""

from __future__ import annotations

import plotly.graph_objects as go

from llmviz._checks import check_int

LIGHT = {"font": "#1f2933", "grid": "rgba(128, 128, 128, 0.25)"}
DARK = {"font": "#e4e7eb", "grid": "rgba(160, 160, 160, 0.25)"}

# Hues of middle lightness, which keep their contrast on white and on near-black.
# Eight, so that eight groups (MHA's 8 KV heads in the GQA diagram) never share one.
COLORS = (
    "#3b82f6",
    "#f59e0b",
    "#10b981",
    "#ef4444",
    "#a855f7",
    "#06b6d4",
    "#ec4899",
    "#84cc16",
)
SEQUENTIAL = "Viridis"
MASK_COLORS = ("rgba(128, 128, 128, 0.18)", "#3b82f6")  # (hidden pair, visible pair)

# The site's web fonts (for the characters of their unicode-range), then plotly's.
SITE_FONTS = '"llmviz CJK", "llmviz Emoji"'
FONT_FAMILY = f'{SITE_FONTS}, "Open Sans", verdana, arial, sans-serif'
MONOSPACE = f"{SITE_FONTS}, Menlo, Consolas, 'DejaVu Sans Mono', monospace"


def style(
    fig: go.Figure, title: str | None = None, height: int = 380, top: int = 60
) -> go.Figure:
    """Give ``fig`` the book's layout, in place; ``top`` is the space above the plot.

    >>> fig = style(go.Figure(), "A title")
    >>> fig.layout.font.family.startswith(SITE_FONTS), fig.layout.title.text
    (True, 'A title')
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly go.Figure, got {type(fig).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    check_int("height", height, minimum=1, maximum=100_000)
    check_int("top", top, minimum=0, maximum=100_000)
    # Plotly anchors a title of several lines (<br>) by its first line and sets the
    # others above it, out of the figure, unless the pad leaves room: measured, 14 px.
    lines = title.count("<br>") + 1 if title else 1
    fig.update_layout(
        title=dict(
            text=title,
            x=0.5,
            xanchor="center",
            yref="container",
            y=1,
            yanchor="top",
            pad=dict(t=12 if lines == 1 else 26),
        )
        if title
        else None,
        height=height,
        margin=dict(l=60, r=30, t=top + 22 * (lines - 1) if title else 30, b=50),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(color=LIGHT["font"], size=13, family=FONT_FAMILY),
        colorway=list(COLORS),
        legend=dict(bgcolor="rgba(0,0,0,0)"),
    )
    lines = dict(gridcolor=LIGHT["grid"], zerolinecolor=LIGHT["grid"], automargin=True)
    fig.update_xaxes(linecolor=LIGHT["grid"], **lines)
    fig.update_yaxes(linecolor=LIGHT["grid"], **lines)
    return fig


PANEL_TITLE = 24  # px above a panel's top that its title takes


def legend_above(fig: go.Figure, rows: int = 1) -> go.Figure:
    """Put ``fig``'s legend in a row between its title and its plot, in place.

    A legend at the right takes a phone's width from the plot; above it, the plot keeps
    it. ``rows`` is how many rows the legend needs on a phone: the figure grows by the
    room they take. The legend hangs from the title's foot (a fixed distance from the
    figure's top) and plotly moves the plot down below it, so on a wide page, where the
    entries take fewer rows, the plot gets the room instead of a blank band.

    A figure whose panels have titles above them (``small_multiples``) keeps the legend
    above the plot and its panel titles, with the room for ``rows`` reserved.

    >>> fig = legend_above(style(go.Figure(), "t", height=300), rows=2)
    >>> fig.layout.legend.orientation, fig.layout.height, fig.layout.margin.t
    ('h', 354, 60)
    >>> round((1 - fig.layout.legend.y) * fig.layout.height)  # the title's foot, 60 px
    60
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly go.Figure, got {type(fig).__name__}")
    check_int("rows", rows, minimum=1, maximum=20)
    room = 10 + 22 * rows
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 60
    height = fig.layout.height if fig.layout.height is not None else 380
    if _has_panel_titles(fig):
        bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 50
        plot = max(height - top - bottom, 1)  # px, the same after the room is added
        return fig.update_layout(
            legend=dict(
                orientation="h",
                x=0,
                xanchor="left",
                y=1 + PANEL_TITLE / plot,
                yanchor="bottom",
            ),  # fmt: skip
            margin_t=top + room + PANEL_TITLE,
            height=height + room + PANEL_TITLE,
        )
    return fig.update_layout(
        legend=dict(
            orientation="h",
            x=0,
            xanchor="left",
            yref="container",
            y=1 - top / (height + room),
            yanchor="top",
        ),
        height=height + room,
    )


def keep_legend_in_place(fig: go.Figure, height: int) -> go.Figure:
    """Set ``fig``'s height, in place, keeping a legend that ``legend_above`` hung from
    the title's foot at the same distance from the figure's top (its ``y`` is a share of
    the height)."""
    legend = fig.layout.legend
    old = fig.layout.height
    if legend.yref == "container" and legend.y is not None and old:
        legend.y = 1 - (1 - legend.y) * old / height
    return fig.update_layout(height=height)


def _has_panel_titles(fig: go.Figure) -> bool:
    return any(
        a.yref == "paper" and a.y is not None and a.y >= 1 and a.yanchor == "bottom"
        for a in fig.layout.annotations
    )
