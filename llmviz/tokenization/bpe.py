"""Encoding and decoding with byte-pair merges [sennrich2016bpe; radford2019language].

Encoding cuts the text into chunks with the pre-tokenizer pattern, starts each chunk
from single symbols (bytes in GPT-2's alphabet, or characters), and applies merges in
the order they were learned: while some adjacent pair is a merge, merge every
occurrence of the earliest-learned one. Decoding joins the tokens' strings and, for
byte-level BPE, turns GPT-2's byte alphabet back into bytes and then into UTF-8 text.
Special tokens follow tiktoken's rules (``specials``), and ``encode_iterable`` encodes
a file of any size piece by piece (``stream``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Literal

from llmviz._checks import check_bool, check_int
from llmviz.tokenization import _bpe_checks as checks
from llmviz.tokenization.base import Tokenizer, check_ids, check_text
from llmviz.tokenization.bpe_symbols import (
    _BYTE_OF,
    apply_merges,
    merges_from_ranks,
    ranks_from_merges,
    readable,
    to_symbols,
    vocab_from_ranks,
)
from llmviz.tokenization.pretokenize import GPT2_PATTERN, _compiled
from llmviz.tokenization.specials import (
    refuse_disallowed,
    special_policy,
    split_specials,
)
from llmviz.tokenization.stream import STREAM_SAFE_PATTERNS, parts

Specials = Literal["all"] | Collection[str]


class BPE(Tokenizer):
    """A BPE tokenizer from its merges and vocabulary.

    ``merges`` are pairs of token strings, earliest first; ``vocab`` lists the tokens
    by id (``""`` for an unused id). With ``byte_level=True`` tokens are written in
    GPT-2's byte alphabet, so every string can be encoded; otherwise characters
    outside the vocabulary become ``unk_token``, or raise ``ValueError`` when there is
    none. ``special_tokens`` are tokens of the vocabulary that ``encode`` reads only
    when allowed (see ``encode``). Everything is checked here, the ``pattern`` too.
    """

    def __init__(
        self,
        merges: Sequence[tuple[str, str]],
        vocab: Sequence[str],
        *,
        byte_level: bool = True,
        pattern: str = GPT2_PATTERN,
        special_tokens: Sequence[str] = (),
        unk_token: str | None = None,
        name: str = "BPE",
    ) -> None:
        self.ids = checks.check_vocab(vocab)
        self.vocab = list(vocab)
        self.merges = checks.check_merges(merges)
        check_bool("byte_level", byte_level)
        if byte_level:
            checks.check_byte_alphabet(self.ids)
        self.byte_level, self.pattern = byte_level, checks.check_pattern(pattern)
        self.name = check_text("name", name)
        self.special_tokens = checks.check_specials(special_tokens, self.ids)
        self._special_ids = {self.ids[token]: token for token in self.special_tokens}
        if unk_token is not None and check_text("unk_token", unk_token) not in self.ids:
            raise ValueError(f"unk_token {unk_token!r:.60} is not in the vocabulary")
        self.unk_token = unk_token
        self.unk_id = None if unk_token is None else self.ids[unk_token]
        self._ranks = ranks_from_merges(self.merges, self.ids)
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_ranks(
        cls,
        ranks: dict[bytes, int],
        *,
        pattern: str,
        special_tokens: dict[str, int] | None = None,
        name: str = "BPE",
    ) -> BPE:
        """A byte-level tokenizer from tiktoken's ranks, which store no merges
        (``bpe_symbols.merges_from_ranks``). Ids must all differ.
        """
        specials = checks.check_ranks(ranks, special_tokens)
        vocab = vocab_from_ranks(ranks, specials)
        bpe = cls([], vocab, pattern=pattern, name=name, special_tokens=tuple(specials))
        bpe._ranks = merges_from_ranks(ranks)
        return bpe

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def truncated(self, num_merges: int) -> BPE:
        """The same tokenizer knowing only its first ``num_merges`` merges."""
        check_int("num_merges", num_merges, minimum=0, maximum=len(self.merges))
        merges = self.merges[:num_merges]
        keep = set(self.vocab[: self.vocab_size - len(self.merges)])
        keep.update(left + right for left, right in merges)
        vocab = [token for token in self.vocab if token in keep]
        return BPE(
            merges,
            vocab,
            byte_level=self.byte_level,
            pattern=self.pattern,
            special_tokens=self.special_tokens,
            unk_token=self.unk_token,
            name=self.name,
        )

    def _encode_chunk(self, chunk: str) -> list[int]:
        symbols = to_symbols(chunk, self.ids, self.byte_level, self.unk_token)
        return apply_merges(symbols, self._ranks)

    def _encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text`` with no special token: chunk, then merge each chunk."""
        ids: list[int] = []
        cache = self._cache
        for chunk in _compiled(self.pattern).findall(text):
            if chunk not in cache:
                cache[chunk] = self._encode_chunk(chunk)
            ids.extend(cache[chunk])
        return ids

    def _encode(self, text: str, allowed: tuple, disallowed: tuple) -> list[int]:
        refuse_disallowed(text, disallowed)
        ids: list[int] = []
        for segment, special in split_specials(text, allowed):
            if special:
                ids.append(self.ids[segment])
            else:
                ids.extend(self._encode_ordinary(segment))
        return ids

    def encode(
        self,
        text: str,
        *,
        allowed_special: Specials = (),
        disallowed_special: Specials = "all",
    ) -> list[int]:
        """Token ids of ``text``, with tiktoken's rules for special tokens.

        By default the text of a special token raises ``ValueError``. With
        ``allowed_special`` (a set of special tokens, or ``"all"``) the text is split
        at those, longest first, each becomes its id, and only the text between is
        chunked and merged; ``disallowed_special=()`` encodes the others' characters
        as ordinary text.

        >>> from llmviz.tokenization.bpe_train import train_bpe
        >>> bpe = train_bpe("aaab aab", 260, special_tokens=["<s>"])
        >>> [bpe.vocab[i] for i in bpe.encode("aaab")]
        ['aa', 'ab']
        >>> [bpe.vocab[i] for i in bpe.encode("ab<s>", allowed_special="all")]
        ['ab', '<s>']
        """
        text = check_text("text", text)
        policy = special_policy(
            self.special_tokens, allowed_special, disallowed_special
        )
        return self._encode(text, *policy)

    def encode_iterable(
        self,
        lines: Iterable[str],
        *,
        allowed_special: Specials = (),
        disallowed_special: Specials = "all",
    ) -> Iterator[int]:
        """The ids of ``encode("".join(lines))``, one at a time, reading ``lines`` (an
        open text file, say) as it goes, so memory stays bounded on a file of any size.

        It cuts the text only after a ``"\\n"`` followed by a non-space character,
        where the chunks before cannot depend on the text after (``stream``); with a
        pattern other than GPT-2's or cl100k's, or a special token holding a newline,
        it reads everything first.

        >>> from llmviz.tokenization.bpe_train import train_bpe
        >>> bpe = train_bpe("aaab aab", 259)
        >>> list(bpe.encode_iterable(["aaab\\n", "\\n", " aab"])) == bpe.encode(
        ...     "aaab\\n\\n aab")
        True
        """
        policy = special_policy(
            self.special_tokens, allowed_special, disallowed_special
        )
        can_cut = self.pattern in STREAM_SAFE_PATTERNS and not any(
            "\n" in token for token in self.special_tokens
        )
        for part in parts(lines, can_cut):
            yield from self._encode(part, *policy)

    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; invalid UTF-8 becomes U+FFFD, as in tiktoken. A special
        token's id gives its text."""
        checked = check_ids(ids, self.vocab_size)
        if not self.byte_level:
            return "".join(self.vocab[i] for i in checked)
        data = b"".join(self._bytes(i) for i in checked)
        return data.decode("utf-8", "replace")

    def _bytes(self, i: int) -> bytes:
        if i in self._special_ids:
            return self._special_ids[i].encode("utf-8")
        return bytes(_BYTE_OF.get(c, 63) for c in self.vocab[i])

    def pieces(
        self,
        text: str,
        *,
        allowed_special: Specials = (),
        disallowed_special: Specials = "all",
    ) -> list[str]:
        """The tokens of ``text`` as readable strings (``readable`` for byte-level),
        with ``encode``'s rules for special tokens."""
        ids = self.encode(
            text, allowed_special=allowed_special, disallowed_special=disallowed_special
        )
        if not self.byte_level:
            return [self.vocab[i] for i in ids]
        return [
            self._special_ids[i] if i in self._special_ids else readable(self.vocab[i])
            for i in ids
        ]
