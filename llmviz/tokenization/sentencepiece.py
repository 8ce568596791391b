"""SentencePiece: a unigram tokenizer on raw text, with no pre-tokenizer
[kudo2018sentencepiece].

Spaces become ordinary symbols: each ``" "`` is written ``▁`` (U+2581), and a dummy
``▁`` is put before the text, so that "Hello world" and "world" both start with
"▁world". Decoding joins the pieces, turns ``▁`` back into spaces and drops the dummy
one, so the text comes back exactly unless it contains a character outside the
vocabulary (or a ``▁`` of its own). Nothing else is special: a tab or a Chinese
character is a character like any other, which is why it works on text with no spaces.

As sentencepiece does by default (``split_by_whitespace=true``), training cuts each
line into words before every ``▁``, so a piece holds ``▁`` only as its first character.
Like sentencepiece, training reads the corpus line by line, so newlines are not learnt.

``reference_sentencepiece`` trains the real library in memory for the comparisons.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from llmviz._checks import check_bool, check_int
from llmviz.tokenization.base import Tokenizer, check_text, corpus_lines
from llmviz.tokenization.unigram import Unigram
from llmviz.tokenization.unigram_train import train_unigram

SPACE_SYMBOL = "\u2581"  # ▁
MODEL_TYPES = ("unigram", "bpe", "char", "word")


def escape(text: str) -> str:
    """The text the model sees: a dummy ``▁`` prefix, and ``▁`` for every space.

    >>> escape("Hello  world")
    '▁Hello▁▁world'
    """
    text = check_text("text", text)
    return SPACE_SYMBOL + text.replace(" ", SPACE_SYMBOL) if text else ""


def words(line: str) -> list[str]:
    """An escaped line cut before every ``▁``: the units that training learns from.

    >>> words(escape("a  b"))
    ['▁a', '▁', '▁b']
    """
    return re.findall(f"{SPACE_SYMBOL}[^{SPACE_SYMBOL}]*|[^{SPACE_SYMBOL}]+", line)


def _lines(corpus: str | Iterable[str]) -> list[str]:
    return [line.rstrip("\r\n") for line in corpus_lines(corpus)]


class SentencePiece(Tokenizer):
    """A unigram ``model`` that reads and writes spaces as ``▁``.

    >>> model = Unigram([("<unk>", 0), ("▁", -2), ("a", -1), ("▁a", -1)])
    >>> tokenizer = SentencePiece(model)
    >>> tokenizer.pieces(" aa"), tokenizer.decode(tokenizer.encode(" aa"))
    (['▁', '▁a', 'a'], ' aa')
    """

    name = "sentencepiece"

    def __init__(self, model: Unigram) -> None:
        if not isinstance(model, Unigram):
            raise TypeError(f"model must be a Unigram, got {type(model).__name__}")
        self.model = model

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    @property
    def unk_id(self) -> int:
        return self.model.unk_id

    def encode(self, text: str) -> list[int]:
        return self.model.encode(escape(text))

    def pieces(self, text: str) -> list[str]:
        return self.model.pieces(escape(text))

    def decode(self, ids: Sequence[int]) -> str:
        """Join the pieces, ``▁`` → space, and drop the dummy prefix."""
        text = self.model.decode(ids).replace(SPACE_SYMBOL, " ")
        return text[1:] if text.startswith(" ") else text


def train_sentencepiece(
    corpus: str | Iterable[str], vocab_size: int, **options: Any
) -> SentencePiece:
    """Train ``train_unigram`` on the words of the escaped lines; ``options`` go to it.

    >>> train_sentencepiece("low lower lowest", vocab_size=12).pieces("lowest low")
    ['▁lowe', 's', 't', '▁low']
    """
    all_words = [w for line in _lines(corpus) for w in words(escape(line))]
    if not all_words:
        raise ValueError("corpus must contain some text, got only line breaks")
    return SentencePiece(train_unigram(all_words, vocab_size, **options))


def unigram_from_sentencepiece(processor: Any) -> Unigram:
    """Our ``Unigram`` with the pieces, scores and ids of a trained sentencepiece
    ``SentencePieceProcessor`` (unknown and control pieces kept in place)."""
    size = processor.get_piece_size()
    pieces = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(size)]
    controls = [i for i in range(size) if processor.is_control(i)]
    unknown = next(i for i in range(size) if processor.is_unknown(i))
    model = Unigram(pieces, unk_id=unknown, control_ids=controls)
    model._float32 = True  # its Viterbi adds in float32, and ties go by the last bit
    return model


def reference_sentencepiece(
    text_or_lines: str | Iterable[str],
    vocab_size: int,
    model_type: str = "unigram",
    byte_fallback: bool = False,
) -> Any:
    """Train the real sentencepiece in memory, on the same terms as ours: identity
    normalisation, spaces kept as they are, every character covered, one thread.

    ``model_type`` is the library's: ``"unigram"`` (T5's tokenizer) or ``"bpe"``
    (Llama's, with ``byte_fallback=True``: the 256 bytes are pieces ``<0x00>`` ..
    ``<0xFF>``, which spell any character the vocabulary lacks, so nothing is
    unknown). Training is deterministic (same corpus, same model); a
    ``RuntimeError`` from the library says when ``vocab_size`` does not fit the corpus.
    """
    try:
        import sentencepiece
    except ImportError as error:
        raise ImportError(
            "reference_sentencepiece needs the sentencepiece package: "
            "pip install sentencepiece"
        ) from error
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {MODEL_TYPES}, got {model_type!r}")
    check_bool("byte_fallback", byte_fallback)
    lines = [line for line in _lines(text_or_lines) if line]
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=check_int("vocab_size", vocab_size, minimum=1),
        model_type=model_type,
        byte_fallback=byte_fallback,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        character_coverage=1.0,
        num_threads=1,
        max_sentence_length=1 << 20,
        minloglevel=2,
    )
    return sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())


def normal_pieces(tokenizer: Any) -> set[str]:
    """The pieces that can match text (no unknown or control piece), for our
    tokenizers and for a ``SentencePieceProcessor``."""
    if isinstance(tokenizer, SentencePiece):
        tokenizer = tokenizer.model
    if isinstance(tokenizer, Unigram):
        return set(tokenizer.piece_to_id)
    size = tokenizer.get_piece_size()
    return {
        tokenizer.id_to_piece(i)
        for i in range(size)
        if not (tokenizer.is_control(i) or tokenizer.is_unknown(i))
    }


def vocabulary_overlap(ours: Any, reference: Any) -> float:
    """The Jaccard index |A ∩ B| / |A ∪ B| of the two sets of normal pieces.

    >>> model = Unigram([("<unk>", 0), ("a", -1), ("b", -1)])
    >>> vocabulary_overlap(model, Unigram([("<unk>", 0), ("a", -1), ("c", -1)]))
    0.3333333333333333
    """
    a, b = normal_pieces(ours), normal_pieces(reference)
    return len(a & b) / len(a | b)


def tokens_per_character(tokenizer: Any, text: str) -> float:
    """Tokens per character over the lines of ``text`` (newlines not counted): lower
    means a tighter encoding. Works for ours and for a ``SentencePieceProcessor``.

    >>> tokens_per_character(SentencePiece(Unigram([("<unk>", 0), ("▁ab", -1)])), "ab")
    0.5
    """
    lines = [line for line in _lines(check_text("text", text)) if line]
    if not lines:
        raise ValueError("text must contain some characters, got none")
    return sum(len(tokenizer.encode(line)) for line in lines) / sum(map(len, lines))
