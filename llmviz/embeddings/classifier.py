"""fastText as a text classifier: average the text's word and n-gram vectors, then one
linear layer and a softmax over the labels {footcite}`joulin2017bag`.

Three layers, as the notes draw them: the input features (a row per known word and per
hashed n-gram), the hidden layer (their mean, with no non-linearity) and the output (a
softmax over the labels). A feature's row is ``V + bucket`` wide: words first, then
the buckets that character n-grams and word bigrams are hashed into.

>>> text_words("The home team 赢得了比赛!")
['the', 'home', 'team', '赢得', '了', '比赛']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import regex
import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz.embeddings.fasttext import MAX_BUCKET, _check_n, ft_hash, ngram_buckets
from llmviz.embeddings.fasttext_train import one_thread

__all__ = [
    "FastTextClassifier",
    "TrainedClassifier",
    "classifier_accuracy",
    "labelled_examples",
    "classify",
    "split_examples",
    "text_features",
    "text_words",
    "train_classifier",
]

LABELS_FILE = Path(__file__).parent.parent / "data" / "labelled.txt"
PREFIX = "__label__"  # fastText's label marker
_WORD = regex.compile(r"[\p{L}\p{N}]")
MAX_TEXT = 10_000  # characters


def labelled_examples() -> list[tuple[str, str]]:
    """The book's labelled sentences, ``(label, text)``: sports, tech, food and weather,
    in English and Chinese, from ``llmviz/data/labelled.txt`` (fastText's format).

    >>> labelled_examples()[0][0]
    'sports'
    """
    lines = LABELS_FILE.read_text(encoding="utf-8").splitlines()
    return [
        (ln.split(" ", 1)[0][len(PREFIX) :], ln.split(" ", 1)[1]) for ln in lines if ln
    ]


def text_words(text: str) -> list[str]:
    """Lower-cased words, Chinese cut by jieba {footcite}`sun2012jieba`, punctuation
    and spaces dropped."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"text must have at most {MAX_TEXT} characters, got {len(text)}"
        )
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    from llmviz.tokenization.pretokenize import words

    return tuple(w.lower() for w in words(text) if _WORD.search(w))


