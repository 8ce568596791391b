"""Special tokens in text: which ones ``encode`` may read, and where they cut the text.

A special token such as ``<|endoftext|>`` is one id that the model reads as a
marker, never as text. If a document happens to contain the characters
``<|endoftext|>``, should they become that id? tiktoken's answer
[openai2022tiktoken], which ``BPE.encode`` follows:

* ``allowed_special`` lists the special tokens that become their id (``"all"``: every
  one). The text is split at them, **longest first**, and only the text between
  them is cut into chunks and merged, so no token crosses a special one.
* ``disallowed_special`` lists those whose text raises ``ValueError`` (``"all"``, the
  default: every special token not allowed). Pass ``()`` to encode their characters
  as ordinary text instead.

So by default a special token's text raises: nothing a document contains can
silently become a control id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import cache

import regex

ALL = "all"


def special_policy(
    specials: Collection[str], allowed_special: object, disallowed_special: object
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The allowed and the disallowed special tokens, each longest first.

    >>> special_policy(["<a>", "<ab>"], "all", "all")
    (('<ab>', '<a>'), ())
    >>> special_policy(["<a>", "<ab>"], ["<a>"], "all")
    (('<a>',), ('<ab>',))
    """
    allowed = _subset("allowed_special", allowed_special, specials)
    if disallowed_special == ALL:
        disallowed = [token for token in specials if token not in allowed]
    else:
        disallowed = _subset("disallowed_special", disallowed_special, specials)
        both = set(allowed) & set(disallowed)
        if both:
            raise ValueError(
                f"disallowed_special must not repeat allowed special tokens, got "
                f"{sorted(both)!r} in both"
            )
    return _longest_first(allowed), _longest_first(disallowed)


def _subset(name: str, value: object, specials: Collection[str]) -> list[str]:
    if value == ALL and isinstance(value, str):
        return list(specials)
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise TypeError(
            f"{name} must be 'all' or a collection of special tokens (str), got "
            f"{value!r:.60}"
        )
    for token in value:
        if not isinstance(token, str):
            raise TypeError(f"{name} must hold str special tokens, got {token!r:.60}")
        if token not in specials:
            raise ValueError(
                f"{name} holds {token!r:.60}, which is not one of this tokenizer's "
                f"special tokens {sorted(specials)!r:.120}"
            )
    return list(dict.fromkeys(value))


def _longest_first(tokens: Collection[str]) -> tuple[str, ...]:
    return tuple(sorted(tokens, key=lambda token: (-len(token), token)))


@cache
def _special_regex(tokens: tuple[str, ...]) -> regex.Pattern:
    """One alternation, longest first: at each position the longest token wins."""
    return regex.compile("|".join(regex.escape(token) for token in tokens))


def refuse_disallowed(text: str, disallowed: tuple[str, ...]) -> None:
    """``ValueError`` if ``text`` holds the text of a disallowed special token."""
    if not disallowed:
        return
    found = _special_regex(disallowed).search(text)
    if found:
        token = found.group()
        raise ValueError(
            f"text contains the special token {token!r} at character {found.start()}, "
            f"which encode does not read by default: pass allowed_special={{{token!r}}}"
            " (or 'all') to encode it as its id, or disallowed_special=() to encode "
            "its characters as ordinary text"
        )


def split_specials(text: str, allowed: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """``text`` as (segment, is_special) pieces: the allowed special tokens, found
    left to right and longest first, and the ordinary text between them.

    >>> list(split_specials("a<s><s>b", ("<s><s>", "<s>")))
    [('a', False), ('<s><s>', True), ('b', False)]
    """
    if not allowed:
        if text:
            yield text, False
        return
    start = 0
    for found in _special_regex(allowed).finditer(text):
        if found.start() > start:
            yield text[start : found.start()], False
        yield found.group(), True
        start = found.end()
    if start < len(text):
        yield text[start:], False
