"""The checks of ``BPE``'s constructors, so that a bad vocabulary, merge list, pattern
or special token fails when the tokenizer is built, not at its first ``encode``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import regex

from llmviz.tokenization.base import check_text
from llmviz.tokenization.pretokenize import _compiled, bytes_to_unicode

# Letters, digits, punctuation, spaces, tabs, line breaks, CJK and an emoji: a
# pre-tokenizer pattern must cut it into chunks that join back into it.
PROBE = "Hello, world! It's 2024:\tx = y**2;\r\n\n  你好，世界。🙂 don't\u00a0stop  "


def check_str_list(name: str, value: Any) -> list[str]:
    """``value`` as a list of str; ``TypeError`` for a str or anything else."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, got {item!r:.60}")
    return list(value)


def check_vocab(vocab: Any) -> dict[str, int]:
    """Token → id for ``vocab``, which lists the tokens by id; ``""`` marks an unused
    id (tiktoken's vocabularies have holes), any other token appears once."""
    tokens = check_str_list("vocab", vocab)
    if not any(tokens):
        raise ValueError("vocab must hold at least one token, got none")
    ids: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token and token in ids:
            raise ValueError(
                f"vocab must list each token once, got {token!r} at ids {ids[token]} "
                f"and {i}"
            )
        ids.setdefault(token, i)
    ids.pop("", None)
    return ids


def check_byte_alphabet(ids: Mapping[str, int]) -> None:
    """A byte-level vocabulary must hold the 256 symbols of GPT-2's byte alphabet."""
    missing = [c for c in bytes_to_unicode().values() if c not in ids]
    if missing:
        raise ValueError(
            f"vocab must hold all 256 byte symbols when byte_level=True, but "
            f"{len(missing)} are missing, such as {missing[0]!r}"
        )


def check_merges(merges: Any) -> list[tuple[str, str]]:
    """``merges`` as a list of (left, right) str pairs."""
    if isinstance(merges, (str, bytes)) or not isinstance(merges, Sequence):
        raise TypeError(
            f"merges must be a list of (left, right) pairs, got {type(merges).__name__}"
        )
    pairs = []
    for i, pair in enumerate(merges):
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(side, str) and side for side in pair)
        ):
            raise TypeError(
                f"merges[{i}] must be a (left, right) pair of non-empty str, "
                f"got {pair!r:.60}"
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def check_pattern(pattern: Any) -> str:
    """A pre-tokenizer regular expression that compiles and covers ``PROBE``."""
    check_text("pattern", pattern)
    try:
        compiled = _compiled(pattern)
    except regex.error as error:
        raise ValueError(
            f"pattern {pattern!r:.60} is not a valid regular expression: {error}"
        ) from None
    if "".join(compiled.findall(PROBE)) != PROBE:
        raise ValueError(
            f"pattern {pattern!r:.60} must cut text into chunks that join back into "
            f"it (findall of whole matches, no groups), but it drops or changes "
            f"characters of {PROBE!r}"
        )
    return pattern


def check_specials(special_tokens: Any, ids: Mapping[str, int]) -> tuple[str, ...]:
    """The special tokens, each a non-empty str in the vocabulary, none repeated."""
    tokens = check_str_list("special_tokens", special_tokens)
    for token in tokens:
        if token not in ids:
            raise ValueError(
                f"special_tokens holds {token!r:.60}, which is not in the vocab"
            )
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"special_tokens must not repeat a token, got {tokens!r:.80}")
    return tuple(tokens)


def check_ranks(ranks: Any, special_tokens: Any) -> dict[str, int]:
    """tiktoken's ``ranks`` (bytes → rank) and the special tokens (str → id): ids
    >= 0, each used once; returns the special tokens as a dict."""
    if not isinstance(ranks, Mapping) or not ranks:
        raise TypeError(
            f"ranks must be a non-empty dict from bytes to int, got {ranks!r:.60}"
        )
    specials = {} if special_tokens is None else special_tokens
    if not isinstance(specials, Mapping):
        raise TypeError(
            f"special_tokens must be a dict from str to int, got {specials!r:.60}"
        )
    seen: dict[int, str] = {}
    for name, table, kind in (
        ("ranks", ranks, bytes),
        ("special_tokens", specials, str),
    ):
        for token, rank in table.items():
            if not isinstance(token, kind) or not token:
                raise TypeError(
                    f"{name} keys must be non-empty {kind.__name__}, got {token!r:.60}"
                )
            if isinstance(rank, bool) or not hasattr(rank, "__index__"):
                raise TypeError(f"{name}[{token!r:.40}] must be an int, got {rank!r}")
            if not 0 <= rank < 2**24:
                raise ValueError(
                    f"{name}[{token!r:.40}] must be an id from 0 to {2**24 - 1}, "
                    f"got {rank}"
                )
            if int(rank) in seen:
                raise ValueError(
                    f"{name}[{token!r:.40}] = {rank} is already the id of "
                    f"{seen[int(rank)]!r:.40}: ids must differ"
                )
            seen[int(rank)] = f"{name}[{token!r:.40}]"
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        raise ValueError(
            f"ranks must hold all 256 single bytes, but {len(missing)} are missing, "
            f"such as {bytes([missing[0]])!r}"
        )
    return dict(specials)
