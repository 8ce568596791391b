"""The two baselines that subwords improve on: one token per word, one per character.

A word vocabulary is large and still misses words it never saw (they become
``[UNK]``); a character vocabulary is small and misses little, but its sequences are
long. ``words`` (from ``pretokenize``) cuts English on spaces and punctuation and
Chinese with jieba's dictionary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from llmviz._checks import check_int
from llmviz.tokenization.base import Tokenizer, check_ids, check_text, corpus_lines
from llmviz.tokenization.pretokenize import words

UNK = "[UNK]"


class _Lookup(Tokenizer):
    """A tokenizer that splits text into units and looks each one up."""

    unk_id = 0

    def __init__(self, vocab: Sequence[str], name: str) -> None:
        self.vocab = [UNK, *(token for token in vocab if token != UNK)]
        self.ids = {token: i for i, token in enumerate(self.vocab)}
        self.name = name

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def units(self, text: str) -> list[str]:
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(unit, 0) for unit in self.units(text)]

    def pieces(self, text: str) -> list[str]:
        return [unit if unit in self.ids else UNK for unit in self.units(text)]


class WordLevel(_Lookup):
    """One id per word; unseen words become ``[UNK]``.

    >>> tok = WordLevel.train("the cat sat. the dog", vocab_size=4)
    >>> tok.pieces("the cat ran")
    ['the', 'cat', '[UNK]']
    """

    @classmethod
    def train(
        cls,
        corpus: str | Iterable[str],
        vocab_size: int | None = None,
        min_count: int = 1,
    ) -> WordLevel:
        """The most frequent words (ties in alphabetical order), ``[UNK]`` first."""
        check_int("min_count", min_count, minimum=1)
        if vocab_size is not None:
            check_int("vocab_size", vocab_size, minimum=2)
        counts = Counter(w for line in corpus_lines(corpus) for w in words(line))
        ranked = sorted(counts, key=lambda w: (-counts[w], w))
        kept = [w for w in ranked if counts[w] >= min_count]
        return cls(kept[: None if vocab_size is None else vocab_size - 1], "word")

    def units(self, text: str) -> list[str]:
        return words(text)

    def decode(self, ids: Sequence[int]) -> str:
        """The words joined by spaces: the original spacing is lost."""
        return " ".join(self.vocab[i] for i in check_ids(ids, self.vocab_size))


class CharLevel(_Lookup):
    """One id per character (Unicode code point).

    >>> tok = CharLevel.train("hello")
    >>> tok.vocab, tok.decode(tok.encode("hole"))
    (['[UNK]', 'e', 'h', 'l', 'o'], 'hole')
    """

    @classmethod
    def train(cls, corpus: str | Iterable[str]) -> CharLevel:
        """Every character of the corpus, in code-point order, after ``[UNK]``."""
        return cls(sorted(set("".join(corpus_lines(corpus)))), "char")

    def units(self, text: str) -> list[str]:
        return list(check_text("text", text))

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab[i] for i in check_ids(ids, self.vocab_size))
