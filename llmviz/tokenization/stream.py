"""Where a stream of text may be cut so that each part can be encoded on its own.

``BPE.encode_iterable`` reads a file (or any iterable of strings) piece by piece and
must give exactly the ids of ``encode`` on the whole text. Cutting at every line break
would not: GPT-2's pattern puts a run of whitespace in one chunk, newlines included
(``"\\n\\n  "`` before ``"x"`` is ``"\\n\\n "`` then ``" x"``), and cl100k's puts a
punctuation mark and the newlines after it together.

**The safe cut**: after a ``"\\n"`` that has a non-whitespace character on each side,
``...x\\n|y...``. For ``GPT2_PATTERN`` and ``CL100K_PATTERN``, cutting there gives the
same chunks as the whole text, on both sides:

* no alternative of either pattern joins that newline to ``y``: letters, digits,
  punctuation and contractions hold no newline (GPT-2's optional prefix is a literal
  space, cl100k's excludes ``\\r`` and ``\\n``; cl100k's punctuation may be
  *followed* by newlines, never preceded), and the whitespace alternatives hold only
  whitespace;
* the newline is a whitespace run of its own (``x`` and ``y`` are not whitespace), or
  the end of cl100k's ``x\\n`` punctuation chunk: one chunk, with ``y`` after it or
  with the end of the text after it (``\\s+(?!\\S)``, ``\\s+`` and ``\\s++$`` all take
  it alone);
* neither pattern looks behind, so the text after the cut is cut as it was.

A newline in a longer run of whitespace is no safe cut: ``"\\n\\n1"`` is ``\\n``,
``\\n``, ``1``, but ``"\\n\\n"`` alone is one chunk, ``(?!\\S)`` having lost the ``1``.
BPE never merges across chunks, so equal chunks give equal ids. A special token with a
``"\\n"`` inside could span the cut, so with one of those nothing is cut. Memory is
bounded by the longest stretch of text without a safe cut (a run of blank or indented
lines, one long line, or a whole file with ``\\r\\n`` line ends), not by the size of
the file. For any other pattern the
proof does not hold, and the whole text is read before it is encoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import regex

from llmviz.tokenization.base import check_text
from llmviz.tokenization.pretokenize import CL100K_PATTERN, GPT2_PATTERN

STREAM_SAFE_PATTERNS = frozenset({GPT2_PATTERN, CL100K_PATTERN})
_CUT = regex.compile(r"(?<=\S\n)(?=\S)")


def parts(lines: Iterable[str], can_cut: bool) -> Iterator[str]:
    """The text of ``lines`` joined and re-cut only at safe cuts (all of it at once
    when ``can_cut`` is False). Each item ``lines`` gives may be any string: a line, a
    block of a file, a single character.

    >>> list(parts(["a\\n", "\\n", "  b\\n", "c\\n", "d"], can_cut=True))
    ['a\\n\\n  b\\n', 'c\\n', 'd']
    >>> list(parts(["a", "\\n", "b\\n\\n", "c"], can_cut=True))
    ['a\\n', 'b\\n\\nc']
    """
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Iterable):
        raise TypeError(
            "lines must be an iterable of str, such as an open text file, got "
            f"{type(lines).__name__} (encode takes one string)"
        )
    pending: list[str] = []
    tail = ""  # the last two characters before the current line
    for i, line in enumerate(lines):
        check_text(f"lines[{i}]", line)
        if not line:
            continue
        cut = _last_cut(tail + line) - len(tail) if can_cut else -1
        if cut >= 0:
            head = "".join([*pending, line[:cut]])
            if head:
                yield head
            pending = [line[cut:]]
        else:
            pending.append(line)
        tail = (tail + line)[-2:]
    if pending:
        yield "".join(pending)


def _last_cut(text: str) -> int:
    """The position of the last safe cut in ``text``, or -1 if there is none."""
    last = -1
    for found in _CUT.finditer(text):
        last = found.end()
    return last
