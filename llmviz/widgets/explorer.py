"""Live explorers for Colab and Jupyter: ipywidgets controls that redraw a figure.

The figure is a plain ``go.Figure`` shown in an ``Output`` widget (never a
``go.FigureWidget``, which breaks in Colab), and only the API that ipywidgets 7 and 8
share is used, because Colab ships ipywidgets 7.

While the static site is built there is no kernel to call back, so ``explore`` computes
and draws the first figure (the code still runs) and shows a note that points to Colab,
instead of controls that would do nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from llmviz._checks import check_callable
from llmviz.notebook import building_book

LIVE_ONLY_NOTE = (
    "**Live explorer, not drawn on this page.** In Colab or Jupyter this cell redraws "
    "the figure above as you move its controls, which needs a running Python kernel: "
    "open the chapter there (the rocket button at the top of the page) to use it."
)


def _is_range(spec: Any) -> bool:
    if not (isinstance(spec, tuple) and len(spec) in (2, 3, 4)):
        return False
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec)


def _initial_value(name: str, spec: Any) -> Any:
    """Where the control for ``spec`` starts (see ``explore``); checks the spec."""
    if hasattr(spec, "observe") and hasattr(spec, "value"):  # an ipywidgets widget
        return spec.value
    if isinstance(spec, (bool, str)):
        return spec
    if isinstance(spec, list) and spec:
        return spec[0]
    if _is_range(spec):
        if spec[0] >= spec[1]:
            raise ValueError(f"the range for {name} must have min < max, got {spec}")
        if len(spec) == 4 and not spec[0] <= spec[3] <= spec[1]:
            raise ValueError(
                f"the start of {name} must lie in [{spec[0]}, {spec[1]}], got {spec[3]}"
            )
        return spec[3] if len(spec) == 4 else spec[0]
    raise TypeError(
        f"{name} must be (min, max), (min, max, step) or (min, max, step, start) for a "
        "slider, a non-empty list for a dropdown, a bool, a str, or an ipywidgets "
        f"widget; got {spec!r}"
    )


def _control(name: str, spec: Any) -> Any:
    """The ipywidgets control for one parameter spec."""
    import ipywidgets as widgets

    value = _initial_value(name, spec)
    if isinstance(spec, widgets.Widget):
        return spec
    if isinstance(spec, bool):
        return widgets.Checkbox(value=value, description=name)
    if isinstance(spec, str):
        return widgets.Text(value=value, description=name, continuous_update=False)
    if isinstance(spec, list):
        return widgets.Dropdown(options=spec, value=value, description=name)
    low, high = spec[0], spec[1]
    common = dict(value=value, min=low, max=high, description=name)
    common.update(continuous_update=False, style={"description_width": "initial"})
    if all(isinstance(v, int) for v in spec):
        return widgets.IntSlider(step=spec[2] if len(spec) >= 3 else 1, **common)
    step = spec[2] if len(spec) >= 3 else (high - low) / 100
    return widgets.FloatSlider(step=step, **common)


class Explorer:
    """Controls, the ``Output`` they redraw into, and the latest figure."""

    def __init__(
        self,
        compute: Callable[..., Any],
        draw: Callable[[Any], go.Figure],
        controls: dict[str, Any],
    ) -> None:
        import ipywidgets as widgets

        check_callable("compute", compute)
        check_callable("draw", draw)
        if not isinstance(controls, dict) or not controls:
            raise TypeError(
                f"controls must be a non-empty dict of ipywidgets controls, got "
                f"{controls!r:.60}"
            )
        for name, control in controls.items():
            if not isinstance(control, widgets.Widget) or not hasattr(control, "value"):
                raise TypeError(
                    f"controls[{name!r}] must be an ipywidgets control with a value, "
                    f"got {type(control).__name__}"
                )
        self.compute, self.draw, self.controls = compute, draw, controls
        self.output = widgets.Output()
        row = widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"})
        self.widget = widgets.VBox([row, self.output])
        self.figure: go.Figure | None = None
        self.last_redraw_ms = float("nan")
        self.redraw()  # a bad starting point raises here, before the controls are live
        for control in controls.values():
            control.observe(self._on_change, names="value")

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> go.Figure:
        """Recompute with the current values, redraw, and show the figure."""
        start = time.perf_counter()
        self.figure = self.draw(self.compute(**self.values))
        self.last_redraw_ms = 1000 * (time.perf_counter() - start)
        self._show(self.figure)
        return self.figure

    def _on_change(self, change: dict) -> None:
        try:
            self.redraw()
        except (ValueError, TypeError) as error:  # say why, in place of the figure
            self._show(f"These values are not allowed: {error}")

    def _show(self, content: Any) -> None:
        """Show ``content`` (a figure, or a sentence) in place of what the ``Output``
        widget showed.

        The output is set as the widget's state, never captured with ``with output:``
        and ``display``: nbclient (papermill, nbgrader, myst-nb) answers a captured
        output by sending the widget's state to the kernel on the shell socket while
        it waits on that socket for the cell's reply, and that wait can then miss the
        reply until the cell's timeout (tests/test_nbclient.py).
        """
        from IPython import get_ipython
        from IPython.display import display
        from IPython.utils.capture import capture_output

        if get_ipython() is None:  # no IPython, so no frontend to show anything in
            return
        if isinstance(content, str):
            text = content + "\n"
            self.output.outputs = (
                {"output_type": "stream", "name": "stdout", "text": text},
            )
            return
        with capture_output() as captured:  # what display would send, unsent
            display(content)
        self.output.outputs = tuple(
            {"output_type": "display_data", "data": out.data, "metadata": out.metadata}
            for out in captured.outputs
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class LiveOnly:
    """``explore``'s stand-in while the book is built: the first figure, and a note."""

    def __init__(self, figure: go.Figure) -> None:
        if not isinstance(figure, go.Figure):
            raise TypeError(
                f"figure must be a plotly go.Figure, got {type(figure).__name__}"
            )
        self.figure = figure

    def _repr_markdown_(self) -> str:
        return LIVE_ONLY_NOTE

    def __repr__(self) -> str:
        return LIVE_ONLY_NOTE


def explore(
    compute: Callable[..., Any], draw: Callable[[Any], go.Figure], **params: Any
) -> Explorer | LiveOnly:
    """Controls for ``params`` that show ``draw(compute(**values))`` as they change.

    Each keyword names a parameter of ``compute``. ``(min, max)`` or ``(min, max,
    step)`` gives a slider that starts at min (an integer slider if all are ints), and
    ``(min, max, step, start)`` one that starts at start; a list gives a dropdown that
    starts at its first item; a bool gives a checkbox and a str a text box; an
    ipywidgets widget is used as it is (build it only outside the book, or the page
    loads widget JS for nothing). For example:
    ``explore(example_weights, draw=viz.bars, head_dim=(1, 1024), seed=(0, 20))``.
    """
    check_callable("compute", compute)
    check_callable("draw", draw)
    if not params:
        raise ValueError("explore needs at least one parameter to control, got none")
    if building_book():  # no widgets: the page would load widget JS for nothing
        start = {name: _initial_value(name, spec) for name, spec in params.items()}
        return LiveOnly(draw(compute(**start)))
    controls = {name: _control(name, spec) for name, spec in params.items()}
    return Explorer(compute, draw, controls)
