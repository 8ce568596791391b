"""Tokenization, chapter 1: from text to ids, with every tokenizer trained from scratch.

Each tokenizer has ``encode``, ``decode``, ``pieces`` and ``vocab_size``
(``base.Tokenizer``). Word and character baselines are in ``simple``, BPE in ``bpe``,
``bpe_symbols`` and ``bpe_train`` (its faster twin in ``bpe_fast``, special tokens in
``specials``, streaming in ``stream``), the real GPT-2 and cl100k vocabularies in
``byte_level``, WordPiece in ``wordpiece``, the Unigram language model in ``unigram``
and ``unigram_train``, SentencePiece in ``sentencepiece`` (its BPE and Unigram modes
side by side in ``sentencepiece_modes``), and the measurements that compare them in
``compare``. What each costs: ``word_vocab`` (a word vocabulary's size and lost
morphology), ``wordpiece_limits`` (greedy matching, ``##`` pieces) and ``utf8_stream``
(decoding tokens that cut a character in two).
"""

from llmviz.tokenization.base import Tokenizer
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_dropout import bpe_dropout_encode, bpe_dropout_pieces
from llmviz.tokenization.bpe_fast import train_bpe_fast
from llmviz.tokenization.bpe_train import train_bpe, train_bpe_recount
from llmviz.tokenization.sentencepiece import SentencePiece, train_sentencepiece
from llmviz.tokenization.simple import CharLevel, WordLevel
from llmviz.tokenization.unigram import Unigram
from llmviz.tokenization.unigram_train import train_unigram
from llmviz.tokenization.wordpiece import WordPiece, train_wordpiece

__all__ = [
    "BPE",
    "CharLevel",
    "SentencePiece",
    "Tokenizer",
    "Unigram",
    "WordLevel",
    "WordPiece",
    "bpe_dropout_encode",
    "bpe_dropout_pieces",
    "train_bpe",
    "train_bpe_fast",
    "train_bpe_recount",
    "train_sentencepiece",
    "train_unigram",
    "train_wordpiece",
]
