"""What every tokenizer in this chapter shares: the checks on its input and the
``Tokenizer`` interface that the figures and the comparison table use.

A tokenizer maps text to ids and back. ``pieces(text)`` gives the tokens as readable
strings, one per id, so that the figures can colour each token over the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def check_text(name: str, value: Any) -> str:
    """Return ``value`` if it is a ``str``; raise ``TypeError`` otherwise.

    >>> check_text("text", "你好")
    '你好'
    """
    if not isinstance(value, str):
        hint = (
            " (decode bytes with .decode('utf-8') first)"
            if isinstance(value, (bytes, bytearray))
            else ""
        )
        raise TypeError(f"{name} must be a str, got {type(value).__name__}{hint}")
    return value


def corpus_lines(corpus: str | Iterable[str]) -> list[str]:
    """The lines a trainer reads, newlines kept; ``ValueError`` if there is no text.

    A ``str`` is cut after every ``"\\n"`` and nowhere else, as Hugging Face
    ``tokenizers`` reads a file: ``str.splitlines`` would also cut at ``"\\r"``,
    ``"\\x0b"``, ``"\\x0c"``, ``"\\x85"``, ``"\\u2028"`` and others, and BPE never
    merges across a line, so the merges would differ. An iterable of strings is taken
    as the lines themselves.

    >>> corpus_lines("a b\\nc\\x0cd\\n")
    ['a b\\n', 'c\\x0cd\\n']
    """
    if isinstance(corpus, str):
        lines = [line + "\n" for line in corpus.split("\n")]
        lines[-1] = lines[-1][:-1]  # the text after the last newline has none
        if not lines[-1]:
            lines.pop()
    elif isinstance(corpus, (bytes, bytearray)) or not isinstance(corpus, Iterable):
        raise TypeError(
            f"corpus must be a str or an iterable of str, got {type(corpus).__name__}"
        )
    else:
        lines = [check_text(f"corpus line {i}", line) for i, line in enumerate(corpus)]
    if not any(lines):
        raise ValueError("corpus must contain some text, got an empty corpus")
    return lines


def check_ids(ids: Any, vocab_size: int) -> list[int]:
    """Return ``ids`` as a list of ints, each in ``0 .. vocab_size - 1``.

    >>> check_ids([0, 2], vocab_size=3)
    [0, 2]
    """
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be a sequence of integers, got {type(ids).__name__}")
    out = []
    for i in ids:
        if isinstance(i, bool) or not hasattr(i, "__index__"):
            raise TypeError(f"ids must hold integers, got {i!r}")
        if not 0 <= int(i) < vocab_size:
            raise ValueError(
                f"id {int(i)} is not in the vocabulary: ids run from 0 to "
                f"{vocab_size - 1}"
            )
        out.append(int(i))
    return out


class Tokenizer:
    """The interface: ``encode``, ``decode``, ``pieces`` and ``vocab_size``.

    Subclasses set ``name`` and implement ``encode``, ``decode`` and ``pieces``.
    ``unk_id`` is the id of the unknown token, or None when every text can be encoded.
    """

    name = "tokenizer"
    unk_id: int | None = None

    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: Sequence[int]) -> str:
        raise NotImplementedError

    def pieces(self, text: str) -> list[str]:
        """The tokens of ``text`` as readable strings, one per id."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}, vocab_size={self.vocab_size}>"
