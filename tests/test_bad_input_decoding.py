"""Bad input for every public callable of ``llmviz.decoding`` (chapter 8) and its
figure, ``llmviz.viz.beam_tree_figure``: each bad value of each parameter is refused
with a ``ValueError``/``TypeError`` naming it, and valid calls leave their inputs alone
(tests/bad_input.py).

The functions that take a model get a tiny deterministic stand-in: a fixed random
bigram table, so that the logits of the next token depend on the last token alone."""

from __future__ import annotations

import math

import numpy as np
import torch

from llmviz.decoding import (
    accuracy_against_n,
    apply_temperature,
    beam_search,
    best_of_n,
    distinct_n,
    entropy,
    greedy,
    majority_vote,
    mean_log_prob,
    min_p_filter,
    noisy_adder,
    sample,
    sampling_distribution,
    top_k_filter,
    top_p_filter,
    vote_counts,
    warp,
)
from llmviz.viz import beam_tree_figure
from tests.bad_input import (
    BOTH,
    CALLABLE,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

V = 7  # the stand-in model's vocabulary
TABLE = torch.randn(V, V, generator=torch.Generator().manual_seed(0))  # bigram logits


def next_token_logits(ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> (B, V) logits of the next token, from the last token alone. It
    does not check its ids (it wraps them around the vocabulary), so the decoders'
    own check of the prompt against the vocabulary is what refuses an id >= V."""
    return TABLE[ids[:, -1] % V]


def logits_fn(ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> (B, T, V) logits at every position."""
    return TABLE[ids]


def logits(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, V, generator=torch.Generator().manual_seed(1))


def ids(batch: int = 2, length: int = 6) -> torch.Tensor:
    return torch.randint(V, (batch, length), generator=torch.Generator().manual_seed(2))


def probs() -> torch.Tensor:
    return logits(3).softmax(-1)


def tree() -> list[list[dict]]:
    return beam_search(next_token_logits, ids(1, 2), 2, 3)["tree"]


NAN, INF = math.nan, math.inf
LOGITS = TENSOR((1, 2))
FILTER_VALUE = VALUES(
    ("str", "-inf"), ("None", None), ("nan", NAN), ("inf", INF), ("bool", False)
)
KEEP = INT(1)
MAX_NEW_TOKENS = INT(0, 100_000)
EOS = BOTH(INT(0, none=True), VALUES(("outside the vocabulary", V)))
MAX_DRAWS = 10_000_000  # trials × N that accuracy_against_n allows
INPUT_IDS = BOTH(TENSOR((2,), floating=False), VALUES(("negative id", -1 - ids())))
DECODER_IDS = BOTH(INPUT_IDS, VALUES(("id outside the vocabulary", ids() + V)))


def last_outside(batch: int = 2) -> torch.Tensor:
    """Valid ids but for the last one, outside the vocabulary: the model never reads
    it (mean_log_prob reads ids[:, :-1]), but the scores of its logits are gathered."""
    out = ids(batch)
    out[:, -1] = V
    return out


GENERATOR = VALUES(
    ("int", 0), ("str", "seed"), ("numpy generator", np.random.default_rng(0))
)
SEQUENCE = VALUES(("None", None), ("str", "abc"), ("int", 3), ("empty", []))
ANSWERS = BOTH(SEQUENCE, VALUES(("unhashable answers", [[1], [1]]), ("set", {1, 2})))
SCORES = BOTH(
    SEQUENCE,
    VALUES(
        ("nan score", [0.1, NAN, 0.3]),
        ("str score", [0.1, "0.9", 0.3]),
        ("None score", [0.1, None, 0.3]),
        ("complex score", [0.1, 1j, 0.3]),
        ("too few", [0.1, 0.2]),
        ("too many", [0.1, 0.2, 0.3, 0.4]),
        ("2-D tensor", torch.zeros(3, 1)),
    ),
)
CANDIDATE = {"parent": 0, "token": 1, "score": -0.5, "status": "running"}
TREE = VALUES(
    ("None", None),
    ("str", "tree"),
    ("dict", {"steps": []}),
    ("step not a list", [CANDIDATE]),
    ("candidate not a dict", [["x"]]),
    ("missing key", [[{k: v for k, v in CANDIDATE.items() if k != "score"}]]),
    ("unknown status", [[CANDIDATE | {"status": "bogus"}]]),
    ("parent out of range", [[CANDIDATE | {"parent": 3}]]),
    ("parent not an int", [[CANDIDATE | {"parent": "0"}]]),
    ("token not an int", [[CANDIDATE | {"token": 1.5}]]),
    ("score not a number", [[CANDIDATE | {"score": "high"}]]),
    ("nan score", [[CANDIDATE | {"score": NAN}]]),
)

CASES = [
    Case(
        "llmviz.decoding.apply_temperature",
        apply_temperature,
        lambda: {"logits": logits(2), "temperature": 0.7},
        {"logits": LOGITS, "temperature": REAL(0, INF, open_min=True)},
    ),
    Case(
        "llmviz.decoding.top_k_filter",
        top_k_filter,
        lambda: {
            "logits": logits(2),
            "top_k": 3,
            "min_tokens_to_keep": 1,
            "filter_value": -INF,
        },
        {
            "logits": LOGITS,
            "top_k": INT(1),
            "min_tokens_to_keep": KEEP,
            "filter_value": FILTER_VALUE,
        },
    ),
    Case(
        "llmviz.decoding.top_p_filter",
        top_p_filter,
        lambda: {
            "logits": logits(2),
            "top_p": 0.8,
            "min_tokens_to_keep": 1,
            "filter_value": -INF,
        },
        {
            "logits": LOGITS,
            "top_p": REAL(0, 1, open_min=True),
            "min_tokens_to_keep": KEEP,
            "filter_value": FILTER_VALUE,
        },
    ),
    Case(
        "llmviz.decoding.min_p_filter",
        min_p_filter,
        lambda: {
            "logits": logits(2),
            "min_p": 0.1,
            "min_tokens_to_keep": 1,
            "filter_value": -INF,
        },
        {
            "logits": LOGITS,
            "min_p": REAL(0, 1),
            "min_tokens_to_keep": KEEP,
            "filter_value": FILTER_VALUE,
        },
    ),
    Case(
        "llmviz.decoding.entropy",
        entropy,
        lambda: {"probs": probs()},
        {
            "probs": BOTH(
                TENSOR(),
                VALUES(
                    ("negative", probs() - 0.5),
                    ("above one", probs() + 1.0),
                    ("rows not summing to 1", probs() / 2),
                ),
            )
        },
    ),
    Case(
        "llmviz.decoding.warp",
        warp,
        lambda: {
            "logits": logits(2),
            "temperature": 0.8,
            "top_k": 4,
            "top_p": 0.9,
            "min_p": 0.05,
        },
        {
            "logits": LOGITS,
            "temperature": REAL(0, INF, open_min=True),
            "top_k": INT(1, none=True),
            "top_p": REAL(0, 1, open_min=True, none=True),
            "min_p": REAL(0, 1, none=True),
        },
    ),
    Case(
        "llmviz.decoding.sampling_distribution",
        sampling_distribution,
        lambda: {
            "logits": logits(),
            "temperature": 0.8,
            "top_k": 4,
            "top_p": 0.9,
            "min_p": 0.05,
            "order": "notes",
        },
        {
            "logits": TENSOR((1,)),
            "temperature": REAL(0, INF, open_min=True),
            "top_k": INT(1, none=True),
            "top_p": REAL(0, 1, open_min=True, none=True),
            "min_p": REAL(0, 1, none=True),
            "order": BOTH(CHOICE("hf", "notes"), VALUES(("list", ["hf"]))),
        },
    ),
    Case(
        "llmviz.decoding.mean_log_prob",
        mean_log_prob,
        lambda: {"logits_fn": logits_fn, "ids": ids(), "start": 2},
        {
            "logits_fn": BOTH(
                CALLABLE(),
                VALUES(
                    ("returns a list", lambda x: TABLE[x].tolist()),
                    ("returns the wrong shape", lambda x: TABLE[x][:, :-1]),
                    ("returns integers", lambda x: TABLE[x].long()),
                    ("returns NaN", lambda x: TABLE[x] * NAN),
                ),
            ),
            "ids": BOTH(
                INPUT_IDS, VALUES(("id outside the vocabulary", last_outside()))
            ),
            "start": BOTH(INT(1), VALUES(("at the length", 6), ("absurd", 10**12))),
        },
    ),
    Case(
        "llmviz.decoding.distinct_n",
        distinct_n,
        lambda: {"ids": ids(), "n": 3, "start": 1},
        {
            "ids": BOTH(
                TENSOR((2,), floating=False),
                VALUES(("empty batch", ids()[:0]), ("negative id", -ids())),
            ),
            "n": BOTH(INT(1), VALUES(("longer than ids", 7), ("absurd", 10**12))),
            "start": BOTH(INT(0), VALUES(("past the end", 6), ("absurd", 10**12))),
        },
    ),
    Case(
        "llmviz.decoding.greedy",
        greedy,
        lambda: {
            "next_token_logits": next_token_logits,
            "input_ids": ids(),
            "max_new_tokens": 3,
            "eos_token_id": 0,
        },
        {
            "next_token_logits": BOTH(
                CALLABLE(),
                VALUES(
                    ("returns (B, T, V)", logits_fn),
                    ("returns a list", lambda x: TABLE[x[:, -1]].tolist()),
                    ("returns NaN", lambda x: TABLE[x[:, -1]] * NAN),
                ),
            ),
            "input_ids": DECODER_IDS,
            "max_new_tokens": MAX_NEW_TOKENS,
            "eos_token_id": EOS,
        },
    ),
    Case(
        "llmviz.decoding.sample",
        sample,
        lambda: {
            "next_token_logits": next_token_logits,
            "input_ids": ids(),
            "max_new_tokens": 3,
            "temperature": 0.9,
            "top_k": 5,
            "top_p": 0.95,
            "min_p": 0.01,
            "eos_token_id": 0,
            "generator": torch.Generator().manual_seed(0),
        },
        {
            "next_token_logits": CALLABLE(),
            "input_ids": DECODER_IDS,
            "max_new_tokens": MAX_NEW_TOKENS,
            "temperature": REAL(0, INF, open_min=True),
            "top_k": INT(1, none=True),
            "top_p": REAL(0, 1, open_min=True, none=True),
            "min_p": REAL(0, 1, none=True),
            "eos_token_id": EOS,
            "generator": GENERATOR,
        },
    ),
    Case(
        "llmviz.decoding.beam_search",
        beam_search,
        lambda: {
            "next_token_logits": next_token_logits,
            "input_ids": ids(1),
            "num_beams": 3,
            "max_new_tokens": 4,
            "length_penalty": 1.0,
            "early_stopping": "never",
            "eos_token_id": 0,
            "num_return_sequences": 2,
        },
        {
            "next_token_logits": BOTH(
                CALLABLE(),
                VALUES(
                    ("returns (B, T, V)", logits_fn),
                    ("returns NaN", lambda x: TABLE[x[:, -1]] * NAN),
                ),
            ),
            "input_ids": BOTH(
                INPUT_IDS,
                VALUES(("two prompts", ids(2)), ("id outside", ids(1) + V)),
            ),
            "num_beams": INT(1),
            "max_new_tokens": MAX_NEW_TOKENS,
            "length_penalty": REAL(),
            "early_stopping": BOTH(
                CHOICE(True, False, "never"), VALUES(("int", 1), ("str", "True"))
            ),
            "eos_token_id": EOS,
            "num_return_sequences": BOTH(INT(1), VALUES(("above num_beams", 4))),
        },
    ),
    Case(
        "llmviz.decoding.vote_counts",
        vote_counts,
        lambda: {"answers": [3, 5, 3]},
        {"answers": ANSWERS},
    ),
    Case(
        "llmviz.decoding.majority_vote",
        majority_vote,
        lambda: {"answers": [3, 5, 3]},
        {"answers": ANSWERS},
    ),
    Case(
        "llmviz.decoding.best_of_n",
        best_of_n,
        lambda: {"candidates": ["a", "b", "c"], "scores": [0.1, 0.9, 0.3]},
        {"candidates": SEQUENCE, "scores": SCORES},
    ),
    Case(
        "llmviz.decoding.noisy_adder",
        noisy_adder,
        lambda: {
            "a": 17,
            "b": 25,
            "p_correct": 0.4,
            "generator": torch.Generator().manual_seed(0),
        },
        {
            "a": INT(None),
            "b": INT(None),
            "p_correct": REAL(0, 1),
            "generator": BOTH(GENERATOR, VALUES(("None", None))),
        },
    ),
    Case(
        "llmviz.decoding.accuracy_against_n",
        accuracy_against_n,
        lambda: {
            "p_correct": 0.4,
            "ns": [1, 3],
            "trials": 20,
            "seed": 0,
            "verifier": lambda answers, truths: (answers == truths).float(),
        },
        {
            "p_correct": REAL(0, 1),
            "ns": BOTH(
                SEQUENCE,
                VALUES(
                    ("zero N", [1, 0]),
                    ("float N", [1, 2.5]),
                    ("str N", ["1"]),
                    ("absurd N", [10**12]),
                    ("too many draws", [MAX_DRAWS]),
                ),
            ),
            "trials": INT(1, MAX_DRAWS),
            "seed": BOTH(INT(0), VALUES(("too large", 2**64))),
            "verifier": BOTH(
                CALLABLE(none=True),
                VALUES(
                    ("returns the wrong shape", lambda answers, truths: truths),
                    ("returns a str", lambda answers, truths: "best"),
                    ("returns NaN", lambda answers, truths: answers * NAN),
                ),
            ),
        },
    ),
    Case(
        "llmviz.viz.beam_tree_figure",
        beam_tree_figure,
        lambda: {"tree": tree(), "label": str, "title": "beams", "steps": 2},
        {
            "tree": TREE,
            "label": BOTH(CALLABLE(), VALUES(("returns an int", lambda token: token))),
            "title": TEXT(none=True),
            "steps": INT(0, 3, none=True),  # the tree has 3 steps
        },
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
