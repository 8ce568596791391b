"""Greedy decoding, sampling and beam search against Hugging Face ``generate`` on a
tiny GPT-2."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
import torch

from llmviz.decoding.beam import beam_search
from llmviz.decoding.search import greedy, sample

transformers = pytest.importorskip("transformers")

MAX_NEW_TOKENS = 6


@pytest.fixture(scope="module")
def model():
    config = transformers.GPT2Config(
        n_layer=2,
        n_embd=32,
        n_head=2,
        vocab_size=50,
        n_positions=64,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
        initializer_range=0.3,  # peakier than GPT-2's 0.02, so the beams differ
    )
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(config).eval()


@pytest.fixture(scope="module")
def prompt():
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 50, (1, 5), generator=generator)


def scorer(model):
    return lambda ids: model(ids).logits[:, -1]


@torch.no_grad()
def hf_beam(model, ids, num_beams, eos_token_id=None, **kwargs):
    return model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        num_beams=num_beams,
        do_sample=False,
        max_new_tokens=kwargs.pop("max_new_tokens", MAX_NEW_TOKENS),
        output_scores=True,
        return_dict_in_generate=True,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
        **kwargs,
    )


@pytest.fixture(scope="module")
def eos(model, prompt):
    """A token that ends some, but not all, beams: searched, not typed in."""
    plain = hf_beam(model, prompt, 4, num_return_sequences=4).sequences
    for token in dict.fromkeys(plain[:, prompt.shape[1] :].flatten().tolist()):
        out = hf_beam(model, prompt, 4, eos_token_id=token, num_return_sequences=4)
        generated = out.sequences[:, prompt.shape[1] :]
        early = (generated[:, :-1] == token).any(dim=1)  # finished before the end
        if early.any() and not early.all():
            return token
    pytest.fail("no token in the vocabulary ends some beams early")


SETTINGS = list(itertools.product([2, 4], [0.0, 1.0, 2.0], [True, False, "never"]))


@pytest.mark.parametrize("use_eos", [False, True])
@pytest.mark.parametrize(("num_beams", "length_penalty", "early_stopping"), SETTINGS)
def test_beam_search_matches_hf(
    model, prompt, eos, use_eos, num_beams, length_penalty, early_stopping
):
    eos_token_id = eos if use_eos else None
    options = dict(
        length_penalty=length_penalty,
        early_stopping=early_stopping,
        eos_token_id=eos_token_id,
        num_return_sequences=num_beams,
    )
    expected = hf_beam(model, prompt, num_beams, **options)
    ours = beam_search(scorer(model), prompt, num_beams, MAX_NEW_TOKENS, **options)
    assert torch.equal(ours["sequences"], expected.sequences)
    torch.testing.assert_close(
        ours["sequences_scores"], expected.sequences_scores, atol=1e-5, rtol=0
    )


def test_eos_setting_finishes_beams_early(model, prompt, eos):
    out = beam_search(scorer(model), prompt, 4, MAX_NEW_TOKENS, eos_token_id=eos)
    statuses = [c["status"] for step in out["tree"][:-1] for c in step]
    assert "finished" in statuses


@pytest.mark.parametrize("num_return_sequences", [1, 2])
def test_fewer_return_sequences_are_the_best(model, prompt, eos, num_return_sequences):
    options = dict(eos_token_id=eos, num_return_sequences=num_return_sequences)
    expected = hf_beam(model, prompt, 4, **options)
    ours = beam_search(scorer(model), prompt, 4, MAX_NEW_TOKENS, **options)
    assert torch.equal(ours["sequences"], expected.sequences)
    torch.testing.assert_close(
        ours["sequences_scores"], expected.sequences_scores, atol=1e-5, rtol=0
    )


@torch.no_grad()
@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 2.0])
def test_scores_are_penalised_sums_of_log_probs(model, prompt, length_penalty):
    out = beam_search(
        scorer(model), prompt, 3, 5, length_penalty, num_return_sequences=3
    )
    for ids, score in zip(out["sequences"], out["sequences_scores"], strict=True):
        log_probs = torch.log_softmax(model(ids[None]).logits[0, :-1], dim=-1)
        picked = log_probs.gather(1, ids[1:, None])[prompt.shape[1] - 1 :]
        n = len(picked)
        torch.testing.assert_close(
            score, picked.sum() / n**length_penalty, atol=1e-5, rtol=0
        )


def test_tree_records_every_step(model, prompt):
    out = beam_search(scorer(model), prompt, 3, 4)
    assert len(out["tree"]) == 4
    for step in out["tree"]:
        assert len(step) == 6  # 2 * num_beams candidates
        assert [c["score"] for c in step] == sorted(
            (c["score"] for c in step), reverse=True
        )
    assert sum(c["status"] == "running" for c in out["tree"][0]) == 3
    assert all(c["parent"] == 0 for c in out["tree"][0])  # one beam: the prompt
    assert sum(c["status"] == "finished" for c in out["tree"][-1]) == 3


@torch.no_grad()
@pytest.mark.parametrize("use_eos", [False, True])
def test_greedy_matches_hf(model, eos, use_eos):
    ids = torch.randint(0, 50, (2, 4), generator=torch.Generator().manual_seed(2))
    eos_token_id = eos if use_eos else None
    expected = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        do_sample=False,
        max_new_tokens=MAX_NEW_TOKENS,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
    )
    ours = greedy(scorer(model), ids, MAX_NEW_TOKENS, eos_token_id=eos_token_id)
    assert torch.equal(ours, expected)


SAMPLERS = [
    dict(temperature=1.0),  # pure sampling
    dict(temperature=0.7, top_k=5),
    dict(temperature=1.3, top_p=0.8),
    dict(temperature=0.9, top_k=10, top_p=0.9, min_p=0.05),
]


def hf_sample(model, ids, eos_token_id, settings, seed=0):
    torch.manual_seed(seed)
    return model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        do_sample=True,
        max_new_tokens=12,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
        top_k=settings.get("top_k", 0),  # HF's default is 50; 0 turns it off
        **{key: value for key, value in settings.items() if key != "top_k"},
    )


@torch.no_grad()
@pytest.mark.parametrize("use_eos", [False, True])
@pytest.mark.parametrize("settings", SAMPLERS)
def test_sample_matches_hf_with_the_same_seed(model, use_eos, settings):
    ids = torch.randint(0, 50, (3, 4), generator=torch.Generator().manual_seed(3))
    eos_token_id = None
    if use_eos:  # the token row 0 draws at step 4: that row stops there
        eos_token_id = hf_sample(model, ids, None, settings)[0, 4 + 3].item()
    expected = hf_sample(model, ids, eos_token_id, settings)
    torch.manual_seed(0)
    ours = sample(scorer(model), ids, 12, eos_token_id=eos_token_id, **settings)
    assert torch.equal(ours, expected)
    if use_eos:
        assert (ours[0, 4 + 3 :] == eos_token_id).all()


def test_sample_is_reproducible_and_follows_the_filters(model):
    ids = torch.zeros(64, 1, dtype=torch.long)
    runs = [
        sample(
            scorer(model), ids, 3, top_k=2, generator=torch.Generator().manual_seed(7)
        )
        for _ in range(2)
    ]
    assert torch.equal(runs[0], runs[1])
    first = scorer(model)(ids[:1])[0]
    assert set(runs[0][:, 1].tolist()) <= set(first.topk(2).indices.tolist())
    one = sample(scorer(model), ids[:2], 5, top_k=1)
    assert torch.equal(one, greedy(scorer(model), ids[:2], 5))  # top_k=1 is greedy


@pytest.mark.parametrize("use_eos", [False, True])
def test_one_beam_is_greedy(model, prompt, eos, use_eos):
    # With an EOS, one beam equals greedy only when it stops at the first finished one.
    eos_token_id = eos if use_eos else None
    out = beam_search(
        scorer(model), prompt, 1, 8, early_stopping=True, eos_token_id=eos_token_id
    )
    expected = greedy(scorer(model), prompt, 8, eos_token_id=eos_token_id)
    assert torch.equal(out["sequences"], expected)


def test_no_new_tokens_returns_the_prompt(model, prompt):
    out = beam_search(scorer(model), prompt, 2, 0, num_return_sequences=2)
    assert torch.equal(out["sequences"], prompt.repeat(2, 1))
    assert torch.equal(greedy(scorer(model), prompt, 0), prompt)


def uniform(ids):
    return torch.zeros(ids.shape[0], 5)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(num_beams=0), ValueError, "num_beams must be an integer >= 1, got 0"),
        (dict(num_beams=2.0), TypeError, "num_beams must be an integer"),
        (dict(num_return_sequences=3), ValueError, r"num_return_sequences \(3\)"),
        (dict(max_new_tokens=-1), ValueError, "max_new_tokens must be an integer >= 0"),
        (dict(input_ids=torch.zeros(2, 3, dtype=torch.long)), ValueError, r"\(1, T\)"),
        (
            dict(input_ids=torch.zeros(3, dtype=torch.long)),
            ValueError,
            "input_ids must have 2 dimensions",
        ),
        (dict(input_ids=torch.zeros(1, 3)), TypeError, "integer tensor"),
        (dict(early_stopping="sometimes"), ValueError, "True, False or 'never'"),
        (dict(length_penalty="1"), TypeError, "length_penalty must be a real"),
        (dict(eos_token_id=-1), ValueError, "eos_token_id must be an integer >= 0"),
        (dict(next_token_logits=3), TypeError, "next_token_logits must be callable"),
        (
            dict(next_token_logits=lambda ids: torch.zeros(5)),
            ValueError,
            r"must return logits of shape \(1, V\)",
        ),
    ],
)
def test_beam_search_errors(kwargs, error, message):
    arguments = dict(
        next_token_logits=uniform,
        input_ids=torch.zeros(1, 3, dtype=torch.long),
        num_beams=2,
        max_new_tokens=2,
    )
    with pytest.raises(error, match=message):
        beam_search(**(arguments | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(max_new_tokens=-1), ValueError, "max_new_tokens must be an integer >= 0"),
        (
            dict(input_ids=torch.zeros(3, dtype=torch.long)),
            ValueError,
            "input_ids must have 2 dimensions",
        ),
        (dict(eos_token_id=1.5), TypeError, "eos_token_id must be an integer"),
        (dict(next_token_logits=None), TypeError, "next_token_logits must be callable"),
    ],
)
def test_greedy_errors(kwargs, error, message):
    arguments = dict(
        next_token_logits=uniform,
        input_ids=torch.zeros(2, 3, dtype=torch.long),
        max_new_tokens=2,
    )
    with pytest.raises(error, match=message):
        greedy(**(arguments | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(temperature=0), ValueError, "greedy decoding"),
        (dict(top_p=1.5), ValueError, "top_p must"),
        (dict(top_k=0), ValueError, "top_k must be an integer >= 1"),
        (dict(min_p=-0.1), ValueError, "min_p must"),
        (dict(generator=0), TypeError, "generator must be a torch.Generator"),
        (dict(max_new_tokens=-1), ValueError, "max_new_tokens must be an integer >= 0"),
    ],
)
def test_sample_errors(kwargs, error, message):
    # max_new_tokens=0: the arguments are checked even when no token is drawn
    arguments = dict(
        next_token_logits=uniform,
        input_ids=torch.zeros(2, 3, dtype=torch.long),
        max_new_tokens=0,
    )
    with pytest.raises(error, match=message):
        sample(**(arguments | kwargs))


def lenient(ids):
    """A bigram model that does not check its ids: it wraps them around V = 4."""
    return torch.eye(4)[ids[:, -1] % 4]


@pytest.mark.parametrize("decode", [greedy, sample, beam_search])
def test_the_prompt_and_eos_are_checked_against_the_vocabulary(decode):
    # The vocabulary shows in the first logits; before, an id or an end token >= V was
    # used silently.
    extra = dict(num_beams=2) if decode is beam_search else {}
    prompt = torch.tensor([[0, 4]])
    with pytest.raises(ValueError, match="input_ids must hold ids below the model's"):
        decode(lenient, prompt, max_new_tokens=2, **extra)
    with pytest.raises(ValueError, match="eos_token_id must be below the model's voc"):
        decode(lenient, prompt % 4, max_new_tokens=2, eos_token_id=4, **extra)
    with pytest.raises(ValueError, match="input_ids must hold token ids >= 0"):
        decode(lenient, prompt - 1, max_new_tokens=2, **extra)


@pytest.mark.parametrize("decode", [greedy, sample, beam_search])
def test_a_model_returning_nan_is_refused(decode):
    extra = dict(num_beams=2) if decode is beam_search else {}
    with pytest.raises(ValueError, match="next_token_logits returned logits with NaN"):
        nan_model = lambda ids: lenient(ids) * float("nan")  # noqa: E731
        decode(nan_model, torch.tensor([[1]]), max_new_tokens=2, **extra)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), -float("inf")])
def test_length_penalty_must_be_finite(alpha):
    # NaN was accepted before: every comparison with a NaN score is False.
    with pytest.raises(ValueError, match="length_penalty must be in"):
        beam_search(lenient, torch.tensor([[1]]), 2, 3, length_penalty=alpha)


def test_absurd_max_new_tokens_is_refused_at_once():
    # 10**12 steps ran until stopped before.
    with pytest.raises(ValueError, match="max_new_tokens must be an integer <= 100000"):
        greedy(lenient, torch.tensor([[1]]), 10**12)


def test_the_chapter_attributes_the_length_penalty_rightly():
    # n^α is Hugging Face's length penalty; the chapter cited GNMT for it, whose
    # penalty is ((5 + |Y|) / 6)^α. Every passage citing GNMT gives GNMT's form.
    chapter = Path(__file__).resolve().parent.parent / "notebooks" / "08_decoding.ipynb"
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    citing = [text for text in texts if "wu2016gnmt" in text]
    assert citing
    for text in citing:
        assert "5 + n" in text, text[:200]
    assert any("Hugging Face" in text and "n^{\\alpha}" in text for text in texts)


def test_scores_are_hf_s_n_to_the_alpha_not_gnmt_s():
    # One beam, no end token: the greedy path 0, 0, 0 of summed log-prob 3 log 0.6.
    table = torch.log(torch.tensor([[0.6, 0.4], [0.6, 0.4]]))
    for alpha in (0.5, 2.0):
        out = beam_search(
            lambda ids: table[ids[:, -1]],
            torch.tensor([[1]]),
            1,
            3,
            length_penalty=alpha,
        )
        total = 3 * math.log(0.6)
        assert math.isclose(
            out["sequences_scores"].item(), total / 3**alpha, rel_tol=1e-6
        )
        assert not math.isclose(
            out["sequences_scores"].item(), total / ((5 + 3) / 6) ** alpha, rel_tol=1e-3
        )
