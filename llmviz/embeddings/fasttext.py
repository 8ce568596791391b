"""fastText's subwords: a word's character n-grams, the bucket hash, unknown words.

fastText {footcite}`bojanowski2017enriching` writes a word as ``<word>`` and represents
it by its character n-grams of ``minn`` to ``maxn`` characters (the whole ``<word>``
among them when it is short enough). Each n-gram is hashed into one of ``bucket`` rows
of a shared table, so an unseen word still has a vector: the mean of its n-gram rows.

>>> char_ngrams("where", 3, 4)
['<wh', '<whe', 'whe', 'wher', 'her', 'here', 'ere', 'ere>', 're>']
>>> ft_hash("<wh")  # equal to gensim's ft_hash_bytes
1048167652
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor

MAX_N = 64  # longest n-gram, in characters
MAX_WORD = 1000  # longest word, in characters
MAX_BUCKET = 2**31 - 1  # fastText keeps buckets in an int32
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619  # 32-bit FNV-1a

__all__ = ["char_ngrams", "ft_hash", "ngram_buckets", "oov_vector", "table_sizes"]


def _check_word(word: Any) -> str:
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}")
    if not 0 < len(word) <= MAX_WORD:
        raise ValueError(f"word must have 1 to {MAX_WORD} characters, got {len(word)}")
    return word


def _check_n(minn: Any, maxn: Any) -> tuple[int, int]:
    minn, maxn = check_int("minn", minn, 1, MAX_N), check_int("maxn", maxn, 1, MAX_N)
    if maxn < minn:
        raise ValueError(f"maxn must be >= minn = {minn}, got maxn = {maxn}")
    return minn, maxn


def char_ngrams(word: str, minn: int = 3, maxn: int = 6) -> list[str]:
    """The character n-grams of ``"<" + word + ">"`` with ``minn <= n <= maxn``, in
    fastText's order: by start position, then by length. A lone ``<`` or ``>`` is never
    one (fastText skips them for ``minn = 1``); repeats are kept.

    Characters are Unicode code points, as fastText's UTF-8 walk counts them: 中文
    gives ``<中文>`` (4 characters), not 8 bytes. {footcite}`bojanowski2017enriching`

    >>> char_ngrams("中文", 2, 3)
    ['<中', '<中文', '中文', '中文>', '文>']
    """
    word, (minn, maxn) = _check_word(word), _check_n(minn, maxn)
    marked = f"<{word}>"
    end = len(marked)
    grams = []
    for start in range(end):
        for n in range(minn, min(maxn, end - start) + 1):
            if n == 1 and start in (0, end - 1):
                continue
            grams.append(marked[start : start + n])
    return grams


def ft_hash(text: str) -> int:
    """fastText's 32-bit FNV-1a hash of ``text``'s UTF-8 bytes:
    ``h = 2166136261; h = (h XOR b) * 16777619 mod 2^32`` for each byte ``b``.

    fastText reads the bytes as C ``char``, signed on x86: a byte >= 128 is
    sign-extended (``0xE4`` becomes ``0xFFFFFFE4``) before the XOR. ASCII is
    unaffected; every non-ASCII n-gram (中文, é, emoji) gets a different hash than
    textbook FNV-1a would give it.

    >>> ft_hash("a"), ft_hash("中")
    (3826002220, 3930512628)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text) > MAX_WORD + 2:
        raise ValueError(f"text must have at most {MAX_WORD + 2} characters")
    h = FNV_OFFSET
    for byte in text.encode("utf-8"):
        signed = byte - 256 if byte >= 128 else byte  # int8, as C's char
        h = ((h ^ (signed & 0xFFFFFFFF)) * FNV_PRIME) & 0xFFFFFFFF
    return h


_SIGNED: dict[str, tuple[int, ...]] = {}  # UTF-8 bytes, as fastText XORs them


def _signed_bytes(char: str) -> tuple[int, ...]:
    found = _SIGNED.get(char)
    if found is None:
        found = tuple((b - 256 if b >= 128 else b) & 0xFFFFFFFF for b in char.encode())
        if len(_SIGNED) < 1 << 16:
            _SIGNED[char] = found
    return found


def ngram_buckets(
    word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000
) -> np.ndarray:
    """The table rows of ``word``'s n-grams: ``ft_hash(g) mod bucket`` for each
    ``g`` in ``char_ngrams(word, minn, maxn)``, in that order (int64).

    FNV-1a reads its bytes left to right, so the n-grams that start at one position
    share their hash's prefix: each is the previous one's hash carried on over one
    more character. That hashes every byte once per start instead of once per n-gram
    (the same values as ``ft_hash``, which stays the readable reference).

    >>> ngram_buckets("where", 3, 3, 1000).tolist()
    [652, 941, 420, 33, 498]
    """
    word, (minn, maxn) = _check_word(word), _check_n(minn, maxn)
    bucket = check_int("bucket", bucket, 1, MAX_BUCKET)
    marked = f"<{word}>"
    end, rows = len(marked), []
    if marked.isascii():  # a character is one byte, and no byte is sign-extended
        data = marked.encode()
        for start in range(end):
            h = FNV_OFFSET
            for n in range(1, min(maxn, end - start) + 1):
                h = ((h ^ data[start + n - 1]) * FNV_PRIME) & 0xFFFFFFFF
                if n >= minn and (n > 1 or 0 < start < end - 1):  # no lone < or >
                    rows.append(h % bucket)
        return np.array(rows, dtype=np.int64)
    chars = [_signed_bytes(c) for c in marked]
    for start in range(end):
        h = FNV_OFFSET
        for n in range(1, min(maxn, end - start) + 1):
            for byte in chars[start + n - 1]:
                h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
            if n >= minn and (n > 1 or 0 < start < end - 1):
                rows.append(h % bucket)
    return np.array(rows, dtype=np.int64)


def oov_vector(
    word: str, ngram_vectors: Tensor, minn: int = 3, maxn: int = 6
) -> Tensor:
    """An unknown word's vector: the mean of its n-gram rows,
    ``v(w) = (1/|G_w|) Σ_{g ∈ G_w} z[hash(g) mod B]`` with ``B`` the table's rows.
    A word with no n-gram of these lengths gets zeros, as in gensim.
    {footcite}`bojanowski2017enriching`

    >>> oov_vector("ab", torch.ones(10, 2)).tolist()
    [1.0, 1.0]
    """
    check_tensor("ngram_vectors", ngram_vectors, ranks=(2,))
    rows = ngram_buckets(word, minn, maxn, ngram_vectors.shape[0])
    if rows.size == 0:
        return ngram_vectors.new_zeros(ngram_vectors.shape[1])
    return ngram_vectors[torch.from_numpy(rows)].mean(dim=0)


def table_sizes(vocab_size: int, vector_size: int, bucket: int) -> dict[str, int]:
    """Parameters of the input tables: word2vec's ``V·d`` against fastText's
    ``(V + B)·d`` (a row per word plus ``B`` n-gram buckets).

    >>> table_sizes(1000, 100, 2_000_000)
    {'word2vec': 100000, 'fasttext': 200100000}
    """
    vocab_size = check_int("vocab_size", vocab_size, 1, 10**9)
    vector_size = check_int("vector_size", vector_size, 1, 1 << 16)
    bucket = check_int("bucket", bucket, 0, MAX_BUCKET)
    return {
        "word2vec": vocab_size * vector_size,
        "fasttext": (vocab_size + bucket) * vector_size,
    }
