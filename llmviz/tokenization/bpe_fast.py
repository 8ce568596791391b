"""A faster BPE trainer beside ``bpe_train.train_bpe``: the same algorithm and merges
(Hugging Face ``tokenizers``' ``BpeTrainer``'s), stored so that C does the walking.

``train_bpe``, the one the chapter shows, keeps each distinct chunk as a list of ids and
walks it symbol by symbol. ``train_bpe_fast`` changes how the same state is stored, not
what it computes:

* a distinct chunk is a ``str`` whose characters are token ids (``chr(id)``), so one
  merge in it is ``str.replace`` and finding a pair is ``str.find``, both in C; a pair
  is its two-character string, and strings compare by code point, so the heap's tie
  rule (the smallest ``(left_id, right_id)`` wins) is unchanged;
* the heap is lazy both ways: a pair whose count fell is pushed again only when its
  stale entry reaches the top, so a merge pushes only the pairs it created;
* the corpus's chunks are counted with fewer, larger regular-expression calls
  (``bpe_fast_chunks``).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable

from llmviz._checks import check_int
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_fast_chunks import raw_chunk_counts
from llmviz.tokenization.bpe_train import (
    _add_merge,
    _alphabet,
    _result,
    _specials,
    train_bpe,
)
from llmviz.tokenization.pretokenize import GPT2_PATTERN, bytes_to_unicode

_LAST_ID = 0x10FFFF  # the largest code point, so the largest id a chunk string holds


def _words(counts: Counter[str], byte_level: bool, ids: dict[str, int]) -> list[str]:
    """Each chunk as a string of ids, ``chr(id)`` per symbol."""
    if byte_level:
        table = {b: chr(ids[c]) for b, c in bytes_to_unicode().items()}
        return [c.encode("utf-8").decode("latin-1").translate(table) for c in counts]
    table = {ord(t): chr(i) for t, i in ids.items() if len(t) == 1}
    return [chunk.translate(table) for chunk in counts]


def _pair_index(
    words: list[str], weights: list[int]
) -> tuple[dict[str, int], defaultdict[str, list[int]]]:
    """Each pair's count, weighted by its chunk's count, and the chunks holding it
    (a chunk may be listed twice, or after the pair left it: ``_apply`` skips it)."""
    counts: dict[str, int] = {}
    where: defaultdict[str, list[int]] = defaultdict(list)
    get = counts.get
    for w, word in enumerate(words):
        n = weights[w]
        for pair in map(str.__add__, word, word[1:]):
            counts[pair] = get(pair, 0) + n
            where[pair].append(w)
    return counts, where


def _apply(
    pair: str,
    new: str,
    words: list[str],
    weights: list[int],
    counts: dict[str, int],
    where: defaultdict[str, list[int]],
) -> set[str]:
    """Merge ``pair`` into ``new`` in the chunks that hold it, shift the counts of the
    pairs around each merge, and return the pairs made.

    Around a merge of ``a b`` between ``x`` and ``y``, ``(x, a)`` and ``(b, y)`` lose
    the chunk's count ``n`` and ``(x, new)`` and ``(new, y)`` gain it, as in
    ``bpe_train._apply``; between two merges (``a b a b``), ``(b, a)`` becomes
    ``(new, new)``. (The shifts are written out: a call each costs 10 % here.)
    """
    a, b = pair
    made: set[str] = set()
    get = counts.get
    for w in where.pop(pair):
        word = words[w]
        i = word.find(pair)
        if i < 0:
            continue  # listed twice, or merged away since it was listed
        n, end = weights[w], len(word) - 2
        if i:  # the left neighbour of the first merge
            x = word[i - 1]
            counts[x + a] -= n
            made.add(p := x + new)
            counts[p] = get(p, 0) + n
            where[p].append(w)
        while True:
            j = i + 2
            next_i = word.find(pair, j) if j <= end else -1
            if i < end:  # the right neighbour: y, or new if the next merge is next
                y = word[j]
                counts[b + y] -= n
                made.add(p := new + (new if next_i == j else y))
                counts[p] = get(p, 0) + n
                where[p].append(w)
            if next_i < 0:
                break
            if next_i > j:  # the left neighbour of the next merge
                x = word[next_i - 1]
                counts[x + a] -= n
                made.add(p := x + new)
                counts[p] = get(p, 0) + n
                where[p].append(w)
            i = next_i
        words[w] = word.replace(pair, new)
    counts.pop(pair, None)
    return made


def _merge_all(
    words: list[str],
    weights: list[int],
    vocab_size: int,
    min_frequency: int,
    tokens: list[str],
    ids: dict[str, int],
) -> list[tuple[int, int]]:
    """The merges, best pair first: highest count, then smallest ids."""
    counts, where = _pair_index(words, weights)
    heap = [(-n, pair) for pair, n in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while len(ids) < vocab_size and heap:
        negative_count, pair = heapq.heappop(heap)
        n = counts.get(pair, 0)
        if n != -negative_count:  # stale: the count fell since this entry was pushed
            if n > 0:
                heapq.heappush(heap, (-n, pair))
            continue
        if n < min_frequency:
            break
        new = chr(_add_merge((ord(pair[0]), ord(pair[1])), tokens, ids, merges))
        for made in _apply(pair, new, words, weights, counts, where):
            if counts[made] > 0:
                heapq.heappush(heap, (-counts[made], made))
    return merges


def train_bpe_fast(
    corpus: str | Iterable[str],
    vocab_size: int,
    *,
    byte_level: bool = True,
    pattern: str = GPT2_PATTERN,
    min_frequency: int = 0,
    special_tokens: Iterable[str] = (),
    unk_token: str | None = None,
) -> BPE:
    """Byte-pair encoding [sennrich2016bpe] as ``train_bpe`` learns it, faster: the
    same parameters, errors and merges (HF ``tokenizers``' on the same lines).

    On Linux with two free cores, a corpus of a million characters or more is cut
    into chunks by two processes (``bpe_fast_chunks``).

    >>> train_bpe_fast("low lower lowest", 260).merges
    [('l', 'o'), ('lo', 'w'), ('Ġ', 'low'), ('Ġlow', 'e')]
    """
    specials = _specials(special_tokens, unk_token, min_frequency)
    check_int("vocab_size", vocab_size, minimum=1)
    if vocab_size > _LAST_ID:  # more ids than code points: the readable trainer
        return train_bpe(
            corpus,
            vocab_size,
            byte_level=byte_level,
            pattern=pattern,
            min_frequency=min_frequency,
            special_tokens=specials,
            unk_token=unk_token,
        )
    counts = raw_chunk_counts(corpus, pattern, specials)
    tokens = list(dict.fromkeys(specials))
    taken = set(tokens)
    tokens += [c for c in _alphabet(counts, byte_level) if c not in taken]
    if vocab_size < len(tokens):
        raise ValueError(
            f"vocab_size must be at least {len(tokens)} (the special tokens and the "
            f"{'byte' if byte_level else 'character'} alphabet), got {vocab_size}"
        )
    ids = {token: i for i, token in enumerate(tokens)}
    words, weights = _words(counts, byte_level, ids), list(counts.values())
    merges = _merge_all(words, weights, vocab_size, min_frequency, tokens, ids)
    return _result(tokens, merges, byte_level, pattern, specials, unk_token)
