"""The rules every chapter notebook keeps (executing them is `make notebooks`, under nbval),
and the project files that name the repository and the versions."""

from __future__ import annotations

import re

import nbformat
import pytest
import tomllib
import yaml

from tests.notebook_rules import (
    NOTEBOOKS,
    ROOT,
    book_config,
    repository,
    setup_cell_source,
)

IDS = [path.name for path in NOTEBOOKS]


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _markdown(path) -> str:
    return "\n".join(
        cell.source for cell in _cells(path) if cell.cell_type == "markdown"
    )


def _bib_keys() -> set[str]:
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,]+),", text, flags=re.MULTILINE))


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_name_and_place_in_the_toc(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
        "name chapters NN_topic.ipynb"
    )
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    assert f"notebooks/{path.stem}" in files, "every chapter is listed in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_title_then_the_folded_setup_cell(path):
    title, setup = _cells(path)[:2]
    number = int(path.name[:2])
    assert title.cell_type == "markdown" and title.source.startswith(f"# {number}. "), (
        f"a chapter opens on its title, '# {number}. ...'"
    )
    assert setup.cell_type == "code" and setup.source == setup_cell_source(), (
        "the second cell must be the standard setup cell"
    )
    assert "hide-cell" in _tags(setup), "the setup cell and its printout are folded"


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


FOLDED = {"hide-input", "hide-cell", "remove-input", "remove-cell"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_explorers_and_reference_checks_are_folded(path):
    for cell in _cells(path):
        if cell.cell_type != "code" or "solution" in _tags(cell):
            continue
        if re.search(r"^explore\(|\breference_check\(", cell.source, re.MULTILINE):
            assert _tags(cell) & FOLDED, (
                f"fold this cell (tag hide-input): {cell.source[:80]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_mechanism_s_own_code_stays_visible(path):
    for cell in _cells(path):
        if cell.cell_type == "code" and re.search(
            r"^show_source\(", cell.source, re.MULTILINE
        ):
            assert not _tags(cell) & FOLDED, (
                f"show_source is the point: do not fold {cell.source[:80]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_colab_form_titles_only_on_solutions(path):
    for cell in _cells(path):
        if cell.cell_type == "code" and "# @title" in cell.source:
            assert "solution" in _tags(cell) and cell.source.startswith("# @title"), (
                f"# @title is for solution cells, on their first line: {cell.source[:80]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_stored_outputs(path):
    for cell in _cells(path):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_checks_and_hidden_executed_solutions(path):
    cells = _cells(path)
    exercises = re.findall(r"```\{exercise\}.*\n:label: (\S+)", _markdown(path))
    assert exercises, "at least one exercise"
    for label in exercises:
        starts = [
            i for i, c in enumerate(cells) if f"{{solution-start}} {label}" in c.source
        ]
        assert len(starts) == 1, f"exercise {label} needs one solution-start"
        start = starts[0]
        assert ":class: dropdown" in cells[start].source, f"{label}: hide the solution"
        stub = cells[start - 1]
        assert stub.cell_type == "code" and "NotImplementedError" in stub.source
        assert re.search(r"\bcheck_\w+\(", stub.source), (
            f"{label}: the stub calls a check_* helper"
        )
        solution = cells[start + 1]
        assert solution.cell_type == "code" and "solution" in solution.metadata.get(
            "tags", []
        )
        assert re.search(r"assert check_\w+\(", solution.source), (
            f"{label}: the solution is checked"
        )
        assert solution.metadata.get("jupyter", {}).get("source_hidden"), (
            "hidden in Jupyter"
        )
        assert "{solution-end}" in cells[start + 2].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_citations_exist_in_the_bibliography(path):
    text = _markdown(path)
    cited = {
        key.strip()
        for group in re.findall(r"\{footcite(?::[a-z]+)?\}`([^`]+)`", text)
        for key in group.split(",")
    }
    assert cited, "cite at least one source"
    assert cited <= _bib_keys(), f"unknown keys: {cited - _bib_keys()}"
    assert "```{footbibliography}" in text, "end with the chapter's references"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_gpu_cells_are_skipped_by_the_book_too(path):
    for cell in _cells(path):
        tags = cell.metadata.get("tags", [])
        if "gpu" in tags:
            assert "skip-execution" in tags, cell.source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_compiles(path):
    """Cells that CI cannot run (the gpu ones) must at least be valid Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell  # turns %magics into Python calls
    for cell in _cells(path):
        if cell.cell_type == "code":
            compile(transform(cell.source), f"{path.name} cell", "exec")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_live_explorers_follow_their_static_figure_and_say_so(path):
    cells = _cells(path)
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and re.search(
            r"^explore\(", cell.source, re.MULTILINE
        ):
            assert "Run this notebook to explore freely" in cells[i - 1].source


def test_the_repository_is_named_once_and_agreed_on():
    url, branch = repository()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    assert project["urls"]["Homepage"] == url
    assert f"git+{url}@{branch}" in setup_cell_source()
    assert (
        book_config()["launch_buttons"]["colab_url"]
        == "https://colab.research.google.com"
    )


def test_package_has_lower_bounds_and_requirements_exact_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    for dependency in project["dependencies"]:
        assert "==" not in dependency and ">=" in dependency, dependency
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", pin) for pin in pins), pins
    assert "torch==2.13.0" in pins


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make book" in readme[:1500] and "make test" in readme[:1500]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_notebook_builds_widgets_itself(path):
    """A widget made in a cell is saved in the page's widget state, and the page then
    loads widget JS from a CDN; `explore` makes its controls only when a kernel runs."""
    for cell in _cells(path):
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(import|from) ipywidgets", cell.source, re.M)
