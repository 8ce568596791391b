"""Load the tiny models we trained, their tokenizer and their training logs.

The files live in ``llmviz/models/weights``: ``tokenizer.json`` (our byte-level BPE),
``<name>.pt`` (the config and float16 weights, loadable with ``weights_only=True``)
and ``<name>.log.json`` (the loss every few steps). ``python -m llmviz.models.train``
writes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from llmviz.models.config import TinyGPTConfig
from llmviz.models.tinygpt import TinyGPT
from llmviz.tokenization.bpe import BPE

WEIGHTS_DIR = Path(__file__).parent / "weights"
BOS_TOKEN = "<|endoftext|>"  # starts every training sequence, as in GPT-2
MODEL_NAMES = (
    "tinygpt",
    "tinygpt-gated",
    "tinygpt-learned",
    "tinymoe",
    "tinymoe-noaux",
)


def _path(name: str, suffix: str) -> Path:
    if name not in MODEL_NAMES:
        raise ValueError(f"name must be one of {MODEL_NAMES}, got {name!r}")
    return WEIGHTS_DIR / f"{name}{suffix}"


def save_tokenizer(tokenizer: BPE, path: Path = WEIGHTS_DIR / "tokenizer.json") -> None:
    state = {
        "merges": tokenizer.merges,
        "vocab": tokenizer.vocab,
        "pattern": tokenizer.pattern,
        "special_tokens": tokenizer.special_tokens,
    }
    path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def load_tokenizer(path: str | os.PathLike = WEIGHTS_DIR / "tokenizer.json") -> BPE:
    """TinyGPT's tokenizer: byte-level BPE that we trained on the book's corpora.

    ``path`` (a ``str`` or a ``pathlib.Path``) is a file that ``save_tokenizer`` wrote.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__} {path!r:.60}"
        )
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing tokenizer file, got {str(path)!r}")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        merges = [tuple(pair) for pair in state["merges"]]
        vocab, pattern = state["vocab"], state["pattern"]
        special_tokens = state["special_tokens"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(
            f"path must be a tokenizer file written by save_tokenizer, but "
            f"{str(path)!r} is not one ({type(error).__name__}: {error})"
        ) from error
    return BPE(
        merges, vocab, pattern=pattern, special_tokens=special_tokens,
        name="TinyGPT BPE",
    )  # fmt: skip


def save_model(model: TinyGPT, path: Path) -> None:
    """Write ``model``'s config and float16 weights (a tied ``lm_head`` only once)."""
    tied = model.config.tie_word_embeddings
    weights = {
        name: tensor.to(torch.float16)
        for name, tensor in model.state_dict().items()
        if not (tied and name == "lm_head.weight")  # it is embed_tokens.weight
    }
    torch.save({"config": model.config.to_dict(), "state_dict": weights}, path)


def load_model(path: Path) -> TinyGPT:
    """The model that ``save_model`` wrote, in float32 and eval mode. Files written
    before ``tie_word_embeddings`` existed have no such field: they are tied."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyGPT(TinyGPTConfig(**saved["config"]))
    weights = {name: tensor.float() for name, tensor in saved["state_dict"].items()}
    if model.config.tie_word_embeddings:
        weights["lm_head.weight"] = weights["embed_tokens.weight"]
    model.load_state_dict(weights)
    return model.eval()


def load_tinygpt(name: str = "tinygpt") -> tuple[TinyGPT, BPE]:
    """The trained model ``name`` (see ``MODEL_NAMES``) in eval mode, and its tokenizer.

    >>> model, tokenizer = load_tinygpt()
    >>> model.config.num_key_value_heads, tokenizer.vocab_size
    (2, 2048)
    """
    return load_model(_path(name, ".pt")), load_tokenizer()


def training_log(name: str = "tinygpt") -> dict:
    """How ``name`` was trained: its arguments, and the losses and timings logged."""
    return json.loads(_path(name, ".log.json").read_text(encoding="utf-8"))
