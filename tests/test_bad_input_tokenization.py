"""Bad input to every public callable of chapter 1 (``llmviz.tokenization``, its
tokenizers' methods, the views behind the explorers, and the token and lattice
figures): each bad value of each parameter raises a clear ``ValueError`` or
``TypeError`` naming it, and a valid call changes none of its arguments. The harness and
the kinds are in tests/bad_input.py."""

from __future__ import annotations

import math
from functools import cache
from types import MappingProxyType

from llmviz import viz
from llmviz.exercises import (
    check_count_pairs,
    check_merge,
    check_viterbi,
    check_wordpiece,
)
from llmviz.tokenization import (
    BPE,
    CharLevel,
    SentencePiece,
    Tokenizer,
    Unigram,
    WordLevel,
    WordPiece,
    train_bpe,
    train_bpe_recount,
    train_sentencepiece,
    train_unigram,
    train_wordpiece,
)
from llmviz.tokenization import views as V
from llmviz.tokenization.pretokenize import bytes_to_unicode
from llmviz.tokenization.unigram import TINY_VOCABULARY
from tests.bad_input import (
    BOOL,
    BOTH,
    CALLABLE,
    INT,
    REAL,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

CORPUS = "low lower lowest newer wider\nthe cat sat on the mat\n"
NOT_A_LIST = [("None", None), ("int", 3), ("str", "abc"), ("bytes", b"abc")]
CORPUS_KIND = VALUES(
    ("None", None),
    ("int", 3),
    ("bytes", b"a b"),
    ("empty", ""),
    ("empty list", []),
    ("list of int", [1, 2]),
    ("only empty lines", ["", ""]),
)
SPECIALS_KIND = VALUES(
    ("None", None),
    ("int", 3),
    ("str", "<s>"),
    ("not a special", {"<pad>"}),
    ("list of int", [3]),
    ("unknown word", "some"),
)
IDS_KIND = VALUES(
    ("None", None),
    ("str", "12"),
    ("float id", [1.5]),
    ("negative id", [-1]),
    ("id past the vocabulary", [10**6]),
    ("bool id", [True]),
    ("nested", [[1]]),
)
TEXT_KIND = TEXT()


@cache
def _bpe() -> BPE:
    return train_bpe(CORPUS, 270, special_tokens=["<s>", "<s><s>"])


def _bpe_args() -> dict:
    bpe = _bpe()
    return {
        "merges": list(bpe.merges),
        "vocab": list(bpe.vocab),
        "byte_level": True,
        "pattern": bpe.pattern,
        "special_tokens": ["<s>"],
        "unk_token": None,
        "name": "BPE",
    }


def _ranks() -> dict:
    table = {b: bytes([b]) for b in range(256)}
    ranks = {token: b for b, token in table.items()}
    return {
        "ranks": ranks | {b"lo": 256, b"low": 257},
        "pattern": _bpe().pattern,
        "special_tokens": {"<|endoftext|>": 258},
        "name": "tiny",
    }


BPE_CASE = {
    "merges": VALUES(
        *NOT_A_LIST,
        ("pair of int", [(1, 2)]),
        ("triple", [("l", "o", "w")]),
        ("missing token", [("q", "z")]),
        ("empty side", [("", "l")]),
    ),
    "vocab": VALUES(
        *NOT_A_LIST,
        ("empty", []),
        ("list of int", list(range(300))),
        ("repeated token", ["a", "a"] + list(bytes_to_unicode().values())),
        ("no byte alphabet", ["a", "b", "ab"]),
    ),
    "byte_level": BOOL(),
    "pattern": BOTH(
        TEXT(empty=True),
        VALUES(
            ("regex error", "("),
            ("drops text", r"\p{L}+"),
            ("groups", r"(\s)|\S+"),
        ),
    ),
    "special_tokens": VALUES(
        ("None", None),
        ("str", "<s>"),
        ("int", 3),
        ("not in vocab", ["<pad>"]),
        ("repeated", ["<s>", "<s>"]),
        ("list of int", [3]),
    ),
    "unk_token": VALUES(("int", 3), ("not in vocab", "<unk>"), ("list", ["<s>"])),
    "name": TEXT(),
}
RANKS_CASE = {
    "ranks": VALUES(
        ("None", None),
        ("empty", {}),
        ("list", [b"a"]),
        ("str keys", {"a": 0}),
        ("negative rank", {b"a": -1}),
        ("clashing ranks", {b"a": 0, b"b": 0}),
        ("float rank", {b"a": 0.5}),
        ("absurd rank", {b"a": 10**12}),
        ("no byte alphabet", {b"a": 0, b"b": 1}),
    ),
    "pattern": VALUES(("None", None), ("regex error", "("), ("drops", "a")),
    "special_tokens": VALUES(
        ("list", ["<s>"]),
        ("clashes with a rank", {"<s>": 5}),
        ("negative id", {"<s>": -1}),
        ("bytes key", {b"<s>": 300}),
        ("str id", {"<s>": "300"}),
    ),
    "name": TEXT(),
}
SPECIAL_POLICY = {"allowed_special": SPECIALS_KIND, "disallowed_special": SPECIALS_KIND}


def _text(**extra):
    return lambda: {"text": "the lowest<s> cat", "allowed_special": "all"} | extra


BPE_CASES = [
    Case("llmviz.tokenization.BPE", BPE, _bpe_args, BPE_CASE),
    Case(
        "llmviz.tokenization.BPE.from_ranks",
        lambda **kw: BPE.from_ranks(**kw),
        _ranks,
        RANKS_CASE,
    ),
    Case(
        "llmviz.tokenization.BPE.truncated",
        lambda num_merges: _bpe().truncated(num_merges),
        lambda: {"num_merges": 3},
        {"num_merges": INT(0, len(_bpe().merges))},
    ),
    Case(
        "llmviz.tokenization.BPE.encode",
        lambda **kw: _bpe().encode(**kw),
        _text(disallowed_special="all"),
        {"text": TEXT_KIND, **SPECIAL_POLICY},
    ),
    Case(
        "llmviz.tokenization.BPE.pieces",
        lambda **kw: _bpe().pieces(**kw),
        _text(disallowed_special=()),
        {"text": TEXT_KIND, **SPECIAL_POLICY},
    ),
    Case(
        "llmviz.tokenization.BPE.encode_iterable",
        lambda **kw: list(_bpe().encode_iterable(**kw)),
        lambda: {"lines": ["the\n", "cat<s>\n"], "allowed_special": "all"},
        {
            "lines": VALUES(*NOT_A_LIST, ("list of bytes", [b"a\n"])),
            "allowed_special": SPECIALS_KIND,
        },
    ),
    Case(
        "llmviz.tokenization.BPE.decode",
        lambda ids: _bpe().decode(ids),
        lambda: {"ids": [1, 2, 260]},
        {"ids": IDS_KIND},
    ),
]


def _trainer_params() -> dict:
    return {
        "corpus": CORPUS_KIND,
        "vocab_size": BOTH(INT(1), VALUES(("too small", 10))),
        "byte_level": BOOL(),
        "pattern": VALUES(("None", None), ("regex error", "(")),
        "min_frequency": INT(0),
        "special_tokens": VALUES(("None", None), ("str", "<s>"), ("list of int", [1])),
        "unk_token": VALUES(("int", 3), ("list", ["<unk>"])),
    }


def _trainer_args() -> dict:
    return {
        "corpus": CORPUS,
        "vocab_size": 270,
        "byte_level": True,
        "pattern": _bpe().pattern,
        "min_frequency": 0,
        "special_tokens": ["<s>"],
        "unk_token": None,
    }


TRAINER_CASES = [
    Case(f"llmviz.tokenization.{fn.__name__}", fn, _trainer_args, _trainer_params())
    for fn in (train_bpe, train_bpe_recount)
]


def _char_level() -> CharLevel:
    return CharLevel.train(CORPUS)


def _word_level() -> WordLevel:
    return WordLevel.train(CORPUS)


SIMPLE_CASES = [
    Case(
        "llmviz.tokenization.CharLevel.train",
        lambda corpus: CharLevel.train(corpus),
        lambda: {"corpus": CORPUS},
        {"corpus": CORPUS_KIND},
    ),
    Case(
        "llmviz.tokenization.WordLevel.train",
        lambda **kw: WordLevel.train(**kw),
        lambda: {"corpus": CORPUS, "vocab_size": 5, "min_count": 1},
        {"corpus": CORPUS_KIND, "vocab_size": INT(2, none=True), "min_count": INT(1)},
    ),
]
for _name, _make in (("CharLevel", _char_level), ("WordLevel", _word_level)):
    SIMPLE_CASES += [
        Case(
            f"llmviz.tokenization.{_name}.encode",
            lambda text, make=_make: make().encode(text),
            lambda: {"text": "the cat"},
            {"text": TEXT_KIND},
        ),
        Case(
            f"llmviz.tokenization.{_name}.pieces",
            lambda text, make=_make: make().pieces(text),
            lambda: {"text": "the cat"},
            {"text": TEXT_KIND},
        ),
        Case(
            f"llmviz.tokenization.{_name}.decode",
            lambda ids, make=_make: make().decode(ids),
            lambda: {"ids": [1, 2]},
            {"ids": IDS_KIND},
        ),
    ]


def _tiny() -> Unigram:
    return Unigram(TINY_VOCABULARY + [("▁", -1.0)])


def _unigram_args() -> dict:
    return {"pieces": TINY_VOCABULARY + [("<s>", 0.0)], "unk_id": 0, "control_ids": [4]}


UNIGRAM_CASES = [
    Case(
        "llmviz.tokenization.Unigram",
        Unigram,
        _unigram_args,
        {
            "pieces": VALUES(
                *NOT_A_LIST,
                ("empty", []),
                ("not pairs", ["a", "b"]),
                ("str score", [("<unk>", 0.0), ("a", "high")]),
                ("nan score", [("<unk>", 0.0), ("a", math.nan)]),
                ("int piece", [("<unk>", 0.0), (3, -1.0)]),
                ("repeated piece", [("<unk>", 0.0), ("a", -1.0), ("a", -2.0)]),
                ("only unknown", [("<unk>", 0.0)]),
            ),
            "unk_id": INT(0, 4),
            "control_ids": VALUES(
                ("None", None),
                ("int", 4),
                ("out of range", [99]),
                ("negative", [-1]),
                ("str", ["4"]),
                ("the unknown id", [0]),
            ),
        },
    )
]
TEXT_METHODS = ["lattice", "viterbi", "lattice_path", "forward_backward"]
TEXT_METHODS += ["encode", "pieces"]
for _name in TEXT_METHODS:
    UNIGRAM_CASES.append(
        Case(
            f"llmviz.tokenization.Unigram.{_name}",
            lambda text, name=_name: getattr(_tiny(), name)(text),
            lambda: {"text": "abba"},
            {"text": TEXT_KIND},
        )
    )
UNIGRAM_CASES += [
    Case(
        "llmviz.tokenization.Unigram.best_alternative",
        lambda piece: _tiny().best_alternative(piece),
        lambda: {"piece": "ab"},
        {"piece": BOTH(TEXT(empty=True), VALUES(("one character", "a")))},
    ),
    Case(
        "llmviz.tokenization.Unigram.nbest",
        lambda **kw: _tiny().nbest(**kw),
        lambda: {"text": "abab", "n": 3},
        {"text": TEXT_KIND, "n": INT(1)},
    ),
    Case(
        "llmviz.tokenization.Unigram.log_probability",
        lambda **kw: _tiny().log_probability(**kw),
        lambda: {"text": "ab", "pieces": ["a", "b"]},
        {
            "text": TEXT_KIND,
            "pieces": VALUES(
                *NOT_A_LIST,
                ("other text", ["a"]),
                ("list of int", [1, 2]),
                ("unknown piece", ["ab", "c"]),
            ),
        },
    ),
    Case(
        "llmviz.tokenization.Unigram.sample",
        lambda **kw: _tiny().sample(**kw),
        lambda: {"text": "abab", "alpha": 0.5, "seed": 0},
        {
            "text": TEXT_KIND,
            "alpha": REAL(0, math.inf, open_min=True),
            "seed": VALUES(("str", "0"), ("float", 0.5), ("negative", -1)),
        },
    ),
    Case(
        "llmviz.tokenization.Unigram.decode",
        lambda ids: _tiny().decode(ids),
        lambda: {"ids": [1, 3]},
        {"ids": IDS_KIND},
    ),
]


def _wordpiece_args() -> dict:
    return {
        "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4},
        "unk_token": "[UNK]",
        "continuing_subword_prefix": "##",
        "max_input_chars_per_word": 100,
        "merges": [("u", "##n", 0.5)],
    }


def _wordpiece() -> WordPiece:
    return WordPiece(**_wordpiece_args())


WORDPIECE_CASES = [
    Case(
        "llmviz.tokenization.WordPiece",
        WordPiece,
        _wordpiece_args,
        {
            "vocab": VALUES(
                *NOT_A_LIST,
                ("empty", {}),
                ("list", ["[UNK]"]),
                ("ids with a hole", {"[UNK]": 0, "a": 2}),
                ("str ids", {"[UNK]": "0"}),
                ("int tokens", {0: 0}),
            ),
            "unk_token": VALUES(("None", None), ("int", 0), ("not in vocab", "<unk>")),
            "continuing_subword_prefix": TEXT(empty=True),
            "max_input_chars_per_word": INT(1),
            "merges": VALUES(("None", None), ("int", 3), ("not triples", [("a",)])),
        },
    ),
    Case(
        "llmviz.tokenization.WordPiece.tokenize_word",
        lambda word: _wordpiece().tokenize_word(word),
        lambda: {"word": "unaffable"},
        {"word": TEXT_KIND},
    ),
    Case(
        "llmviz.tokenization.WordPiece.encode",
        lambda text: _wordpiece().encode(text),
        lambda: {"text": "unaffable a"},
        {"text": TEXT_KIND},
    ),
    Case(
        "llmviz.tokenization.WordPiece.pieces",
        lambda text: _wordpiece().pieces(text),
        lambda: {"text": "unaffable a"},
        {"text": TEXT_KIND},
    ),
    Case(
        "llmviz.tokenization.WordPiece.decode",
        lambda ids: _wordpiece().decode(ids),
        lambda: {"ids": [1, 2, 3]},
        {"ids": IDS_KIND},
    ),
    Case(
        "llmviz.tokenization.train_wordpiece",
        train_wordpiece,
        lambda: {
            "corpus": CORPUS,
            "vocab_size": 60,
            "special_tokens": ["[UNK]"],
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
        },
        {
            "corpus": CORPUS_KIND,
            "vocab_size": BOTH(INT(1), VALUES(("too small", 3))),
            "special_tokens": VALUES(
                ("None", None), ("str", "[UNK]"), ("list of int", [1])
            ),
            "unk_token": VALUES(("None", None), ("not special", "<unk>")),
            "continuing_subword_prefix": TEXT(empty=True),
            "max_input_chars_per_word": INT(1),
        },
    ),
]


def _spm() -> SentencePiece:
    return SentencePiece(_tiny())


SENTENCEPIECE_CASES = [
    Case(
        "llmviz.tokenization.SentencePiece",
        SentencePiece,
        lambda: {"model": _tiny()},
        {"model": VALUES(("None", None), ("str", "model"), ("bpe", _bpe()))},
    ),
    Case(
        "llmviz.tokenization.SentencePiece.encode",
        lambda text: _spm().encode(text),
        lambda: {"text": "ab ab"},
        {"text": TEXT_KIND},
    ),
    Case(
        "llmviz.tokenization.SentencePiece.pieces",
        lambda text: _spm().pieces(text),
        lambda: {"text": "ab ab"},
        {"text": TEXT_KIND},
    ),
    Case(
        "llmviz.tokenization.SentencePiece.decode",
        lambda ids: _spm().decode(ids),
        lambda: {"ids": [4, 3]},
        {"ids": IDS_KIND},
    ),
    Case(
        "llmviz.tokenization.train_sentencepiece",
        train_sentencepiece,
        lambda: {"corpus": CORPUS, "vocab_size": 25},
        {
            "corpus": BOTH(CORPUS_KIND, VALUES(("only newlines", "\n\n"))),
            "vocab_size": BOTH(INT(2), VALUES(("too small", 5), ("too large", 10**5))),
        },
    ),
    Case(
        "llmviz.tokenization.train_unigram",
        train_unigram,
        lambda: {
            "corpus": ["low", "lower", "lowest", "low"],
            "vocab_size": 10,
            "max_piece_length": 16,
            "shrinking_factor": 0.75,
            "num_sub_iterations": 2,
            "seed_size": None,
        },
        {
            "corpus": CORPUS_KIND,
            "vocab_size": BOTH(INT(2), VALUES(("too small", 3))),
            "max_piece_length": INT(1),
            "shrinking_factor": REAL(0, 1, open_min=True, open_max=True),
            "num_sub_iterations": INT(1),
            "seed_size": INT(1, none=True),
        },
    ),
    Case("llmviz.tokenization.Tokenizer", Tokenizer, dict, {}),
]


def _views_bpe() -> BPE:
    return train_bpe(CORPUS, 262)


VIEW_CASES = [
    Case(
        "llmviz.tokenization.views.tokenize_all",
        V.tokenize_all,
        # a read-only mapping: tokenizers have no ==, so a dict would be compared by
        # identity after a deep copy
        lambda: {
            "text": "the cat",
            "tokenizers": MappingProxyType({"c": _char_level()}),
        },
        {
            "text": TEXT_KIND,
            "tokenizers": VALUES(
                ("None", None),
                ("list", [_char_level()]),
                ("not a tokenizer", {"char": "char"}),
                ("int name", {3: _char_level()}),
            ),
        },
    ),
    Case(
        "llmviz.tokenization.views.after_merges",
        V.after_merges,
        lambda: {"bpe": _views_bpe(), "text": "lower", "num_merges": 3},
        {
            "bpe": VALUES(("None", None), ("char level", _char_level())),
            "text": TEXT_KIND,
            "num_merges": INT(0, 6),
        },
    ),
    Case(
        "llmviz.tokenization.views.word_lattice",
        V.word_lattice,
        lambda: {"model": _tiny(), "word": "abab"},
        {"model": VALUES(("None", None), ("bpe", _bpe())), "word": TEXT(empty=True)},
    ),
    Case(
        "llmviz.tokenization.views.nbest_probabilities",
        V.nbest_probabilities,
        lambda: {"model": _tiny(), "word": "abab", "n": 3},
        {
            "model": VALUES(("None", None), ("bpe", _bpe())),
            "word": TEXT(empty=True),
            "n": INT(1),
        },
    ),
    Case(
        "llmviz.tokenization.views.compression_curve",
        V.compression_curve,
        lambda: {"bpe": _views_bpe(), "text": "lower", "sizes": [256, 260]},
        {
            "bpe": VALUES(("None", None), ("char level", _char_level())),
            "text": TEXT(empty=True),
            "sizes": VALUES(
                ("None", None),
                ("int", 256),
                ("empty", []),
                ("too small", [10]),
                ("too large", [10**6]),
                ("float", [256.0]),
            ),
        },
    ),
]

EDGES = [(0, 1, "a", -1.0), (1, 2, "b", -1.0), (0, 2, "ab", -1.5)]
VIZ_CASES = [
    Case(
        "llmviz.viz.lattice_figure",
        viz.lattice_figure,
        lambda: {"text": "ab", "edges": list(EDGES), "path": [(0, 2)], "title": None},
        {
            "text": TEXT(empty=True),
            "edges": VALUES(
                *NOT_A_LIST,
                ("out of range", [(0, 5, "a", -1.0)]),
                ("nan score", [(0, 2, "ab", math.nan)]),
                ("not 4-tuples", [(0, 2)]),
                ("piece not text", [(0, 2, 3, -1.0)]),
            ),
            "path": VALUES(
                *NOT_A_LIST,
                ("not an edge", [(0, 1), (1, 2), (2, 2)]),
                ("gap", [(1, 2)]),
                ("short", [(0, 1)]),
            ),
            "title": VALUES(("int", 3), ("list", ["t"])),
        },
    ),
    Case(
        "llmviz.viz.nbest_figure",
        viz.nbest_figure,
        lambda: {"segmentations": [(["ab"], 0.7), (["a", "b"], 0.3)], "title": None},
        {
            "segmentations": VALUES(
                *NOT_A_LIST,
                ("empty", []),
                ("probability above 1", [(["ab"], 1.5)]),
                ("nan", [(["ab"], math.nan)]),
                ("repeated", [(["ab"], 0.5), (["ab"], 0.5)]),
                ("pieces a str", [("ab", 0.5)]),
            ),
            "title": VALUES(("int", 3), ("list", ["t"])),
        },
    ),
    Case(
        "llmviz.viz.token_boundaries",
        viz.token_boundaries,
        lambda: {
            "rows": {"char": ["a", "b"], "word": ["ab"]},
            "title": None,
            "width": 48,
            "ids": {"char": [1, 2]},
            "min_lines": 0,
        },
        {
            "rows": VALUES(
                *NOT_A_LIST,
                ("empty", {}),
                ("tokens a str", {"char": "ab"}),
                ("int tokens", {"char": [1, 2]}),
            ),
            "title": VALUES(("int", 3), ("list", ["t"])),
            "width": INT(1, 10_000),
            "ids": VALUES(
                ("int", 3),
                ("unknown row", {"other": [1]}),
                ("wrong length", {"char": [1]}),
                ("str ids", {"char": ["1", "2"]}),
            ),
            "min_lines": INT(0, 10_000),
        },
    ),
]

CHECK_CASES = [
    Case(
        f"llmviz.exercises.{check.__name__}",
        check,
        lambda check=check: {check.__code__.co_varnames[0]: lambda *a: None},
        {check.__code__.co_varnames[0]: CALLABLE()},
    )
    for check in (check_count_pairs, check_merge, check_viterbi, check_wordpiece)
]

CASES = [
    *BPE_CASES,
    *TRAINER_CASES,
    *SIMPLE_CASES,
    *UNIGRAM_CASES,
    *WORDPIECE_CASES,
    *SENTENCEPIECE_CASES,
    *VIEW_CASES,
    *VIZ_CASES,
    *CHECK_CASES,
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
