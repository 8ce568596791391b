"""Bad input for every public callable of ``llmviz.models``: each bad value of each
parameter is refused with a ``ValueError`` or ``TypeError`` naming it, and valid calls
leave their inputs alone (tests/bad_input.py). ``forward`` and ``generate`` are called
through lambdas whose keywords are the real parameter names."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.models import (
    TinyGPT,
    TinyGPTConfig,
    load_tinygpt,
    load_tokenizer,
    to_hf_llama,
    training_log,
)
from llmviz.models.pretrained import WEIGHTS_DIR
from llmviz.models.tinygpt import MAX_NEW_TOKENS
from tests.bad_input import (
    BOOL,
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

VOCAB = 50
SIZES = dict(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1,
             num_attention_heads=4, num_key_value_heads=2, intermediate_size=32)  # fmt: skip
MODEL = TinyGPT(TinyGPTConfig(**SIZES)).eval()


def config_kwargs() -> dict:
    return dict(SIZES, max_position_embeddings=64, rope_theta=10000.0,
                rms_norm_eps=1e-5, output_gate=False, position_embedding="rope",
                rope_parameters={"rope_type": "linear", "factor": 2.0},
                num_experts=4, num_experts_per_tok=2, tie_word_embeddings=True)  # fmt: skip


def ids() -> torch.Tensor:
    return torch.tensor([[1, 2, 3, 4, 5]])


OUT_OF_VOCABULARY = VALUES(
    ("id = vocab_size", torch.tensor([[1, VOCAB, 3]])),
    ("negative id", torch.tensor([[1, -1, 3]])),
    ("int32", torch.tensor([[1, 2, 3]], dtype=torch.int32)),
)
INPUT_IDS = BOTH(TENSOR((2,), floating=False), OUT_OF_VOCABULARY)

CASES = [
    Case(
        "llmviz.models.TinyGPTConfig",
        lambda **kwargs: TinyGPTConfig(**kwargs),
        config_kwargs,
        {
            "vocab_size": INT(1, 2**22),
            "hidden_size": INT(1, 2**16),
            "num_hidden_layers": INT(1, 1024),
            "num_attention_heads": BOTH(INT(1, 16), VALUES(("not dividing", 3))),
            "num_key_value_heads": BOTH(INT(1, 4), VALUES(("not dividing", 3))),
            "intermediate_size": INT(1, 2**18),
            "max_position_embeddings": INT(1, 2**24),
            "rope_theta": REAL(0, open_min=True),
            "rms_norm_eps": REAL(0, open_min=True),
            "output_gate": BOOL(),
            "position_embedding": CHOICE("rope", "learned"),
            "rope_parameters": VALUES(
                ("bogus rope_type", {"rope_type": "bogus"}),
                ("str", "linear"),
                ("list", [("rope_type", "linear")]),
                ("no factor", {"rope_type": "linear"}),
                ("negative factor", {"rope_type": "linear", "factor": -2.0}),
                ("unknown keyword", {"rope_type": "linear", "factr": 2.0}),
                ("its own rope_theta", {"rope_type": "default", "rope_theta": 1.0}),
            ),
            "num_experts": INT(0, 1024),
            "num_experts_per_tok": INT(1, 4),
            "tie_word_embeddings": BOOL(),
        },
    ),
    Case(
        "llmviz.models.TinyGPT",
        lambda config: TinyGPT(config),
        lambda: {"config": TinyGPTConfig(**SIZES)},
        {"config": VALUES(("None", None), ("dict", dict(SIZES)), ("int", 3))},
    ),
    Case(
        "llmviz.models.TinyGPT.forward",
        lambda input_ids, cache, output_attentions, position_ids: MODEL(
            input_ids,
            cache=cache,
            output_attentions=output_attentions,
            position_ids=position_ids,
        ),  # fmt: skip
        lambda: {
            "input_ids": ids(),
            "cache": None,
            "output_attentions": False,
            "position_ids": torch.arange(5),
        },  # fmt: skip
        {
            "input_ids": INPUT_IDS,
            "cache": VALUES(("int", 3), ("str", "cache"), ("dict", {})),
            "output_attentions": BOOL(),
            "position_ids": BOTH(
                TENSOR((1,), floating=False, mismatch=True, none=True),
                VALUES(("negative", torch.tensor([-1, 0, 1, 2, 3]))),
            ),
        },
    ),
    Case(
        "llmviz.models.TinyGPT.generate",
        lambda input_ids, max_new_tokens, use_cache: MODEL.generate(
            input_ids, max_new_tokens=max_new_tokens, use_cache=use_cache
        ),
        lambda: {"input_ids": ids(), "max_new_tokens": 2, "use_cache": True},
        {
            "input_ids": INPUT_IDS,
            "max_new_tokens": INT(0, MAX_NEW_TOKENS),
            "use_cache": BOOL(),
        },
    ),
    Case(
        "llmviz.models.load_tinygpt",
        load_tinygpt,
        lambda: {"name": "tinygpt"},
        {"name": CHOICE("tinygpt")},
    ),
    Case(
        "llmviz.models.training_log",
        training_log,
        lambda: {"name": "tinygpt"},
        {"name": CHOICE("tinygpt")},
    ),
    Case(
        "llmviz.models.load_tokenizer",
        load_tokenizer,
        lambda: {"path": str(WEIGHTS_DIR / "tokenizer.json")},
        {
            "path": VALUES(
                ("None", None),
                ("int", 3),
                ("bytes", b"tokenizer.json"),
                ("list", [str(WEIGHTS_DIR / "tokenizer.json")]),
                ("missing file", str(WEIGHTS_DIR / "missing.json")),
                ("directory", WEIGHTS_DIR),
                ("not a tokenizer", WEIGHTS_DIR / "tinygpt.log.json"),
                ("binary file", WEIGHTS_DIR / "tinygpt.pt"),
            )
        },
    ),
    Case(
        "llmviz.models.to_hf_llama",
        lambda model: to_hf_llama(model),
        lambda: {"model": MODEL},
        {
            "model": VALUES(
                ("None", None),
                ("Linear", nn.Linear(2, 2)),
                ("gated", TinyGPT(TinyGPTConfig(**SIZES, output_gate=True))),
                (
                    "learned positions",
                    TinyGPT(TinyGPTConfig(**SIZES, position_embedding="learned")),
                ),
            )  # fmt: skip
        },
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
