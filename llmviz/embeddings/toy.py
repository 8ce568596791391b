"""A small Chinese corpus that we generate, to see where analogies come from.

Ten pairs of words differ in one relation, male and female (国王/王后 king/queen,
父亲/母亲 father/mother, ...), and the words also fall in two domains (the palace, the
family). Sentence frames put each word beside context words that carry its gender
(他/她 he/she, 男的/女的 male/female), its domain (宫殿 palace, 王冠 crown, 家里 at
home, 做饭 cook) and its pair's topic (王位 the throne, 结婚 marry, ...). When the
gender words follow the pair consistently, the offset
``v(女人) − v(男人)`` recurs across pairs, and 男人 : 女人 :: 国王 : ? finds 王后
{footcite}`mikolov2013linguistic`. With ``consistent=False`` the same frames draw the
gender words for each word at random (from six marker pairs), so no one offset
recurs: the control.

The corpus is constructed: it shows how analogies can arise, not that a real corpus
holds them.

>>> sentences = toy_sentences(num_sentences=4, seed=0)
>>> len(sentences), all(isinstance(w, str) for s in sentences for w in s)
(4, True)
"""

from __future__ import annotations

import numpy as np

from llmviz._checks import check_bool, check_int

PAIRS = (  # (male, female, domain)
    ("国王", "王后", "palace"), ("王子", "公主", "palace"), ("皇帝", "皇后", "palace"),
    ("男人", "女人", "family"), ("父亲", "母亲", "family"), ("儿子", "女儿", "family"),
    ("哥哥", "姐姐", "family"), ("弟弟", "妹妹", "family"), ("丈夫", "妻子", "family"),
    ("爷爷", "奶奶", "family"),
)  # fmt: skip
GLOSS = {
    "国王": "king", "王后": "queen", "王子": "prince", "公主": "princess",
    "皇帝": "emperor", "皇后": "empress", "男人": "man", "女人": "woman",
    "父亲": "father", "母亲": "mother", "儿子": "son", "女儿": "daughter",
    "哥哥": "elder brother", "姐姐": "elder sister", "弟弟": "younger brother",
    "妹妹": "younger sister", "丈夫": "husband", "妻子": "wife",
    "爷爷": "grandfather", "奶奶": "grandmother",
}  # fmt: skip
GENDER = (("他", "男的"), ("她", "女的"))  # pronoun, "a male/female one"
MARKERS = (
    ("他", "男的"),
    ("她", "女的"),
    ("它", "那个"),
    ("您", "这个"),
    ("我", "某个"),
    ("你", "每个"),
)  # the control's pool: a word's marker pair drawn at random
TOPIC = (
    "王位",
    "城堡",
    "朝廷",
    "街上",
    "孩子",
    "上学",
    "小时候",
    "长大",
    "结婚",
    "退休",
)
DOMAIN = {"palace": ("宫殿", "王冠"), "family": ("家里", "做饭")}
FILLER = ("今天", "昨天", "很", "高兴", "累", "忙", "说", "看见", "朋友", "早上")
FRAMES = (  # {w} the word, {p} its pronoun, {g} its gender word, {d} a domain word,
    # {t} its pair's topic word, {f} a filler word
    "{w} 说 {p} 今天 很 {f}",
    "这 位 {w} 是 {g}",
    "{w} 在 {d} {f}",
    "{p} 是 一 位 {w}",
    "{w} {t} 了",
    "{f} 的 {w} 和 {p} 的 朋友 {t}",
)
MAX_SENTENCES = 200_000


def analogy_set() -> list[tuple[str, str, str, str]]:
    """Every male : female :: male′ : female′ question over two different pairs.

    >>> len(analogy_set()) == len(PAIRS) * (len(PAIRS) - 1)
    True
    """
    return [(a, b, c, d) for a, b, _ in PAIRS for c, d, _ in PAIRS if a != c]


def toy_sentences(
    num_sentences: int = 3000, seed: int = 0, consistent: bool = True
) -> list[list[str]]:
    """``num_sentences`` sentences, each a frame filled with one word of ``PAIRS`` and
    context words, drawn with ``numpy.random.default_rng(seed)``; the gender words
    follow the word's gender when ``consistent``; otherwise each word keeps one marker
    pair drawn at random from ``MARKERS``, so the two words of a pair differ by a
    different offset in each pair.

    >>> toy_sentences(2, seed=1) == toy_sentences(2, seed=1)
    True
    """
    check_int("num_sentences", num_sentences, minimum=1, maximum=MAX_SENTENCES)
    check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    check_bool("consistent", consistent)
    rng = np.random.default_rng(seed)
    marker = rng.integers(len(MARKERS), size=(len(PAIRS), 2))  # the control's markers
    pair = rng.integers(len(PAIRS), size=num_sentences)
    gender = rng.integers(2, size=num_sentences)
    frame = rng.integers(len(FRAMES), size=num_sentences)
    picks = (
        rng.integers(len(FILLER), size=num_sentences),
        rng.integers(2, size=num_sentences),
    )
    sentences = []
    for i in range(num_sentences):
        word, domain = PAIRS[pair[i]][gender[i]], PAIRS[pair[i]][2]
        if consistent:
            pronoun, kind = GENDER[gender[i]]
        else:
            pronoun, kind = MARKERS[marker[pair[i], gender[i]]]
        text = FRAMES[frame[i]].format(
            w=word, p=pronoun, g=kind, d=DOMAIN[domain][picks[1][i]],
            f=FILLER[picks[0][i]], t=TOPIC[pair[i]],
        )  # fmt: skip
        sentences.append(text.split())
    return sentences
