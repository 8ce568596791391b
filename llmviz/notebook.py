"""What the first cell of every chapter needs: seeds, a plotly renderer that suits where
the page is read, the versions in use, and a way to show llmviz's own source on a page.
"""

from __future__ import annotations

import inspect
import os
import platform
import random
from importlib import metadata
from pathlib import Path
from typing import Any

BOOK_ENV = "LLMVIZ_BOOK"  # set by `make site` while it executes the notebooks


def building_book() -> bool:
    """True while the notebooks are executed to build the static website."""
    return bool(os.environ.get(BOOK_ENV))


def versions() -> dict[str, str]:
    """Python's version and those of the packages the book runs on ("-": missing)."""
    found = {"python": platform.python_version()}
    for package in ("llmviz", "torch", "numpy", "plotly", "ipywidgets"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "-"
    return found


def _book_renderer():
    """A plotly renderer that writes only each figure's div and script.

    The site serves plotly.js and MathJax itself, once for all pages; plotly's own HTML
    renderers would inline plotly.js in every page or fetch MathJax from a CDN.
    """
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class BookRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
            html = pio.to_html(
                fig_dict,
                include_plotlyjs=False,
                include_mathjax=False,
                full_html=False,
                auto_play=False,
                default_width="100%",
                config={"displaylogo": False},
            )
            return {"text/html": html}

    return BookRenderer()


def _set_plotly_renderer() -> str:
    import plotly.io as pio

    if building_book():
        pio.renderers["book"] = _book_renderer()
        pio.renderers.default = "book"
    # Elsewhere plotly's own choice works: "colab" in Colab, its mimetype in Jupyter.
    return pio.renderers.default or "plotly's default"


def setup(seed: int = 0) -> None:
    """Seed Python, NumPy and torch, set the plotly renderer, and print the versions.

    Call it once at the top of a chapter: the numbers on the page are then the same on
    every run.
    """
    import numpy as np
    import torch

    from llmviz._checks import check_int

    check_int("seed", seed, minimum=0, maximum=2**32 - 1)  # NumPy's range
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    renderer = _set_plotly_renderer()
    found = versions()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    core = (
        "python",
        "llmviz",
        "torch",
        "numpy",
    )  # two lines, so that both fit the page
    rest = [f"{name} {v}" for name, v in found.items() if name not in core]
    print(" · ".join(f"{name} {found[name]}" for name in core))
    print(" · ".join([*rest, device, f"seed {seed}", f"plotly renderer {renderer}"]))


class SourceCode:
    """Source text that Jupyter, Colab and the site show as highlighted Python."""

    def __init__(self, name: str, location: str, source: str) -> None:
        self.name, self.location, self.source = name, location, source.rstrip()

    def _repr_markdown_(self) -> str:
        fence = "````" if "```" in self.source else "```"
        header = f"`{self.name}` ({self.location})"
        return f"{header}\n\n{fence}python\n{self.source}\n{fence}\n"

    def __repr__(self) -> str:
        return f"# {self.name} ({self.location})\n{self.source}"


def show_source(obj: Any) -> SourceCode:
    """Show the source of a function, class or module, with the file and lines it is in.

    The code lives only in the package, and the page shows it from there, so what the
    reader sees is what runs and what the tests check.
    """
    target = inspect.unwrap(obj)
    try:
        lines, first = inspect.getsourcelines(target)
        path = Path(inspect.getsourcefile(target) or "?").resolve()
    except (TypeError, OSError) as error:
        raise TypeError(
            f"obj must be a function, class or module with Python source, got {obj!r}"
        ) from error
    if inspect.ismodule(target):
        name = target.__name__
    else:
        name = f"{target.__module__}.{target.__qualname__}"
    package_parent = Path(__file__).resolve().parent.parent
    if path.is_relative_to(package_parent):
        path = path.relative_to(package_parent)
    first = max(first, 1)  # a module's source starts at line 0
    location = f"{path.as_posix()}, lines {first}–{first + len(lines) - 1}"
    return SourceCode(name, location, "".join(lines))


class Table:
    """Rows of measurements that Jupyter, Colab and the site show as a table."""

    def __init__(self, rows: list[dict[str, Any]], percent: tuple[str, ...]) -> None:
        self.rows, self.percent = rows, percent

    def _cell(self, column: str, value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool):  # before int: True is an int in Python
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.1%}" if column in self.percent else f"{value:,.3g}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    def _repr_markdown_(self) -> str:
        columns = list(self.rows[0])
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in self.rows:
            cells = (self._cell(c, row.get(c)).replace("|", "\\|") for c in columns)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return self._repr_markdown_()


def table(rows: list[dict[str, Any]], percent: tuple[str, ...] = ()) -> Table:
    """Show ``rows`` (dicts with the same keys) as a table; ``percent`` columns as %.

    Floats keep three significant digits, integers get thousands separators, and
    booleans read "yes" or "no".

    >>> print(table([{"tokenizer": "char", "tokens": 1234, "OOV rate": 0.0123}],
    ...             percent=("OOV rate",)))
    | tokenizer | tokens | OOV rate |
    |---|---|---|
    | char | 1,234 | 1.2% |
    """
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    rows = list(rows)
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"rows must be a non-empty list of dicts, got {rows!r:.60}")
    if isinstance(percent, str) or not isinstance(percent, (list, tuple)):
        raise TypeError(
            f"percent must be a tuple of column names, got {type(percent).__name__}"
        )
    unknown = [column for column in percent if column not in rows[0]]
    if unknown:
        raise ValueError(
            f"percent must name columns of rows ({list(rows[0])}), got {unknown}"
        )
    return Table(rows, tuple(percent))
