"""fastText as a text classifier: average the text's word and n-gram vectors, then one
linear layer and a softmax over the labels {footcite}`joulin2017bag`.

Three layers, as the notes draw them: the input features (a row per known word and per
hashed n-gram), the hidden layer (their mean, with no non-linearity) and the output (a
softmax over the labels). A feature's row is ``V + bucket`` wide: words first, then
the buckets that character n-grams and word bigrams are hashed into.

The data and the features are in ``classifier_data``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz._threads import one_thread
from llmviz.embeddings.classifier_data import (
    _check_examples,
    labelled_examples,
    split_examples,
    text_features,
    text_words,
)
from llmviz.embeddings.fasttext import MAX_BUCKET

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
