"""Tokenization, chapter 1: from text to ids, with every tokenizer trained from scratch.

Each tokenizer has ``encode``, ``decode``, ``pieces`` and ``vocab_size``
(``base.Tokenizer``). Word and character baselines are in ``simple``, BPE in ``bpe``
and ``bpe_train``, the real GPT-2 and cl100k vocabularies in ``byte_level``, WordPiece
in ``wordpiece``, the Unigram language model in ``unigram`` and SentencePiece in
``sentencepiece``.
"""

from llmviz.tokenization.base import Tokenizer
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_train import train_bpe, train_bpe_recount
from llmviz.tokenization.simple import CharLevel, WordLevel

__all__ = [
    "BPE",
    "CharLevel",
    "Tokenizer",
    "WordLevel",
    "train_bpe",
    "train_bpe_recount",
]
