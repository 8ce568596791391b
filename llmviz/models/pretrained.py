"""Load the tiny models we trained, their tokenizer and their training logs.

The files live in ``llmviz/models/weights``: ``tokenizer.json`` (our byte-level BPE),
``<name>.pt`` (the config and float16 weights, loadable with ``weights_only=True``)
and ``<name>.log.json`` (the loss every few steps). ``python -m llmviz.models.train``
writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from llmviz.models.tinygpt import TinyGPT, TinyGPTConfig
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


def load_tokenizer(path: Path = WEIGHTS_DIR / "tokenizer.json") -> BPE:
    """TinyGPT's tokenizer: byte-level BPE that we trained on the book's corpora."""
    state = json.loads(path.read_text(encoding="utf-8"))
    return BPE(
        [tuple(pair) for pair in state["merges"]],
        state["vocab"],
        pattern=state["pattern"],
        special_tokens=state["special_tokens"],
        name="TinyGPT BPE",
    )


def save_model(model: TinyGPT, path: Path) -> None:
    weights = {
        name: tensor.to(torch.float16)
        for name, tensor in model.state_dict().items()
        if name != "lm_head.weight"  # tied to embed_tokens.weight
    }
    torch.save({"config": model.config.to_dict(), "state_dict": weights}, path)


def load_model(path: Path) -> TinyGPT:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyGPT(TinyGPTConfig(**saved["config"]))
    weights = {name: tensor.float() for name, tensor in saved["state_dict"].items()}
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
