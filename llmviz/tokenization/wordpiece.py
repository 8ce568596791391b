"""WordPiece: merge the pair that most raises the likelihood, then cut each word
greedily, longest piece first [schuster2012japanese], as BERT does [devlin2019bert].

Training starts from characters, the first of a word plain and the others marked
``##`` (``hug`` → ``h ##u ##g``), and merges the pair of highest score
count(ab) / (count(a)·count(b)): not the most frequent pair, as BPE would, but the
most frequent *relative to its parts* (pointwise mutual information up to a constant).
``pair_scores`` is that definition, recounted from scratch; ``train_wordpiece`` keeps
the counts up to date instead. Simplified from Google's closed trainer: no pruning.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from llmviz._checks import check_int, check_real
from llmviz.tokenization.base import Tokenizer, check_ids, check_text, corpus_lines
from llmviz.tokenization.bpe_train import merge_symbols
from llmviz.tokenization.pretokenize import bert_pretokenize

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
Pair = tuple[str, str]


def _check_prefix(prefix: Any) -> str:
    if not check_text("continuing_subword_prefix", prefix):
        raise ValueError(
            "continuing_subword_prefix must be a non-empty str: without it a piece "
            "inside a word cannot be told from the start of one"
        )
    return prefix


def _check_merges(merges: Any) -> list[tuple[str, str, float]]:
    if isinstance(merges, (str, bytes)) or not isinstance(merges, Sequence):
        raise TypeError(f"merges must be a list of (a, b, score), got {merges!r:.60}")
    for i, merge in enumerate(merges):
        if (
            isinstance(merge, str)
            or not isinstance(merge, Sequence)
            or len(merge) != 3
            or not all(isinstance(side, str) for side in merge[:2])
        ):
            raise TypeError(f"merges[{i}] must be (a, b, score), got {merge!r:.60}")
        check_real(f"merges[{i}] score", merge[2])
    return [tuple(merge) for merge in merges]


class WordPiece(Tokenizer):
    """Greedy longest-match-first subword encoding over a fixed vocabulary.

    Each word from ``bert_pretokenize`` (every Chinese character a word of its own, as
    in BERT) is cut left to right, always taking the
    longest vocabulary entry that fits (``##`` marks a piece inside a word). If some
    position has no match, or the word has more than ``max_input_chars_per_word``
    characters, the **whole word** becomes ``unk_token``, as in HF ``tokenizers``.

    >>> wp = WordPiece({"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4})
    >>> wp.pieces("unaffable a ab")
    ['un', '##aff', '##able', 'a', '[UNK]']
    """

    name = "WordPiece"

    def __init__(
        self,
        vocab: dict[str, int],
        *,
        unk_token: str = "[UNK]",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
        merges: Sequence[tuple[str, str, float]] = (),
    ) -> None:
        if not isinstance(vocab, dict) or not all(isinstance(t, str) for t in vocab):
            raise TypeError(f"vocab must be a dict from str to int, got {vocab!r:.80}")
        if sorted(vocab.values()) != list(range(len(vocab))):
            raise ValueError(
                f"vocab ids must be 0 .. {len(vocab) - 1}, each used once, "
                f"got {sorted(vocab.values())!r:.80}"
            )
        if unk_token not in vocab:
            raise ValueError(f"unk_token {unk_token!r} must be in the vocab")
        self.vocab = dict(vocab)
        self.id_to_token = {i: token for token, i in vocab.items()}
        self.unk_token, self.unk_id = unk_token, vocab[unk_token]
        self.prefix = _check_prefix(continuing_subword_prefix)
        self.max_input_chars_per_word = check_int(
            "max_input_chars_per_word", max_input_chars_per_word, minimum=1
        )
        self.merges = _check_merges(merges)  # (a, b, score) in training order
        self._longest = max(len(token) for token in vocab)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def tokenize_word(self, word: str) -> list[str]:
        """One word's pieces, longest match first; ``[unk_token]`` if it cannot be cut.

        >>> WordPiece({"[UNK]": 0, "hug": 1, "##s": 2}).tokenize_word("hugs")
        ['hug', '##s']
        """
        word = check_text("word", word)
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            for end in range(min(len(word), start + self._longest), start, -1):
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    break
            else:  # nothing in the vocab starts here: the whole word is unknown
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def pieces(self, text: str) -> list[str]:
        """The tokens of ``text``: each word of ``bert_pretokenize``, cut."""
        return [p for word in bert_pretokenize(text) for p in self.tokenize_word(word)]

    def encode(self, text: str) -> list[int]:
        """The ids of ``pieces(text)``; no ``[CLS]``/``[SEP]`` are added."""
        return [self.vocab[piece] for piece in self.pieces(text)]

    def decode(self, ids: Sequence[int]) -> str:
        """Glue each ``##`` piece to the one before; put a space before the others.

        Lossy, like HF's WordPiece decoder (with ``cleanup=False``): spaces come back
        between all words, ``"x=1"`` as ``"x = 1"``, and an unknown word as ``[UNK]``.
        A ``##`` piece in first place keeps its ``##``, as in HF.

        >>> WordPiece({"[UNK]": 0, "hug": 1, "##s": 2, "!": 3}).decode([1, 2, 3])
        'hugs !'
        """
        tokens = [self.id_to_token[i] for i in check_ids(ids, self.vocab_size)]
        text = tokens[0] if tokens else ""
        for token in tokens[1:]:
            glued = token.startswith(self.prefix)
            text += token[len(self.prefix) :] if glued else " " + token
        return text


def pair_scores(
    splits: dict[str, list[str]], word_counts: dict[str, int]
) -> dict[Pair, float]:
    """The WordPiece score of every adjacent pair, counted from scratch.

    score(a, b) = count(ab) / (count(a) · count(b)), each count weighted by how often
    its word occurs [schuster2012japanese].

    >>> pair_scores({"ab": ["a", "##b"], "b": ["b"]}, {"ab": 2, "b": 5})
    {('a', '##b'): 0.5}
    """
    symbol_counts: Counter[str] = Counter()
    pair_counts: Counter[Pair] = Counter()
    for word, symbols in splits.items():
        for symbol in symbols:
            symbol_counts[symbol] += word_counts[word]
        for pair in pairwise(symbols):
            pair_counts[pair] += word_counts[word]
    return {
        (a, b): n / (symbol_counts[a] * symbol_counts[b])
        for (a, b), n in pair_counts.items()
    }


def merge_pair(symbols: list[str], a: str, b: str, prefix: str = "##") -> list[str]:
    """Replace each ``a, b`` in ``symbols`` (left to right) by ``a`` + ``b`` less its
    ``##``; the result keeps ``a``'s own prefix.

    >>> merge_pair(["h", "##u", "##g"], "##u", "##g")
    ['h', '##ug']
    """
    return merge_symbols(symbols, (a, b), a + b.removeprefix(prefix))


class _PairCounts:
    """Symbol and pair counts over all words, updated word by word after a merge."""

    def __init__(self, splits: dict[str, list[str]], word_counts: dict[str, int]):
        self.splits, self.word_counts = splits, word_counts
        self.symbols: Counter[str] = Counter()
        self.pairs: Counter[Pair] = Counter()
        self.words_with: defaultdict[Pair, set[str]] = defaultdict(set)
        for word in splits:
            self._count(word, +1)

    def _count(self, word: str, sign: int) -> None:
        symbols, n = self.splits[word], sign * self.word_counts[word]
        for symbol in symbols:
            self.symbols[symbol] += n
        for pair in pairwise(symbols):
            self.pairs[pair] += n
            if self.pairs[pair] == 0:
                del self.pairs[pair]
            self.words_with[pair].add(word)  # may go stale; merge_pair then no-ops

    def best(self) -> tuple[Pair, float]:
        """Highest score; ties go to the higher pair count, then the smallest pair."""

        def rank(pair: Pair) -> tuple[float, int, str, str]:
            count = self.pairs[pair]
            score = count / (self.symbols[pair[0]] * self.symbols[pair[1]])
            return (-score, -count, *pair)

        pair = min(self.pairs, key=rank)
        return pair, -rank(pair)[0]

    def merge(self, a: str, b: str, prefix: str) -> None:
        for word in self.words_with.pop((a, b)):
            self._count(word, -1)
            self.splits[word] = merge_pair(self.splits[word], a, b, prefix)
            self._count(word, +1)


def train_wordpiece(
    corpus: str | Iterable[str],
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = SPECIAL_TOKENS,
    unk_token: str = "[UNK]",
    continuing_subword_prefix: str = "##",
    max_input_chars_per_word: int = 100,
) -> WordPiece:
    """Learn a WordPiece vocabulary: merge the best-scoring pair until ``vocab_size``.

    Ids: ``special_tokens`` first, then the alphabet (code-point order), then each new
    merged string. Score as in ``pair_scores`` [schuster2012japanese]; ties go to the
    higher pair count, then the alphabetically first pair. Words longer than
    ``max_input_chars_per_word`` are skipped (they encode to ``unk_token`` anyway).

    >>> wp = train_wordpiece("ab ab abc bc", 100, special_tokens=["[UNK]"])
    >>> [(a, b, round(score, 3)) for a, b, score in wp.merges]
    [('b', '##c', 0.5), ('a', '##b', 0.333), ('ab', '##c', 0.333)]
    """
    vocab_size = check_int("vocab_size", vocab_size, minimum=1)
    prefix = _check_prefix(continuing_subword_prefix)
    max_chars = check_int("max_input_chars_per_word", max_input_chars_per_word, 1)
    if isinstance(special_tokens, (str, bytes)) or not isinstance(
        special_tokens, Iterable
    ):
        raise TypeError(
            f"special_tokens must be a list of str, got {special_tokens!r:.60}"
        )
    special = [
        check_text(f"special_tokens[{i}]", t)
        for i, t in enumerate(dict.fromkeys(special_tokens))
    ]
    if unk_token not in special:
        raise ValueError(f"unk_token {unk_token!r} must be one of special_tokens")
    word_counts = Counter(
        word
        for line in corpus_lines(corpus)
        for word in bert_pretokenize(line)
        if len(word) <= max_chars
    )
    if not word_counts:
        raise ValueError("corpus must contain at least one word, got only whitespace")
    splits = {w: [w[0], *(prefix + c for c in w[1:])] for w in word_counts}
    alphabet = sorted({s for symbols in splits.values() for s in symbols} - {*special})
    if vocab_size < len(special) + len(alphabet):
        raise ValueError(
            f"vocab_size must be at least {len(special) + len(alphabet)} "
            f"({len(special)} special tokens + {len(alphabet)} alphabet symbols), "
            f"got {vocab_size}"
        )
    vocab = {token: i for i, token in enumerate([*special, *alphabet])}
    counts, merges = _PairCounts(splits, word_counts), []
    while len(vocab) < vocab_size and counts.pairs:
        (a, b), score = counts.best()
        counts.merge(a, b, prefix)
        merges.append((a, b, score))
        vocab.setdefault(a + b.removeprefix(prefix), len(vocab))
    return WordPiece(
        vocab,
        unk_token=unk_token,
        continuing_subword_prefix=prefix,
        max_input_chars_per_word=max_chars,
        merges=merges,
    )
