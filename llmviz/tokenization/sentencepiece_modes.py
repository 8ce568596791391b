"""SentencePiece is a library, not an algorithm: one normaliser and ``▁`` escape, two
models [kudo2018sentencepiece].

``train_mode`` trains the real library in memory in one of two modes, on the same
escaped text: ``"bpe"`` as Llama 1 and 2 do (merges, with ``byte_fallback``: the 256
bytes are pieces ``<0x00>`` .. ``<0xFF>``, and digits are split) and ``"unigram"`` as
T5 does (a unigram language model [kudo2018subword], where an unseen character is
``<unk>``). Both use identity normalisation here, so only the model differs.

``ByteFallbackBPE`` is our BPE merge loop (``bpe_symbols.apply_merges``) on the
pieces of a trained BPE mode, with byte fallback added: in SentencePiece's BPE a
piece's score is minus its merge order, and encoding repeatedly joins the adjacent
pair whose join is the piece of highest score, so every split of a piece into two
pieces is a merge of that rank, as tiktoken's ranks are read in ``bpe_symbols``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

from llmviz._checks import check_int, check_positive_number
from llmviz.tokenization.base import Tokenizer, check_ids, check_text, corpus_lines
from llmviz.tokenization.bpe_symbols import Ranks, apply_merges
from llmviz.tokenization.sentencepiece import SPACE_SYMBOL, escape
from llmviz.tokenization.unigram import Unigram

MODES = {
    # Llama 1/2's trainer options that change the model (its normaliser is identity)
    "bpe": {
        "model_type": "bpe",
        "byte_fallback": True,
        "split_digits": True,
        "allow_whitespace_only_pieces": True,
    },
    "unigram": {"model_type": "unigram"},  # T5's model
}
SHARED = {  # the same for both, and as in our SentencePiece: spaces kept, no NFKC
    "normalization_rule_name": "identity",
    "remove_extra_whitespaces": False,
    "add_dummy_prefix": True,
    "character_coverage": 1.0,
    "num_threads": 1,
    "max_sentence_length": 1 << 20,
    "minloglevel": 2,
}


def train_mode(corpus: str | Iterable[str], vocab_size: int, mode: str) -> Any:
    """A ``SentencePieceProcessor`` trained in memory on the lines of ``corpus``
    (``model_writer=io.BytesIO()``, no file). Deterministic: one thread, no sampling."""
    import sentencepiece

    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r:.40}")
    vocab_size = check_int("vocab_size", vocab_size, minimum=4)
    lines = [line.rstrip("\r\n") for line in corpus_lines(corpus)]
    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter([line for line in lines if line]),
            model_writer=model,
            vocab_size=vocab_size,
            **MODES[mode],
            **SHARED,
        )
    except RuntimeError as error:  # the library says which sizes fit the corpus
        if "ocabulary size" not in str(error):
            raise
        reason = str(error).split("] ")[-1]
        raise ValueError(f"vocab_size {vocab_size} does not fit: {reason}") from None
    return sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())


def _piece_kind(processor: Any, i: int) -> str:
    """The type of piece ``i``: ``"unknown"``, ``"control"``, ``"byte"`` or
    ``"normal"``."""
    for kind in ("unknown", "control", "byte"):
        if getattr(processor, f"is_{kind}")(i):
            return kind
    return "normal"


def pieces_and_scores(processor: Any) -> list[tuple[str, float, str]]:
    """Every piece of a trained processor by id: (piece, score, ``_piece_kind``)."""
    if not hasattr(processor, "get_piece_size"):
        raise TypeError(
            "processor must be a sentencepiece.SentencePieceProcessor, got "
            f"{type(processor).__name__}"
        )
    return [
        (processor.id_to_piece(i), processor.get_score(i), _piece_kind(processor, i))
        for i in range(processor.get_piece_size())
    ]


def byte_pieces(text: str) -> list[str]:
    """The byte-fallback pieces that spell ``text``: one ``<0xXX>`` per UTF-8 byte.

    >>> byte_pieces("中")
    ['<0xE4>', '<0xB8>', '<0xAD>']
    """
    return [f"<0x{b:02X}>" for b in check_text("text", text).encode("utf-8")]


def sampling_probability(
    model: Unigram, text: str, pieces: Sequence[str], alpha: float
) -> float:
    """The probability that subword sampling draws the segmentation ``pieces`` of
    ``text``: P_α(x) = exp(α·s(x)) / Z_α, with Z_α = Σ_x' exp(α·s(x')) over every
    segmentation x' (the forward pass of ``Unigram``).

    >>> from llmviz.tokenization.unigram import TINY_VOCABULARY
    >>> round(sampling_probability(Unigram(TINY_VOCABULARY), "ab", ["ab"], 1.0), 3)
    0.731
    """
    if not isinstance(model, Unigram):
        raise TypeError(f"model must be a Unigram, got {type(model).__name__}")
    alpha = check_positive_number("alpha", alpha)
    check_text("text", text)
    if (
        isinstance(pieces, str)
        or not isinstance(pieces, Sequence)
        or not all(isinstance(p, str) for p in pieces)
    ):
        raise TypeError(f"pieces must be a list of str, got {pieces!r:.60}")
    if not text or "".join(pieces) != text:
        raise ValueError(f"pieces must spell text {text!r:.40}, got {pieces!r:.60}")
    unknown = [p for p in pieces if p not in model.piece_to_id]
    if unknown:
        raise ValueError(f"pieces must be in the vocabulary, got {unknown[0]!r:.40}")
    score = sum(model.vocabulary[model.piece_to_id[p]][1] for p in pieces)
    log_z = model._forward(model._edges_by_end(text), alpha)[-1]
    return math.exp(alpha * score - log_z)


def _check_triples(pieces: Any) -> list[tuple[str, float, str]]:
    kinds = {"normal", "unknown", "control", "byte"}
    if isinstance(pieces, (str, bytes)) or not isinstance(pieces, Sequence):
        raise TypeError(
            f"pieces must be a list of (piece, score, kind), got {pieces!r:.60}"
        )
    for i, item in enumerate(pieces):
        ok = isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 3
        if not ok or not isinstance(item[0], str) or item[2] not in kinds:
            raise TypeError(
                f"pieces[{i}] must be (str, score, kind) with kind in {sorted(kinds)}, "
                f"got {item!r:.60}"
            )
    bytes_seen = {p for p, _, kind in pieces if kind == "byte"}
    if len(bytes_seen) != 256:
        raise ValueError(
            "pieces must hold the 256 byte pieces <0x00> .. <0xFF>, got "
            f"{len(bytes_seen)}"
        )
    return [tuple(item) for item in pieces]


class ByteFallbackBPE(Tokenizer):
    """Our merge loop on SentencePiece BPE pieces ``(piece, score, kind)``, with byte
    fallback: a character that is no piece is written as its UTF-8 bytes.

    >>> from llmviz.tokenization.sentencepiece_modes import TINY
    >>> ByteFallbackBPE(TINY).pieces("ab中")
    ['▁ab', '<0xE4>', '<0xB8>', '<0xAD>']
    """

    name = "SentencePiece BPE, byte fallback (ours)"

    def __init__(self, pieces: Sequence[tuple[str, float, str]]) -> None:
        self.vocabulary = _check_triples(pieces)
        self.ids = {
            p: i for i, (p, _, kind) in enumerate(self.vocabulary) if kind == "normal"
        }
        self.byte_ids = {
            p: i for i, (p, _, k) in enumerate(self.vocabulary) if k == "byte"
        }
        order = sorted(
            self.ids, key=lambda p: (-self.vocabulary[self.ids[p]][1], self.ids[p])
        )
        self.ranks: Ranks = {}
        for rank, piece in enumerate(order):  # highest score merges first
            for cut in range(1, len(piece)):
                left, right = self.ids.get(piece[:cut]), self.ids.get(piece[cut:])
                if left is not None and right is not None:
                    self.ranks[(left, right)] = (rank, self.ids[piece])

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> list[int]:
        """Runs of known characters merged; each unknown character as bytes."""
        ids: list[int] = []
        for known, run in groupby(
            escape(check_text("text", text)), key=self.ids.__contains__
        ):
            chars = "".join(run)
            if known:
                ids += apply_merges([self.ids[c] for c in chars], self.ranks)
            else:
                ids += [self.byte_ids[p] for p in byte_pieces(chars)]
        return ids

    def pieces(self, text: str) -> list[str]:
        return [self.vocabulary[i][0] for i in self.encode(text)]

    def decode(self, ids: Sequence[int]) -> str:
        """Join the pieces as UTF-8 bytes (a byte piece is its byte; invalid bytes
        become U+FFFD), ``▁`` → space, and drop the dummy prefix."""
        data = b""
        for i in check_ids(ids, self.vocab_size):
            piece, _, kind = self.vocabulary[i]
            if kind == "byte":
                data += bytes([int(piece[3:5], 16)])
            elif kind == "normal":
                data += piece.encode("utf-8")
        text = data.decode("utf-8", "replace").replace(SPACE_SYMBOL, " ")
        return text[1:] if text.startswith(" ") else text


TINY = [
    ("<unk>", 0.0, "unknown"),
    *((f"<0x{b:02X}>", 0.0, "byte") for b in range(256)),
    ("▁a", -1.0, "normal"),
    ("▁ab", -2.0, "normal"),
    ("▁", -3.0, "normal"),
    ("a", -4.0, "normal"),
    ("b", -5.0, "normal"),
]
