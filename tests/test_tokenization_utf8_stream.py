"""The streaming UTF-8 decoder against Python's own: the same text whatever the cuts,
and the same bytes held back as ``codecs``' incremental decoder on valid text."""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.tokenization.utf8_stream import Utf8Stream, decode_stream, held_back

# bytes that matter to UTF-8: ASCII, continuations at the range edges, every kind of
# lead byte, and bytes that are never valid
SPECIAL = [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xAD, 0xB8, 0xBF, 0xC0, 0xC2, 0xDF]
SPECIAL += [0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
DATA = st.lists(st.one_of(st.sampled_from(SPECIAL), st.integers(0, 255)), max_size=24)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=300, deadline=None)
@given(DATA, st.lists(st.integers(0, 24), max_size=6))
def test_concatenated_stream_equals_decoding_all_at_once(data, cuts):
    data = bytes(data)
    assert "".join(decode_stream(split(data, cuts))) == data.decode("utf-8", "replace")


@settings(max_examples=300, deadline=None)
@given(DATA, st.lists(st.integers(0, 24), max_size=6))
def test_each_part_equals_pythons_incremental_decoder(data, cuts):
    """Same output per part, except that Python may hold back a few more bytes that
    can no longer become a character (ED A0: a surrogate); then ours prints them
    sooner, and the text so far still agrees once Python catches up."""
    data, ours, python = (
        bytes(data),
        Utf8Stream(),
        codecs.getincrementaldecoder("utf-8")("replace"),
    )
    out_ours = out_python = ""
    for part in split(data, cuts):
        out_ours += ours.feed(part)
        out_python += python.decode(part)
        assert out_ours.startswith(out_python)
        assert held_back(ours.buffer) <= len(python.getstate()[0])
    assert out_ours + ours.flush() == out_python + python.decode(b"", final=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.integers(0, 60))
def test_held_back_equals_pythons_buffer_on_cut_valid_text(text, cut):
    data = text.encode()[:cut]
    python = codecs.getincrementaldecoder("utf-8")("replace")
    python.decode(data)
    assert held_back(data) == len(python.getstate()[0])


def test_a_token_of_one_byte_of_a_character_prints_nothing_until_the_rest():
    stream = Utf8Stream()
    parts = [b"\xe4", b"\xb8\xad", b"\xe6\x96", b"\x87"]
    assert [stream.feed(p) for p in parts] == ["", "中", "", "文"]
    assert b"\xe4".decode("utf-8", "replace") == "\ufffd"  # what a plain decode prints
