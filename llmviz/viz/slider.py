"""One compute function and a list of values become a figure with a built-in slider.

Every frame is computed in Python ahead of time and stored in the figure, so the slider
works on a static page with no kernel: plotly.js swaps the frames in the browser.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from llmviz._checks import check_bool, check_callable, check_int
from llmviz.viz.theme import keep_legend_in_place


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_same_traces(figures: list[go.Figure], param: str, values: list) -> None:
    kinds = [[trace.type for trace in fig.data] for fig in figures]
    for value, kind in zip(values, kinds, strict=True):
        if kind != kinds[0]:
            raise ValueError(
                f"draw must give every frame the same traces, but {param}={value!r} "
                f"gave {kind} and {param}={values[0]!r} gave {kinds[0]}"
            )


def _check_keywords(compute: Callable[..., Any], names: list[str]) -> None:
    """Raise unless ``compute`` takes every keyword in ``names``."""
    try:
        parameters = inspect.signature(compute).parameters
    except (TypeError, ValueError):  # no signature to read: let the call say
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    for name in names:
        if not isinstance(name, str) or name not in parameters:
            which = "param" if name == names[0] else "fixed"
            raise ValueError(
                f"{which} must name parameters of compute ({list(parameters)}), "
                f"got {name!r}"
            )


def _frame(
    compute: Callable[..., Any],
    draw: Callable[[Any], go.Figure],
    fixed: dict,
    param: str,
    value: Any,
) -> go.Figure:
    """The figure of one slider value, or an error that names the value."""
    try:
        figure = draw(compute(**fixed, **{param: value}))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"values must each give a figure, but {param}={value!r} fails: {error}"
        ) from error
    if not isinstance(figure, go.Figure):
        raise TypeError(
            f"draw must return a plotly go.Figure, got {type(figure).__name__} for "
            f"{param}={value!r}"
        )
    return figure


def slider_figure(
    compute: Callable[..., Any],
    param: str,
    values: Sequence[Any],
    draw: Callable[[Any], go.Figure],
    fixed: Mapping[str, Any] | None = None,
    active: int = 0,
    label: str | None = None,
    play: bool = False,
) -> go.Figure:
    """A figure whose slider steps through ``draw(compute(**fixed, param=value))``.

    Every frame must draw the same number and kinds of traces; each frame keeps the
    title that ``draw`` gave it. ``label`` names the slider (default: ``param``).
    ``play=True`` adds Play and Pause buttons that step through the values in order,
    for a process (merges, decoding steps) rather than a setting.

    >>> import llmviz.viz as viz
    >>> fig = slider_figure(lambda n: [1] * n, "n", [1, 2, 3], draw=viz.bars)
    >>> len(fig.frames), fig.layout.sliders[0].active
    (3, 0)
    """
    check_callable("compute", compute)
    check_callable("draw", draw)
    if not isinstance(param, str) or not param:
        raise TypeError(f"param must name a keyword argument of compute, got {param!r}")
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(
            f"values must be a list of parameter values, got {type(values).__name__}"
        )
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one parameter value, got none")
    check_int("active", active, minimum=0, maximum=len(values) - 1)
    check_bool("play", play)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a mapping or None, got {type(fixed).__name__}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a str or None, got {type(label).__name__}")
    fixed = dict(fixed or {})
    if param in fixed:
        raise ValueError(f"{param!r} is the slider's parameter, so it cannot be fixed")

    _check_keywords(compute, [param, *fixed])
    figures = [_frame(compute, draw, fixed, param, value) for value in values]
    _check_same_traces(figures, param, values)
    names = [_label(value) for value in values]
    frames = [
        go.Frame(name=name, data=fig.data, layout=dict(title=fig.layout.title))
        for name, fig in zip(names, figures, strict=True)
    ]
    jump = dict(mode="immediate", frame=dict(duration=0, redraw=True))
    steps = [dict(label=n, method="animate", args=[[n], jump]) for n in names]
    slider = dict(
        active=active,
        steps=steps,
        pad=dict(t=70),  # below the x axis title, so its value label clears it
        currentvalue=dict(prefix=f"{label or param} = "),
    )
    base = figures[active]
    fig = go.Figure(data=base.data, layout=base.layout, frames=frames)
    fig.update_layout(sliders=[slider])
    keep_legend_in_place(fig, (base.layout.height or 380) + 110)
    fig.layout.margin.b = (base.layout.margin.b or 50) + 70
    if play:
        _add_play_buttons(fig)
    return fig


def _add_play_buttons(fig: go.Figure) -> None:
    """Play (from the current frame, a step per 0.8 s) and Pause, on a row above the
    slider, so that both fit a phone's width."""
    step = dict(frame=dict(duration=800, redraw=True), transition=dict(duration=0))
    buttons = [
        dict(
            label="▶ Play",
            method="animate",
            args=[None, dict(fromcurrent=True, **step)],
        ),
        dict(
            label="❚❚ Pause",
            method="animate",
            args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))],
        ),
    ]
    menu = dict(
        type="buttons", direction="left", buttons=buttons, showactive=False,
        x=0, xanchor="left", y=0, yanchor="top", pad=dict(t=75, r=10),
    )  # fmt: skip
    fig.update_layout(updatemenus=[menu])
    keep_legend_in_place(fig, fig.layout.height + 45)
    fig.layout.sliders[0].pad.t += 45
    fig.layout.margin.b += 45
