"""Corpora that need no network: text that Python ships, and text that we wrote.

Each loader returns a ``Corpus`` whose ``sha256`` identifies the exact text. Python's
documentation and standard library change between Python versions, so ``source``
names the version that produced the text; ``chinese()`` and ``multilingual()`` are
files written for this book and are the same everywhere.

>>> corpus = multilingual()
>>> corpus.name, len(corpus.sha256)
('multilingual', 64)
"""

from __future__ import annotations

import hashlib
import platform
import sysconfig
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from llmviz._checks import check_int, check_real

_HERE = Path(__file__).parent
_PYTHON = f"Python {platform.python_version()}"


@dataclass(frozen=True)
class Corpus:
    """A named text, where it came from, and its sha256."""

    name: str
    text: str
    source: str

    def __post_init__(self) -> None:
        for field in ("name", "text", "source"):
            value = getattr(self, field)
            if not isinstance(value, str):
                raise TypeError(f"{field} must be a str, got {type(value).__name__}")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def num_bytes(self) -> int:
        return len(self.text.encode("utf-8"))

    def split(self, fraction: float = 0.8) -> tuple[str, str]:
        """Training and held-out text, cut at the line nearest to ``fraction``."""
        check_real("fraction", fraction, 0, 1, open_min=True, open_max=True)
        lines = self.text.splitlines(keepends=True)
        cut = max(1, min(len(lines) - 1, round(len(lines) * fraction)))
        return "".join(lines[:cut]), "".join(lines[cut:])

    def __repr__(self) -> str:
        return (
            f"Corpus({self.name!r}, {len(self.text):,} characters, "
            f"{self.num_bytes:,} bytes, sha256 {self.sha256[:12]}…, {self.source})"
        )


def _truncate(text: str, max_bytes: int | None) -> str:
    if max_bytes is None:
        return text
    check_int("max_bytes", max_bytes, minimum=1)
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def python_docs(max_bytes: int | None = None) -> Corpus:
    """English prose: the help topics of ``pydoc_data.topics``, sorted by topic."""
    from pydoc_data.topics import topics

    text = "\n".join(topics[key] for key in sorted(topics))
    source = f"pydoc_data.topics of {_PYTHON}"
    return Corpus("python_docs", _truncate(text, max_bytes), source)


@cache
def _stdlib_sources() -> str:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        (p for p in root.rglob("*.py") if "site-packages" not in p.parts),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in files)


def stdlib_code(max_bytes: int | None = 1_000_000) -> Corpus:
    """Code: every ``*.py`` of the standard library, sorted by path, joined by newlines.

    The first ``max_bytes`` bytes of UTF-8 (cut back to a whole character).
    """
    text = _truncate(_stdlib_sources(), max_bytes)
    return Corpus("stdlib_code", text, f"standard library sources of {_PYTHON}")


def chinese() -> Corpus:
    """Chinese prose written for this book: about tokenization, then everyday life."""
    text = (_HERE / "chinese.txt").read_text(encoding="utf-8")
    return Corpus("chinese", text, "written for llmviz")


def multilingual() -> Corpus:
    """A short sample written for this book: English, Chinese, Japanese, Korean,
    Arabic, emoji, numbers, and code with tabs, runs of spaces and blank lines."""
    text = (_HERE / "multilingual.txt").read_text(encoding="utf-8")
    return Corpus("multilingual", text, "written for llmviz")
