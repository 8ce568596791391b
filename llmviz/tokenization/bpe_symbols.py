"""From a chunk to its tokens: the starting symbols (bytes in GPT-2's alphabet, or
characters) and the merge loop; and tiktoken's ranks read as merges.

The loop applies merges in the order they were learned: while some adjacent pair is
a merge, merge every occurrence of the earliest-learned one [sennrich2016bpe].
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from llmviz.tokenization.base import check_text
from llmviz.tokenization.pretokenize import bytes_to_unicode

Ranks = dict[tuple[int, int], tuple[int, int]]  # pair of ids -> (rank, merged id)

_BYTE_OF = {char: byte for byte, char in bytes_to_unicode().items()}


def readable(token: str) -> str:
    """A byte-level token as text; bytes that are not whole UTF-8 characters are
    shown in hex, as ``⟨e4 bd⟩``.

    >>> readable("Ġworld"), readable("ä½"), readable("ä½ł")
    (' world', '⟨e4 bd⟩', '你')
    """
    outside = [char for char in check_text("token", token) if char not in _BYTE_OF]
    if outside:
        raise ValueError(
            f"token must be written in GPT-2's byte alphabet, got {token!r:.60} with "
            f"{outside[0]!r}"
        )
    data = bytes(_BYTE_OF[char] for char in token)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "⟨" + data.hex(" ") + "⟩"


def to_symbols(
    chunk: str, ids: Mapping[str, int], byte_level: bool, unk_token: str | None
) -> list[int]:
    """The ids of ``chunk``'s bytes (byte-level) or characters, before any merge."""
    if byte_level:
        table = bytes_to_unicode()
        return [ids[table[b]] for b in chunk.encode("utf-8")]
    unknown = ids.get(unk_token, -1) if unk_token is not None else -1
    symbols = [ids.get(char, unknown) for char in chunk]
    if -1 in symbols:
        char = chunk[symbols.index(-1)]
        raise ValueError(
            f"text contains {char!r}, which is not in the vocabulary, and this "
            "tokenizer has no unk_token"
        )
    return symbols


def apply_merges(symbols: list[int], ranks: Ranks) -> list[int]:
    """Merge the pair of lowest rank, every occurrence left to right, until none is
    left.

    >>> apply_merges([1, 1, 1], {(1, 1): (0, 2), (2, 1): (1, 3)})
    [3]
    """
    while len(symbols) > 1:
        found = [ranks.get(pair) for pair in pairwise(symbols)]
        best = min((r for r in found if r is not None), default=None)
        if best is None:
            break
        merged, i = [], 0
        while i < len(symbols):
            if i < len(found) and found[i] == best:
                merged.append(best[1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def ranks_from_merges(merges: list[tuple[str, str]], ids: Mapping[str, int]) -> Ranks:
    """Each merge ``(left, right)`` as ids: (left id, right id) -> (rank, merged id).

    >>> ranks_from_merges([("a", "b")], {"a": 0, "b": 1, "ab": 2})
    {(0, 1): (0, 2)}
    """
    ranks: Ranks = {}
    for rank, (left, right) in enumerate(merges):
        if not {left, right, left + right} <= ids.keys():
            raise ValueError(
                f"merges[{rank}] = {(left, right)!r} needs {left!r}, {right!r} and "
                f"{left + right!r} in vocab, and one of them is missing"
            )
        ranks.setdefault((ids[left], ids[right]), (rank, ids[left + right]))
    return ranks


def vocab_from_ranks(ranks: dict[bytes, int], specials: dict[str, int]) -> list[str]:
    """Tokens by id, in GPT-2's byte alphabet; ``""`` where no token has the id."""
    table = bytes_to_unicode()
    vocab = [""] * (max([*ranks.values(), *specials.values()]) + 1)
    for token, rank in ranks.items():
        vocab[rank] = "".join(table[b] for b in token)
    for token, rank in specials.items():
        vocab[rank] = token
    return vocab


def merges_from_ranks(ranks: dict[bytes, int]) -> Ranks:
    """tiktoken merges adjacent tokens ``x y`` whenever ``x + y`` is a token, the one
    of lowest rank first [openai2022tiktoken]. So every split of a token into two
    tokens is a merge, with that token's rank (and id).

    >>> merges_from_ranks({b"a": 0, b"b": 1, b"ab": 2})
    {(0, 1): (2, 2)}
    """
    merges: Ranks = {}
    for token, rank in ranks.items():
        for cut in range(1, len(token)):
            left, right = ranks.get(token[:cut]), ranks.get(token[cut:])
            if left is not None and right is not None:
                merges[(left, right)] = (rank, rank)
    return merges
