"""Decoding a stream of tokens whose bytes may cut a character in two.

A byte-level token can hold part of a character: 中 is the three bytes E4 B8 AD, and
a token may hold only E4. Decoding such a token alone gives U+FFFD, the replacement
character, as ``bytes.decode("utf-8", "replace")`` and tiktoken do. A streaming
decoder that printed each token's text at once would print � and could never take it
back. So it holds back the bytes at the end that *begin* a character but do not yet
finish it, and prints them once the rest arrives.

UTF-8 [RFC 3629]: a lead byte C2–DF starts 2 bytes, E0–EF 3 and F0–F4 4; every later
byte is 80–BF, except right after E0 (A0–BF), ED (80–9F), F0 (90–BF) and F4 (80–8F).
Any other byte can never start a valid character, so holding it back would gain
nothing; it is decoded (to U+FFFD) at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from llmviz.tokenization.base import check_ids
from llmviz.tokenization.bpe import BPE

_SECOND = {
    0xE0: (0xA0, 0xBF),
    0xED: (0x80, 0x9F),
    0xF0: (0x90, 0xBF),
    0xF4: (0x80, 0x8F),
}


def _length(lead: int) -> int:
    """How many bytes a character starting with ``lead`` has (0: not a lead byte)."""
    for low, high, size in ((0xC2, 0xDF, 2), (0xE0, 0xEF, 3), (0xF0, 0xF4, 4)):
        if low <= lead <= high:
            return size
    return 0


def held_back(data: bytes) -> int:
    """How many bytes at the end of ``data`` begin a character and do not finish it.

    >>> held_back("中".encode()[:2]), held_back("中".encode()), held_back(b"a\\xff")
    (2, 0, 0)
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    for k in range(1, min(3, len(data)) + 1):
        lead = data[-k]
        if 0x80 <= lead <= 0xBF:  # a continuation byte: look further back
            continue
        if _length(lead) <= k:  # ASCII, a complete character, or an invalid byte
            return 0
        low, high = _SECOND.get(lead, (0x80, 0xBF))
        return k if k == 1 or low <= data[-k + 1] <= high else 0
    return 0


class Utf8Stream:
    """Feed bytes, get the text that is final: complete characters, and U+FFFD for
    bytes that can never become one.

    >>> stream = Utf8Stream()
    >>> [stream.feed(b) for b in (b"\\xe4", b"\\xb8", b"\\xad!")], stream.flush()
    (['', '', '中!'], '')
    """

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> str:
        """The text that ``data`` completes; the unfinished tail stays buffered."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        self.buffer += data
        keep = held_back(self.buffer)
        ready, self.buffer = (
            self.buffer[: len(self.buffer) - keep],
            self.buffer[len(self.buffer) - keep :],
        )
        return ready.decode("utf-8", "replace")

    def flush(self) -> str:
        """The end of the stream: whatever is still held back, as U+FFFD."""
        ready, self.buffer = self.buffer, b""
        return ready.decode("utf-8", "replace")


def decode_stream(chunks: Iterable[bytes]) -> Iterator[str]:
    """The text of each chunk as it becomes final; ``"".join`` of it equals
    ``b"".join(chunks).decode("utf-8", "replace")``.

    >>> list(decode_stream([b"\\xe4\\xb8", b"\\xad", b"\\xe4"]))
    ['', '中', '', '�']
    """
    if isinstance(chunks, (bytes, str)) or not isinstance(chunks, Iterable):
        raise TypeError(
            f"chunks must be an iterable of bytes, got {type(chunks).__name__}"
        )
    stream = Utf8Stream()
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, (bytes, bytearray)):
            raise TypeError(f"chunks[{i}] must be bytes, got {type(chunk).__name__}")
        yield stream.feed(chunk)
    yield from filter(None, [stream.flush()])


def token_bytes(bpe: BPE, ids: Sequence[int]) -> list[bytes]:
    """The bytes of each token of a byte-level ``bpe``: what a streaming decoder
    receives, one token at a time.

    >>> from llmviz.tokenization import train_bpe
    >>> bpe = train_bpe("中文", vocab_size=256)
    >>> token_bytes(bpe, bpe.encode("中"))
    [b'\\xe4', b'\\xb8', b'\\xad']
    """
    if not isinstance(bpe, BPE) or not bpe.byte_level:
        raise TypeError(f"bpe must be a byte-level BPE, got {bpe!r:.60}")
    return [bpe._bytes(i) for i in check_ids(ids, bpe.vocab_size)]
