"""Counting a corpus's chunks fast, for ``bpe_fast``: the counts of
``bpe_train.chunk_counts`` before the byte alphabet, found with fewer, larger calls.

HF reads a corpus line by line and cuts each line with the pre-tokenizer's pattern, so
a chunk never crosses a ``"\\n"``. For GPT-2's pattern this module keeps a *line twin*:
a pattern that cuts many whole lines joined together exactly as it would cut each line
alone. Only one part of GPT-2's pattern can run past a line's end, ``\\s+(?!\\S)``,
which at the end of a line takes the spaces before the ``"\\n"`` and the ``"\\n"``
itself; the twin writes that case out (``[^\\S\\n]*\\n``) and keeps every other run of
spaces off the ``"\\n"``. The distinct lines that occur once are then cut by one
``findall`` each for ASCII and other text. ASCII text is cut by the standard library's
``re`` with the classes written out (``\\p{L}`` is ``[A-Za-z]`` there), about 1.8x
faster than the ``regex`` module. ``tests/test_bpe_fast.py`` checks both twins
against GPT-2's pattern line by line.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection

import regex

from llmviz.tokenization._bpe_checks import check_pattern
from llmviz.tokenization.base import corpus_lines
from llmviz.tokenization.bpe_train import chunk_counts
from llmviz.tokenization.pretokenize import GPT2_PATTERN, _compiled

_S = r"\t\x0b\x0c\r "  # the ASCII characters regex's \s matches, but "\n"
_CONTRACTIONS = "'(?:s|t|re|ve|m|ll|d)"  # 's|'t|'re|... in one branch, tried in order
LINE_TWINS = {
    GPT2_PATTERN: (
        re.compile(
            rf"{_CONTRACTIONS}| ?[A-Za-z]+| ?[0-9]+| ?[^{_S}\nA-Za-z0-9]+"
            rf"|[{_S}]*\n|[{_S}]+(?![^{_S}\n])|[{_S}]+"
        ),
        regex.compile(
            rf"{_CONTRACTIONS}| ?\p{{L}}+| ?\p{{N}}+| ?[^\s\p{{L}}\p{{N}}]+"
            r"|[^\S\n]*\n|[^\S\n]+(?!\S)|[^\S\n]+"
        ),
    )
}
"""For each pattern, its line twins for ASCII text (``re``) and any text (``regex``)."""

Find = Callable[[str], list[str]]
PARALLEL_FROM = 1_000_000
"""Distinct lines of this many characters or more are cut on two cores (Linux)."""


def raw_chunk_counts(
    corpus: str | Iterable[str], pattern: str, special_tokens: Iterable[str] = ()
) -> Counter[str]:
    """``chunk_counts(..., byte_level=False)``: each chunk as the corpus writes it.

    >>> raw_chunk_counts("a cat\\na cat", GPT2_PATTERN)
    Counter({'a': 2, ' cat': 2, '\\n': 1})
    """
    special_tokens = list(special_tokens)
    if special_tokens:
        return chunk_counts(corpus, pattern, False, special_tokens)
    find_all = _compiled(check_pattern(pattern)).findall
    lines = Counter(corpus_lines(corpus))
    inner = not isinstance(corpus, str) and any("\n" in ln[:-1] for ln in lines)
    if pattern not in LINE_TWINS or inner:  # lines given with a "\n" inside
        return _count_each(lines.items(), find_all, find_all)
    ascii_twin, unicode_twin = (twin.findall for twin in LINE_TWINS[pattern])
    by_count: defaultdict[int, list[str]] = defaultdict(list)  # whole lines by count
    for line, n in lines.items():
        if line[-1:] == "\n":
            by_count[n].append(line)
    jobs = _jobs(by_count.pop(1, []), ascii_twin, unicode_twin)
    if sum(len(text) for _, text in jobs) < PARALLEL_FROM or not _can_fork():
        counts = _count_jobs(jobs)
    else:
        counts = _count_in_two(jobs)
    for n, group in by_count.items():
        for chunk, k in _count_jobs(_jobs(group, ascii_twin, unicode_twin)).items():
            counts[chunk] += n * k
    last = [(line, n) for line, n in lines.items() if line[-1:] != "\n"]
    counts.update(_count_each(last, ascii_twin, unicode_twin))
    return counts


def _jobs(lines: list[str], find_ascii: Find, find_all: Find) -> list[tuple[Find, str]]:
    """The ASCII lines joined, for ``find_ascii``, and the others, for ``find_all``."""
    return [
        (find_ascii, "".join(line for line in lines if line.isascii())),
        (find_all, "".join(line for line in lines if not line.isascii())),
    ]


def _count_jobs(jobs: Iterable[tuple[Find, str]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for find, text in jobs:
        counts.update(find(text))
    return counts


def _can_fork() -> bool:
    """Whether a forked child may count beside this process: Linux, two cores free to
    this process, and not a daemon (which may have no children)."""
    return (
        sys.platform == "linux"
        and len(os.sched_getaffinity(0)) >= 2
        and not multiprocessing.current_process().daemon
    )


def _count_in_two(jobs: list[tuple[Find, str]]) -> Counter[str]:
    """``_count_jobs(jobs)``, with the first half of each text (cut after a line)
    counted by a forked child process while this one counts the second half."""
    cuts = [text.find("\n", len(text) // 2) + 1 or len(text) for _, text in jobs]
    first = [(find, text[:cut]) for (find, text), cut in zip(jobs, cuts, strict=True)]
    second = [(find, text[cut:]) for (find, text), cut in zip(jobs, cuts, strict=True)]
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():  # Python >= 3.12 warns of fork beside threads
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=_send, args=(send, first), daemon=True)
        child.start()
    send.close()
    try:
        counts = _count_jobs(second)
        counts.update(receive.recv())
    except EOFError:  # the child died before it sent: count its half here
        counts.update(_count_jobs(first))
    finally:
        receive.close()
        child.join()
    return counts


def _send(send: Connection, jobs: list[tuple[Find, str]]) -> None:
    send.send(_count_jobs(jobs))
    send.close()


def _count_each(
    lines: Iterable[tuple[str, int]], find_ascii: Find, find_all: Find
) -> Counter[str]:
    """The chunks of each line, cut alone and counted as often as the line occurs."""
    counts: Counter[str] = Counter()
    for line, repeats in lines:
        if not line:
            continue
        chunks = find_ascii(line) if line.isascii() else find_all(line)
        if repeats == 1:
            counts.update(chunks)
        else:
            for chunk in chunks:
                counts[chunk] += repeats
    return counts
