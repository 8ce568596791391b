"""word2vec vectors trained on the English corpus, shipped so that the chapter runs in
seconds; ``python -m llmviz.embeddings.pretrained`` re-trains them, seeded.

Each ``<name>.pt`` in ``llmviz/models/weights`` holds the words and their float16
vectors; ``<name>.log.json`` holds the settings, the loss every few batches, the time
taken and the file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from llmviz._tensor_checks import check_choice
from llmviz.embeddings.corpus import english_sentences
from llmviz.embeddings.vocab import Vocab, build_vocab, encode
from llmviz.embeddings.word2vec_train import Word2VecResult, train_word2vec

WEIGHTS_DIR = Path(__file__).parent.parent / "models" / "weights"
COMMON = dict(negative=5, vector_size=32, window=4, sample=1e-3, epochs=10,
              alpha=0.025, batch_size=1024)  # fmt: skip
# two models, two seeds each: does a word's neighbourhood survive a re-run?
SETTINGS = {
    "word2vec-en": dict(sg=1, seed=0, **COMMON),
    "word2vec-en-seed1": dict(sg=1, seed=1, **COMMON),
    "word2vec-en-cbow": dict(sg=0, seed=0, **COMMON),
    "word2vec-en-cbow-seed1": dict(sg=0, seed=1, **COMMON),
}
MIN_COUNT = 5
LOG_EVERY = 10  # batches between logged losses


def english_vocab() -> tuple[Vocab, list[np.ndarray]]:
    """The English corpus's vocabulary (count ≥ 5) and the corpus as ids."""
    sentences = english_sentences()
    vocab = build_vocab(sentences, min_count=MIN_COUNT)
    return vocab, encode(vocab, sentences)


def _train(name: str) -> tuple[Vocab, Word2VecResult, float]:
    """Train ``name`` with its ``SETTINGS``: vocab, result, seconds."""
    settings = SETTINGS[check_choice("name", name, list(SETTINGS))]
    vocab, ids = english_vocab()
    start = time.perf_counter()
    result = train_word2vec(ids, vocab, **settings)
    return vocab, result, time.perf_counter() - start


def _save(name: str, directory: Path = WEIGHTS_DIR) -> Path:
    """Train ``name``; write ``<name>.pt`` and ``<name>.log.json`` in ``directory``."""
    vocab, result, seconds = _train(name)
    path = directory / f"{name}.pt"
    state = {"vectors": result.vectors.half(), "output": result.output.half()}
    torch.save({"words": list(vocab.words), **state}, path)
    losses = result.losses
    log = {
        "settings": SETTINGS[name], "min_count": MIN_COUNT,
        "corpus": "english_sentences()", "words": len(vocab),
        "tokens": int(vocab.counts.sum()), "seconds": round(seconds, 2),
        "torch": torch.__version__, "log_every": LOG_EVERY,
        "losses": [round(x, 4) for x in losses[::LOG_EVERY]],
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }  # fmt: skip
    log_path = directory / f"{name}.log.json"
    log_path.write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    return path


def load_vectors(name: str = "word2vec-en") -> tuple[Vocab, torch.Tensor]:
    """The shipped vocabulary and float32 input vectors (V, 32), the embeddings, of
    ``name``; ``load_output`` gives its output layer.

    >>> vocab, vectors = load_vectors()
    >>> tuple(vectors.shape) == (len(vocab), 32), vocab.words[0]
    (True, 'the')
    """
    vocab, saved = _load(name)
    return vocab, saved["vectors"].float()


def load_output(name: str = "word2vec-en") -> tuple[Vocab, torch.Tensor]:
    """The shipped vocabulary and float32 output vectors (V, 32) of ``name``: the
    ``u_w`` that negative sampling scores against.

    >>> vocab, output = load_output()
    >>> tuple(output.shape) == (len(vocab), 32)
    True
    """
    vocab, saved = _load(name)
    return vocab, saved["output"].float()


def _load(name: str) -> tuple[Vocab, dict]:
    check_choice("name", name, list(SETTINGS))
    path = WEIGHTS_DIR / f"{name}.pt"
    saved = torch.load(path, map_location="cpu", weights_only=True)
    vocab, _ = _vocab_cache()
    if tuple(saved["words"]) != vocab.words:
        raise ValueError(
            f"{name}.pt was trained on another vocabulary: re-run the script"
        )
    return vocab, saved


def training_log(name: str = "word2vec-en") -> dict:
    """How ``name`` was trained: settings, logged losses, time, sha256."""
    check_choice("name", name, list(SETTINGS))
    return json.loads((WEIGHTS_DIR / f"{name}.log.json").read_text(encoding="utf-8"))


_CACHE: dict[str, tuple[Vocab, list[np.ndarray]]] = {}


def _vocab_cache() -> tuple[Vocab, list[np.ndarray]]:
    if "en" not in _CACHE:
        _CACHE["en"] = english_vocab()
    return _CACHE["en"]


if __name__ == "__main__":
    torch.set_num_threads(1)
    for model_name in SETTINGS:
        print(model_name, _save(model_name))
