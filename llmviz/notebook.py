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

from llmviz._table import Table, table  # noqa: F401 (llmviz.notebook.table, as before)
from llmviz.i18n import say

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


def _set_plotly_renderer() -> str:
    import plotly.io as pio

    if building_book():
        from llmviz._book_figures import BookRenderer

        pio.renderers["book"] = BookRenderer()  # a new one: each page gets the template
        pio.renderers.default = "book"
    # Elsewhere plotly's own choice works: "colab" in Colab, its mimetype in Jupyter.
    return pio.renderers.default or "plotly's default"


def setup(seed: int = 0, language: str | None = None) -> None:
    """Seed Python, NumPy and torch, set the plotly renderer, and print the versions.

    Call it once at the top of a chapter: the numbers on the page are then the same on
    every run. ``language="zh_CN"`` (the Chinese notebooks) shows figures and llmviz's
    checks in Chinese (``llmviz.language``).
    """
    import numpy as np
    import torch

    from llmviz._checks import check_int
    from llmviz.i18n import catalog
    from llmviz.language import use_language

    check_int("seed", seed, minimum=0, maximum=2**32 - 1)  # NumPy's range
    if language is not None:
        catalog(language)  # a language it has no catalog for: ValueError, nothing set
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    renderer = _set_plotly_renderer()
    use_language(language)  # checks it; None: English
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


class MaxError(float):
    """The largest difference a reference check found. The printed line says it, so a
    notebook does not echo it when the check ends a cell."""

    def _ipython_display_(self) -> None:
        pass


def reference_check(
    name: str, ours: Any, reference: Any, atol: float = 1e-5, rtol: float = 0.0
) -> float:
    """Compare ``ours`` with ``reference``, print one line, and return the max error.

    Every chapter reports a check against a reference the same way: ``✓ equals
    <name> (max error 3e-07)``, or ``✓ equals <name> exactly`` for integers. When they
    differ by more than ``atol + rtol * |reference|`` it raises ``AssertionError``, so a
    chapter whose numbers drift fails to build.

    >>> import torch
    >>> error = reference_check("torch.softmax", torch.tensor([0.5, 0.5]),
    ...                         torch.tensor([0.0, 0.0]).softmax(-1))
    ✓ equals torch.softmax (max error 0)
    """
    import numpy as np
    import torch

    from llmviz._checks import check_real

    if not isinstance(name, str) or not name.strip():
        raise TypeError(
            f"name must name the reference as a non-empty str, got {name!r}"
        )
    check_real("atol", atol, minimum=0.0, maximum=1e6)
    check_real("rtol", rtol, minimum=0.0, maximum=1e6)
    arrays = {}
    for label, value in (("ours", ours), ("reference", reference)):
        if value is None or isinstance(value, (str, bytes, dict, set)):
            raise TypeError(
                f"{label} must be a tensor, array, number or list of numbers, "
                f"got {type(value).__name__}"
            )
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{label} must hold numbers, got {value!r:.60}") from error
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{label} must hold real numbers, got dtype {array.dtype}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{label} must be finite, got NaN or inf in {label}")
        arrays[label] = array
    ours_array, reference_array = arrays["ours"], arrays["reference"]
    if ours_array.shape != reference_array.shape:
        raise AssertionError(
            f"differs from {name}: shape {ours_array.shape}, reference "
            f"{reference_array.shape}"
        )
    exact = ours_array.dtype.kind in "biu" and reference_array.dtype.kind in "biu"
    difference = np.abs(ours_array.astype(np.float64) - reference_array)
    error = float(difference.max()) if difference.size else 0.0
    limit = atol + rtol * np.abs(reference_array.astype(np.float64))
    if exact and error != 0 or not exact and bool((difference > limit).any()):
        raise AssertionError(f"differs from {name}: max error {error:.1g}")
    detail = "exactly" if exact else f"(max error {error:.1g})"
    print(say(f"✓ equals {name} {detail}"))
    return MaxError(error)
