"""The rules every chapter notebook follows, in one place: tests/test_notebooks.py checks them."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repository() -> tuple[str, str]:
    """(url, branch) from _config.yml, the one place the repository is named."""
    repo = book_config()["repository"]
    return repo["url"].rstrip("/"), repo["branch"]


def setup_cell_source() -> str:
    """The exact setup cell of every chapter, second after its title."""
    url, branch = repository()
    return (
        "# In Colab, install llmviz from the book's repository, with the libraries it is\n"
        "# checked against (torch, NumPy, plotly and ipywidgets stay as Colab has them).\n"
        "# Then seed every random generator and print the versions in use.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "llmviz[references] @ git+{url}@{branch}"\n'
        "\n"
        "import llmviz\n"
        "\n"
        "llmviz.setup()"
    )