def split_examples(
    examples: list[tuple[str, str]], test_fraction: float = 0.3, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A seeded held-out split, the same fraction of each label held out."""
    _check_examples(examples)
    test_fraction = check_real(
        "test_fraction", test_fraction, 0, 1, open_min=True, open_max=True
    )
    rng = np.random.default_rng(check_int("seed", seed, 0, 2**32 - 1))
    train, test = [], []
    for label in sorted({lab for lab, _ in examples}):
        group = [e for e in examples if e[0] == label]
        order = rng.permutation(len(group))
        cut = round(len(group) * test_fraction)
        test += [group[i] for i in order[:cut]]
        train += [group[i] for i in order[cut:]]
    return train, test


def text_features(
    tokens: list[str], index: dict[str, int], *, minn: int = 2, maxn: int = 4,
    word_ngrams: int = 1, bucket: int = 2**14,
) -> np.ndarray:  # fmt: skip
    """A text's feature rows: ``index[w]`` for each known word, ``V + b`` for each
    character n-gram bucket ``b`` of each word (none when ``maxn = 0``) and for each
    word bigram (``word_ngrams = 2``, hashed as ``ft_hash(w1 + " " + w2)``).

    >>> text_features(["a", "b"], {"a": 0}, maxn=0, bucket=10).tolist()
    [0]
    """
    if not isinstance(tokens, list) or not all(
        isinstance(t, str) and t for t in tokens
    ):
        raise TypeError("tokens must be a list of non-empty str")
    word_ngrams = check_int("word_ngrams", word_ngrams, 1, 2)
    bucket = check_int("bucket", bucket, 1, MAX_BUCKET)
    if check_int("maxn", maxn, 0, 64) > 0:
        _check_n(minn, maxn)
    rows = [index[t] for t in tokens if t in index]
    if maxn > 0:
        rows += [
            len(index) + int(b)
            for t in tokens
            for b in ngram_buckets(t, minn, maxn, bucket)
        ]
    if word_ngrams == 2:
        rows += [
            len(index) + ft_hash(f"{a} {b}") % bucket
            for a, b in zip(tokens, tokens[1:], strict=False)
        ]
    return np.array(rows, dtype=np.int64)


class FastTextClassifier(nn.Module):
    """``softmax(W · mean_i(E[f_i]))``: the mean of the feature rows ``E`` (hidden
    layer), then a linear map ``W`` to one logit per label."""

    def __init__(self, num_features: int, num_labels: int, hidden_size: int = 16):
        super().__init__()
        num_features = check_int("num_features", num_features, 1, MAX_BUCKET)
        num_labels = check_int("num_labels", num_labels, 2, 10_000)
        hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
        self.embed = nn.EmbeddingBag(num_features, hidden_size, mode="mean")
        self.output = nn.Linear(hidden_size, num_labels)
        nn.init.uniform_(self.embed.weight, -1 / hidden_size, 1 / hidden_size)
        nn.init.zeros_(self.output.weight)  # fastText's initialisation
        nn.init.zeros_(self.output.bias)

    def forward(self, ids: Tensor, offsets: Tensor) -> Tensor:
        """Logits (B, labels) of B texts whose features are ``ids[offsets[i]:...]``."""
        return self.output(self.embed(ids, offsets))  # (B, L)


@dataclass
class TrainedClassifier:
    """A trained model with what it needs to read new text."""

    model: FastTextClassifier
    index: dict[str, int]
    labels: tuple[str, ...]
    settings: dict
    losses: list[float]


def _check_examples(examples: object) -> list[tuple[str, str]]:
    if not isinstance(examples, list) or not examples:
        raise TypeError("examples must be a non-empty list of (label, text) pairs")
    for e in examples:
        if not (
            isinstance(e, tuple) and len(e) == 2 and all(isinstance(x, str) for x in e)
        ):
            raise TypeError(
                f"examples must hold (label, text) pairs of str, got {e!r:.60}"
            )
    return examples


def _batch(
    texts: list[str], index: dict[str, int], settings: dict
) -> tuple[Tensor, Tensor]:
    feats = [text_features(text_words(t), index, **settings) for t in texts]
    offsets = np.cumsum([0] + [len(f) for f in feats[:-1]])
    return torch.from_numpy(np.concatenate(feats)), torch.from_numpy(offsets)


def train_classifier(
    examples: list[tuple[str, str]], *, minn: int = 2, maxn: int = 4,
    word_ngrams: int = 1, bucket: int = 2**14, hidden_size: int = 16, epochs: int = 30,
    lr: float = 10.0, batch_size: int = 8, seed: int = 0,
) -> TrainedClassifier:  # fmt: skip
    """Train on ``(label, text)`` pairs, seeded: mini-batch SGD on the cross-entropy
    ``-log softmax(W h)_y``, the rate falling linearly to 0 (as fastText's). The words
    seen in training get rows; any n-gram gets a bucket, seen or not.

    >>> pairs = [("a", "sunny warm"), ("b", "goal scored")]
    >>> trained = train_classifier(pairs, epochs=2)
    >>> trained.labels
    ('a', 'b')
    """
    _check_examples(examples)
    epochs, batch_size = (
        check_int("epochs", epochs, 1, 10_000),
        check_int("batch_size", batch_size, 1, 1 << 16),
    )
    lr, seed = (
        check_real("lr", lr, 0, 100, open_min=True),
        check_int("seed", seed, 0, 2**32 - 1),
    )
    settings = {
        "minn": minn,
        "maxn": maxn,
        "word_ngrams": word_ngrams,
        "bucket": bucket,
    }
    text_features(["probe"], {}, **settings)  # checks the settings once, by name
    labels = tuple(sorted({lab for lab, _ in examples}))
    if len(labels) < 2:
        raise ValueError(f"examples must hold at least 2 labels, got {len(labels)}")
    words = dict.fromkeys(w for _, text in examples for w in text_words(text))
    index = {w: i for i, w in enumerate(words)}
    with (
        torch.random.fork_rng()
    ):  # seeded initial weights, the caller's stream untouched
        torch.manual_seed(seed)
        model = FastTextClassifier(len(index) + bucket, len(labels), hidden_size)
    ids, offsets = _batch([t for _, t in examples], index, settings)
    y = torch.tensor([labels.index(lab) for lab, _ in examples])
    rng, losses = np.random.default_rng(seed), []
    with one_thread():
        _sgd(model, lr, ids, offsets, y, epochs, batch_size, rng, losses)
    return TrainedClassifier(model.eval(), index, labels, settings, losses)


def _sgd(model, lr, ids, offsets, y, epochs, batch_size, rng, losses) -> None:
    """The training loop of ``train_classifier``: shuffled mini-batches, plain SGD."""
    ends = torch.cat([offsets[1:], ids.new_tensor([len(ids)])])
    steps, step = epochs * -(-len(y) // batch_size), 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(order), batch_size):
            pick = torch.from_numpy(order[start : start + batch_size])
            parts = [ids[offsets[i] : ends[i]] for i in pick]
            bag_offsets = torch.tensor([0] + [len(p) for p in parts[:-1]]).cumsum(0)
            logits = model(torch.cat(parts), bag_offsets)  # (b, labels)
            loss = nn.functional.cross_entropy(logits, y[pick])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr * (1 - step / steps))
            losses.append(loss.item())
            step += 1


def classify(trained: TrainedClassifier, texts: list[str]) -> list[str]:
    """The most likely label of each text."""
    if not isinstance(trained, TrainedClassifier):
        raise TypeError(
            f"trained must be a TrainedClassifier, got {type(trained).__name__}"
        )
    if (
        not isinstance(texts, list)
        or not texts
        or not all(isinstance(t, str) for t in texts)
    ):
        raise TypeError("texts must be a non-empty list of str")
    with torch.no_grad():
        logits = trained.model(
            *_batch(texts, trained.index, trained.settings)
        )  # (B, L)
    return [trained.labels[i] for i in logits.argmax(-1).tolist()]


def classifier_accuracy(
    trained: TrainedClassifier, examples: list[tuple[str, str]]
) -> float:
    """The share of ``examples`` whose label ``classify`` gets right."""
    _check_examples(examples)
    guesses = classify(trained, [text for _, text in examples])
    return float(
        np.mean([g == lab for g, (lab, _) in zip(guesses, examples, strict=True)])
    )
