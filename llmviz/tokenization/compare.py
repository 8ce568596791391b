"""Measuring tokenizers on the same text: the numbers of the chapter's comparison.

* **fertility**: tokens per word, words cut by ``pretokenize.words`` (jieba for
  Chinese), the same cut for every tokenizer;
* **bytes per token**: UTF-8 bytes of the text over its number of tokens, the usual
  measure of compression;
* **unknown rate**: the fraction of tokens that are the unknown token, the
  out-of-vocabulary (OOV) rate; 0 for byte-level tokenizers, which know every byte.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from llmviz.tokenization.base import Tokenizer, check_text
from llmviz.tokenization.pretokenize import words


def measure(tokenizer: Tokenizer, text: str) -> dict[str, float]:
    """Tokens, characters, fertility, bytes per token and unknown rate on ``text``.

    Each line is encoded on its own, without its line break, as sentencepiece reads
    text, so that every tokenizer is measured on exactly the same characters.

    >>> from llmviz.tokenization import CharLevel
    >>> measure(CharLevel.train("abc"), "abd cab")
    {'tokens': 7, 'characters': 7, 'fertility': 3.5, 'bytes per token': 1.0, \
'unknown rate': 0.2857...}
    """
    lines = [line for line in check_text("text", text).splitlines() if line]
    ids = [i for line in lines for i in tokenizer.encode(line)]
    if not ids:
        raise ValueError("text must give at least one token, got an empty encoding")
    unknown = ids.count(tokenizer.unk_id) if tokenizer.unk_id is not None else 0
    num_words = sum(len(words(line)) for line in lines)
    return {
        "tokens": len(ids),
        "characters": sum(map(len, lines)),
        "fertility": len(ids) / max(1, num_words),
        "bytes per token": sum(len(line.encode("utf-8")) for line in lines) / len(ids),
        "unknown rate": unknown / len(ids),
    }


def timed_training(
    train: Callable[[str], Tokenizer], text: str
) -> tuple[Tokenizer, float]:
    """The tokenizer that ``train(text)`` returns, and the seconds it took."""
    start = time.perf_counter()
    tokenizer = train(text)
    return tokenizer, time.perf_counter() - start


def compare(
    trainers: dict[str, Callable[[str], Tokenizer]],
    corpora: dict[str, tuple[str, str]],
    pretrained: dict[str, Tokenizer] | None = None,
) -> list[dict[str, object]]:
    """One row per tokenizer and corpus: each trained on the corpus's training text and
    measured on its held-out text. ``corpora`` maps a name to (training, held-out);
    ``pretrained`` tokenizers are only measured (their training seconds are None)."""
    rows = []
    for corpus, (train_text, held_out) in corpora.items():
        tokenizers = [
            (name, *timed_training(train, train_text))
            for name, train in trainers.items()
        ]
        tokenizers += [(name, tok, None) for name, tok in (pretrained or {}).items()]
        for name, tokenizer, seconds in tokenizers:
            row = {"corpus": corpus, "tokenizer": name}
            row["vocab size"] = tokenizer.vocab_size
            row.update(measure(tokenizer, held_out))
            row["training seconds"] = seconds
            rows.append(row)
    return rows
