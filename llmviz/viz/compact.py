"""The same figure in fewer bytes, for a page that must stay light.

A static page carries every figure as JSON, slider frames included. Three things make
that JSON large without showing anything: numbers written as decimal text (plotly sends
a numpy array as compact base64 instead), hover strings repeated in every heatmap cell,
and slider frames that repeat what never changes. ``compact`` removes all three and
keeps what the figure draws and what its hover says.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

AXES = ("x", "y", "z")
INTEGERS = (np.int8, np.int16, np.int32)


def compact(fig: go.Figure) -> go.Figure:
    """A lighter copy of ``fig`` (left as it is): whole numbers in the narrowest integer
    type, others as float32; a heatmap's per-cell ``customdata`` labels named once in
    its hover; and in each slider frame only the trace properties that change between
    frames.

    >>> import plotly.graph_objects as go
    >>> fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0.5, 0.25, 0.125]))
    >>> compact(fig).data[0].x.dtype, compact(fig).data[0].y.dtype
    (dtype('int8'), dtype('float32'))
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly go.Figure, got {type(fig).__name__}")
    fig = go.Figure(fig)  # a deep copy
    frames = [list(frame.data) for frame in fig.frames]
    traces = [*fig.data, *(trace for data in frames for trace in data)]
    _name_categories_once(traces)
    for trace in traces:
        for axis in AXES:
            _narrow(trace, axis)
    _drop_what_frames_repeat(fig, frames)
    return fig


def _name_categories_once(traces: list) -> None:
    """A heatmap whose cells carry their category's name in ``customdata`` gets the
    code → name list once in its hover template instead."""
    named = [
        t
        for t in traces
        if t.type == "heatmap" and t.customdata is not None and t.hovertemplate
    ]
    names: dict[int, str] = {}
    for trace in named:
        codes = np.ravel(np.asarray(trace.z, dtype=np.float64))
        labels = np.ravel(np.array(trace.customdata, dtype=object))
        if codes.shape != labels.shape or not np.isfinite(codes).all():
            return  # not one category per cell: leave the hover as it is
        for code, label in zip(codes, labels, strict=True):
            if names.setdefault(int(code), str(label)) != str(label):
                return  # a code with two names: the strings say more than z
    legend = "".join(f"<br>{code}: {name}" for code, name in sorted(names.items()))
    for trace in named:
        trace.hovertemplate = trace.hovertemplate.replace(
            "%{customdata}", "%{z}" + legend
        )
        trace.customdata = None


def _narrow(trace, axis: str) -> None:
    values = trace[axis] if axis in trace else None  # a scatter has no z
    if values is None:
        return
    try:
        array = np.asarray(values, dtype=np.float64)
        if any(v is None for v in np.ravel(np.asarray(values, dtype=object))):
            return  # None is a gap, or a legend-only swatch: NaN would be drawn
    except (TypeError, ValueError):
        return  # labels, or ragged rows
    if array.size == 0:
        return
    whole = np.isfinite(array).all() and (array == array.round()).all()
    largest = np.abs(array[np.isfinite(array)]).max(initial=0)
    if whole:  # exact in the narrowest integer type that holds them
        dtype = next((t for t in INTEGERS if largest < np.iinfo(t).max), np.float64)
    else:  # seven significant digits: more than a plot or its hover shows
        dtype = np.float32
    trace[axis] = None  # plotly keeps an equal array as it is, dtype included
    trace[axis] = array.astype(dtype)


def _drop_what_frames_repeat(fig: go.Figure, frames: list[list]) -> None:
    """A property every frame sets to the value the trace starts with stays out of the
    frames: animating to a frame keeps what the frame does not set."""
    if not frames or any(len(data) != len(fig.data) for data in frames):
        return
    if any(frame.traces is not None for frame in fig.frames):
        return  # frames that address some traces only: indices do not line up
    for i, base in enumerate(fig.data):
        for key in base.to_plotly_json():
            if key == "type":
                continue
            start = to_json_plotly(base[key])
            if all(to_json_plotly(data[i][key]) == start for data in frames):
                for data in frames:
                    data[i][key] = None
