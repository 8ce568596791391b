"""Where WordPiece's greedy encoding falls short [schuster2012japanese; wu2016gnmt].

WordPiece cuts a word left to right, always taking the longest piece that fits. That
choice is final: if it leaves a remainder that no ``##`` piece starts, the whole word
becomes ``[UNK]``, even when another split would have covered it. ``fewest_pieces``
searches every split (a Viterbi pass that scores each piece −1), so it finds a cover
whenever one exists. ``both_forms`` counts the strings a vocabulary holds twice, at the
start of a word and after ``##``; ``unknown_cost`` measures how much text the
whole-word ``[UNK]`` rule erases beyond the characters that really have no piece.
"""

from __future__ import annotations

from collections.abc import Collection

from llmviz.tokenization.base import check_text
from llmviz.tokenization.pretokenize import bert_pretokenize
from llmviz.tokenization.wordpiece import WordPiece


def _check_vocab(vocab: object) -> Collection[str]:
    if isinstance(vocab, (str, bytes)) or not isinstance(vocab, Collection):
        raise TypeError(f"vocab must be a collection of str, got {vocab!r:.60}")
    if not all(isinstance(piece, str) for piece in vocab):
        raise TypeError(f"vocab must hold only str pieces, got {vocab!r:.60}")
    return vocab


def fewest_pieces(
    word: str, vocab: Collection[str], prefix: str = "##"
) -> list[str] | None:
    """The split of ``word`` into the fewest pieces of ``vocab`` (the first piece as
    it is, the others with ``prefix``), or None when no split covers it.

    best[j] = min over i < j of best[i] + 1, where ``word[i:j]`` is a piece:
    ``word[:j]`` itself when i = 0, ``prefix + word[i:j]`` otherwise.

    >>> vocab = {"token", "tokeni", "##izer"}
    >>> fewest_pieces("tokenizer", vocab)
    ['token', '##izer']
    """
    word, vocab = check_text("word", word), _check_vocab(vocab)
    if not check_text("prefix", prefix):
        raise ValueError("prefix must be a non-empty str, got ''")
    if not word:
        raise ValueError("word must be a non-empty str, got ''")
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            head = best[start]
            piece = word[:end] if start == 0 else prefix + word[start:end]
            if head is not None and piece in vocab:
                if best[end] is None or len(head) + 1 < len(best[end]):
                    best[end] = [*head, piece]
    return best[-1]


def both_forms(vocab: Collection[str], prefix: str = "##") -> list[str]:
    """The strings that are in ``vocab`` both as a word start and after ``prefix``.

    >>> both_forms({"ing", "##ing", "##s", "a", "##a"})
    ['a', 'ing']
    """
    vocab = _check_vocab(vocab)
    if not check_text("prefix", prefix):
        raise ValueError("prefix must be a non-empty str, got ''")
    return sorted(p for p in vocab if not p.startswith(prefix) and prefix + p in vocab)


def unknown_cost(wordpiece: WordPiece, text: str) -> dict[str, int]:
    """Characters of ``text``'s words (``bert_pretokenize``): all of them, those in
    words that become ``[UNK]``, and those that no piece could spell (a character
    that is neither a piece nor, after the first, a ``##`` piece).

    >>> wp = WordPiece({"[UNK]": 0, "a": 1, "##b": 2})
    >>> unknown_cost(wp, "ab abc")
    {'characters': 5, 'erased': 3, 'unspellable': 1}
    """
    if not isinstance(wordpiece, WordPiece):
        raise TypeError(
            f"wordpiece must be a WordPiece, got {type(wordpiece).__name__}"
        )
    counts = {"characters": 0, "erased": 0, "unspellable": 0}
    vocab, prefix = wordpiece.vocab, wordpiece.prefix
    for word in bert_pretokenize(check_text("text", text)):
        counts["characters"] += len(word)
        if wordpiece.tokenize_word(word) == [wordpiece.unk_token]:
            counts["erased"] += len(word)
            counts["unspellable"] += sum(
                (c if i == 0 else prefix + c) not in vocab for i, c in enumerate(word)
            )
    return counts
