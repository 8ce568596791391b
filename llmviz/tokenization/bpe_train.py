"""Training byte-pair encoding: count adjacent pairs, merge the most frequent, repeat
[sennrich2016bpe].

Two trainers learn the same merges, step for step:

* ``train_bpe_recount`` is the textbook loop. After every merge it counts every pair
  in every chunk of the corpus again. It is short, obviously right, and slow.
* ``train_bpe`` is the fast one. It counts each distinct chunk once, weighted by how
  often it occurs, keeps an index from each pair to the chunks that contain it, and
  after a merge updates the counts of only those chunks. A heap finds the best pair.

Both follow Hugging Face ``tokenizers``' ``BpeTrainer`` exactly, so their merges are
identical to HF's on the same lines:

* ids: special tokens first, then the alphabet sorted by code point, then one id per
  merge (a merge whose string already exists reuses that id);
* the corpus is read line by line (a ``str`` is cut after each ``"\\n"``, nowhere
  else), and each line is cut by the pre-tokenizer pattern; pairs never cross a chunk;
* the text of a special token in the corpus is cut out of its line, as ``encode``
  cuts it out (``specials``), so no merge crosses it or learns from its characters
  (HF's trainer, which has no such step, is fed the text between them);
* the best pair has the highest count; **among equal counts, the pair of smallest ids
  ``(left_id, right_id)`` wins**;
* training stops at ``vocab_size``, or when the best count is below ``min_frequency``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TypeVar

from llmviz._checks import check_int
from llmviz.tokenization._bpe_checks import check_pattern, check_str_list
from llmviz.tokenization.base import check_text, corpus_lines
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.pretokenize import GPT2_PATTERN, _compiled, bytes_to_unicode
from llmviz.tokenization.specials import special_policy, split_specials

Pair = tuple[int, int]
T = TypeVar("T")


def chunk_counts(
    corpus: str | Iterable[str],
    pattern: str = GPT2_PATTERN,
    byte_level: bool = True,
    special_tokens: Iterable[str] = (),
) -> Counter[str]:
    """How often each pre-tokenized chunk occurs, read line by line as HF does; the
    text of the special tokens is cut out first and not counted.

    Byte-level chunks are written in GPT-2's byte alphabet (``bytes_to_unicode``).

    >>> chunk_counts("a cat\\na<s>cat", byte_level=False, special_tokens=["<s>"])
    Counter({'a': 2, ' cat': 1, '\\n': 1, 'cat': 1})
    """
    find_all = _compiled(check_pattern(pattern)).findall
    specials = special_policy(
        check_str_list("special_tokens", list(special_tokens)), "all", ()
    )[0]
    counts: Counter[str] = Counter()
    for line, repeats in Counter(corpus_lines(corpus)).items():
        chunks = [
            chunk
            for segment, special in split_specials(line, specials)
            if not special
            for chunk in find_all(segment)
        ]
        if repeats == 1:
            counts.update(chunks)
        else:
            for chunk in chunks:
                counts[chunk] += repeats
    if not byte_level:
        return counts
    table = {i: c for i, c in bytes_to_unicode().items()}
    return Counter(
        {
            chunk.encode("utf-8").decode("latin-1").translate(table): n
            for chunk, n in counts.items()
        }
    )


def _alphabet(chunks: Iterable[str], byte_level: bool) -> list[str]:
    if byte_level:
        return sorted(bytes_to_unicode().values())
    return sorted({char for chunk in chunks for char in chunk})


def _start(
    corpus: str | Iterable[str],
    vocab_size: int,
    pattern: str,
    byte_level: bool,
    special_tokens: Iterable[str],
) -> tuple[Counter[str], list[str], dict[str, int]]:
    """Chunk counts, and the vocabulary before any merge: specials, then alphabet."""
    check_int("vocab_size", vocab_size, minimum=1)
    counts = chunk_counts(corpus, pattern, byte_level, special_tokens)
    tokens = list(dict.fromkeys(special_tokens))
    tokens += [char for char in _alphabet(counts, byte_level) if char not in tokens]
    if vocab_size < len(tokens):
        raise ValueError(
            f"vocab_size must be at least {len(tokens)} (the special tokens and the "
            f"{'byte' if byte_level else 'character'} alphabet), got {vocab_size}"
        )
    return counts, tokens, {token: i for i, token in enumerate(tokens)}


def _add_merge(
    pair: Pair, tokens: list[str], ids: dict[str, int], merges: list[Pair]
) -> int:
    """Record ``pair`` as the next merge and return the id of the merged token."""
    merged = tokens[pair[0]] + tokens[pair[1]]
    if merged not in ids:
        ids[merged] = len(tokens)
        tokens.append(merged)
    merges.append(pair)
    return ids[merged]


def merge_symbols(symbols: Sequence[T], pair: tuple[T, T], merged: T) -> list[T]:
    """Replace each occurrence of ``pair`` by ``merged``, left to right, without
    overlaps. Symbols may be ids or strings.

    >>> merge_symbols(list("aaab"), ("a", "a"), "aa")
    ['aa', 'a', 'b']
    """
    out, i, last = [], 0, len(symbols) - 1
    while i <= last:
        if i < last and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _result(
    tokens: list[str],
    merges: list[Pair],
    byte_level: bool,
    pattern: str,
    special_tokens: tuple[str, ...],
    unk_token: str | None,
) -> BPE:
    named = [(tokens[a], tokens[b]) for a, b in merges]
    return BPE(
        named,
        tokens,
        byte_level=byte_level,
        pattern=pattern,
        special_tokens=special_tokens,
        unk_token=unk_token,
    )


def _specials(
    special_tokens: Iterable[str], unk_token: str | None, min_frequency: int
) -> tuple[str, ...]:
    """The special tokens, with ``unk_token`` last if it is not among them; checks
    them and ``min_frequency``."""
    check_int("min_frequency", min_frequency, minimum=0)
    if isinstance(special_tokens, Iterable) and not isinstance(special_tokens, str):
        special_tokens = list(special_tokens)
    special_tokens = check_str_list("special_tokens", special_tokens)
    extra = [] if unk_token is None else [check_text("unk_token", unk_token)]
    return tuple(dict.fromkeys([*special_tokens, *extra]))


def train_bpe_recount(
    corpus: str | Iterable[str],
    vocab_size: int,
    *,
    byte_level: bool = True,
    pattern: str = GPT2_PATTERN,
    min_frequency: int = 0,
    special_tokens: Iterable[str] = (),
    unk_token: str | None = None,
) -> BPE:
    """The textbook loop: count every pair in every chunk, merge the best, repeat.

    Every occurrence of every chunk is kept and recounted after each merge, so one
    merge costs time in proportion to the whole corpus.

    >>> train_bpe_recount("low lower lowest", 260).merges[:2]
    [('l', 'o'), ('lo', 'w')]
    """
    special_tokens = _specials(special_tokens, unk_token, min_frequency)
    counts, tokens, ids = _start(
        corpus, vocab_size, pattern, byte_level, special_tokens
    )
    chunks = [[ids[c] for c in chunk] for chunk, n in counts.items() for _ in range(n)]
    merges: list[Pair] = []
    while len(ids) < vocab_size:
        pairs = Counter(p for chunk in chunks for p in pairwise(chunk))
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < min_frequency:
            break
        new_id = _add_merge(best, tokens, ids, merges)
        chunks = [merge_symbols(chunk, best, new_id) for chunk in chunks]
    return _result(tokens, merges, byte_level, pattern, special_tokens, unk_token)


def train_bpe(
    corpus: str | Iterable[str],
    vocab_size: int,
    *,
    byte_level: bool = True,
    pattern: str = GPT2_PATTERN,
    min_frequency: int = 0,
    special_tokens: Iterable[str] = (),
    unk_token: str | None = None,
) -> BPE:
    """Learn BPE merges with incremental pair counts; the same merges as the recount.

    ``byte_level=True`` starts from the 256 bytes (GPT-2), ``False`` from the
    characters of the corpus; then ``unk_token`` (added to the special tokens) stands
    for characters that training never saw. ``pattern`` is the pre-tokenizer's
    regular expression.

    >>> bpe = train_bpe("low lower lowest", 260)
    >>> bpe.merges
    [('l', 'o'), ('lo', 'w'), ('Ġ', 'low'), ('Ġlow', 'e')]
    >>> bpe.encode("lowest") == bpe.encode("low") + bpe.encode("est")
    True
    """
    special_tokens = _specials(special_tokens, unk_token, min_frequency)
    counts, tokens, ids = _start(
        corpus, vocab_size, pattern, byte_level, special_tokens
    )
    words = [[ids[c] for c in chunk] for chunk in counts]
    weights = list(counts.values())
    pair_counts: Counter[Pair] = Counter()
    where: dict[Pair, set[int]] = {}
    for w, (word, n) in enumerate(zip(words, weights, strict=True)):
        for pair in pairwise(word):
            pair_counts[pair] += n
            where.setdefault(pair, set()).add(w)
    heap = [(-n, pair) for pair, n in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[Pair] = []
    while len(ids) < vocab_size and heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative_count:
            continue  # a stale entry: the count changed after it was pushed
        if -negative_count < min_frequency:
            break
        new_id = _add_merge(pair, tokens, ids, merges)
        changed = _apply(pair, new_id, words, weights, pair_counts, where)
        for p in changed:
            if pair_counts.get(p, 0) > 0:
                heapq.heappush(heap, (-pair_counts[p], p))
    return _result(tokens, merges, byte_level, pattern, special_tokens, unk_token)


def _apply(
    pair: Pair,
    new_id: int,
    words: list[list[int]],
    weights: list[int],
    pair_counts: Counter[Pair],
    where: dict[Pair, set[int]],
) -> set[Pair]:
    """Merge ``pair`` in the words that hold it, and update the counts of the pairs
    around each merge; return the pairs whose count changed.

    At a merge of ``a b`` between ``x`` and ``y``, the pairs ``(x, a)`` and
    ``(b, y)`` disappear and ``(x, ab)`` and ``(ab, y)`` appear. ``x`` is read from
    the merged output, so back-to-back merges (``a b a b``) are counted right.
    """
    a, b = pair
    changed: set[Pair] = set()
    for w in where.pop(pair):
        word, n = words[w], weights[w]
        out: list[int] = []
        i, last = 0, len(word) - 1
        while i <= last:
            if i < last and word[i] == a and word[i + 1] == b:
                if out:
                    _shift(pair_counts, changed, (out[-1], a), (out[-1], new_id), n)
                    where.setdefault((out[-1], new_id), set()).add(w)
                if i + 2 <= last:
                    follower = word[i + 2]
                    _shift(pair_counts, changed, (b, follower), (new_id, follower), n)
                    where.setdefault((new_id, follower), set()).add(w)
                out.append(new_id)
                i += 2
            else:
                out.append(word[i])
                i += 1
        words[w] = out
    pair_counts.pop(pair, None)
    return changed


def _shift(
    pair_counts: Counter[Pair], changed: set[Pair], old: Pair, new: Pair, n: int
) -> None:
    """Move ``n`` counts from pair ``old`` to pair ``new``."""
    pair_counts[old] -= n
    pair_counts[new] += n
    changed.add(old)
    changed.add(new)
