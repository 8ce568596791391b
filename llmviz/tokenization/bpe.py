"""Encoding and decoding with byte-pair merges [sennrich2016bpe; radford2019language].

Encoding cuts the text into chunks with the pre-tokenizer pattern, starts each chunk
from single symbols (bytes in GPT-2's alphabet, or characters), and applies merges in
the order they were learned: while some adjacent pair is a merge, merge every
occurrence of the earliest-learned one. Decoding joins the tokens' strings and, for
byte-level BPE, turns GPT-2's byte alphabet back into bytes and then into UTF-8 text.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from llmviz.tokenization.base import Tokenizer, check_ids, check_text
from llmviz.tokenization.pretokenize import GPT2_PATTERN, _compiled, bytes_to_unicode

_BYTE_OF = {char: byte for byte, char in bytes_to_unicode().items()}


def readable(token: str) -> str:
    """A byte-level token as text; bytes that are not whole UTF-8 characters are
    shown in hex, as ``⟨e4 bd⟩``.

    >>> readable("Ġworld"), readable("ä½"), readable("ä½ł")
    (' world', '⟨e4 bd⟩', '你')
    """
    data = bytes(_BYTE_OF[char] for char in token)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "⟨" + data.hex(" ") + "⟩"


class BPE(Tokenizer):
    """A BPE tokenizer from its merges and vocabulary.

    ``merges`` are pairs of token strings, earliest first; ``vocab`` lists the tokens
    by id. With ``byte_level=True`` tokens are written in GPT-2's byte alphabet, so
    every string can be encoded; otherwise characters outside the vocabulary become
    ``unk_token``, or raise ``ValueError`` when there is none.
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
        self.vocab = list(vocab)
        self.ids = {token: i for i, token in enumerate(self.vocab)}
        self.merges = [tuple(pair) for pair in merges]
        self.byte_level, self.pattern, self.name = byte_level, pattern, name
        self.special_tokens = tuple(special_tokens)
        if unk_token is not None and unk_token not in self.ids:
            raise ValueError(f"unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token = unk_token
        self.unk_id = None if unk_token is None else self.ids[unk_token]
        self._ranks: dict[tuple[int, int], tuple[int, int]] = {}
        for rank, (left, right) in enumerate(self.merges):
            if not {left, right, left + right} <= self.ids.keys():
                raise ValueError(
                    f"merges[{rank}] = {(left, right)!r} needs {left!r}, {right!r} and "
                    f"{left + right!r} in vocab, and one of them is missing"
                )
            pair = (self.ids[left], self.ids[right])
            self._ranks.setdefault(pair, (rank, self.ids[left + right]))
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
        """A byte-level tokenizer from tiktoken's ranks, which store no merges.

        tiktoken merges adjacent tokens ``x y`` whenever ``x + y`` is a token, the
        one of lowest rank first [openai2022tiktoken]. So every split of a token
        into two tokens is a merge, with that token's rank.
        """
        table = bytes_to_unicode()
        size = max([*ranks.values(), *(special_tokens or {}).values()]) + 1
        vocab = [""] * size
        for token, rank in ranks.items():
            vocab[rank] = "".join(table[b] for b in token)
        for token, rank in (special_tokens or {}).items():
            vocab[rank] = token
        bpe = cls(
            [],
            vocab,
            pattern=pattern,
            name=name,
            special_tokens=tuple(special_tokens or ()),
        )
        for token, rank in ranks.items():
            for cut in range(1, len(token)):
                left, right = ranks.get(token[:cut]), ranks.get(token[cut:])
                if left is not None and right is not None:
                    bpe._ranks[(left, right)] = (rank, rank)
        return bpe

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def truncated(self, num_merges: int) -> BPE:
        """The same tokenizer knowing only its first ``num_merges`` merges."""
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

    def _symbols(self, chunk: str) -> list[int]:
        if self.byte_level:
            table = bytes_to_unicode()
            return [self.ids[table[b]] for b in chunk.encode("utf-8")]
        unknown = self.ids.get(self.unk_token, -1)
        symbols = [self.ids.get(char, unknown) for char in chunk]
        if -1 in symbols:
            char = chunk[symbols.index(-1)]
            raise ValueError(
                f"text contains {char!r}, which is not in the vocabulary, and this "
                "tokenizer has no unk_token"
            )
        return symbols

    def _encode_chunk(self, chunk: str) -> list[int]:
        symbols = self._symbols(chunk)
        ranks = self._ranks
        while len(symbols) > 1:
            found = [ranks.get(pair) for pair in pairwise(symbols)]
            best = min((r for r in found if r is not None), default=None)
            if best is None:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i < len(found) and found[i] == best:
                    merged.append(best[1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return symbols

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``.

        >>> from llmviz.tokenization.bpe_train import train_bpe
        >>> bpe = train_bpe("aaab aab", 259)
        >>> [bpe.vocab[i] for i in bpe.encode("aaab")]
        ['aa', 'ab']
        """
        ids: list[int] = []
        cache = self._cache
        for chunk in _compiled(self.pattern).findall(check_text("text", text)):
            if chunk not in cache:
                cache[chunk] = self._encode_chunk(chunk)
            ids.extend(cache[chunk])
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; invalid UTF-8 becomes U+FFFD, as in tiktoken."""
        text = "".join(self.vocab[i] for i in check_ids(ids, self.vocab_size))
        if not self.byte_level:
            return text
        return bytes(_BYTE_OF.get(c, 63) for c in text).decode("utf-8", "replace")

    def pieces(self, text: str) -> list[str]:
        """The tokens of ``text`` as readable strings (``readable`` for byte-level)."""
        tokens = [self.vocab[i] for i in self.encode(text)]
        return [readable(t) for t in tokens] if self.byte_level else tokens
