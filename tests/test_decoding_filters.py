"""Chapter decoding: temperature, top-k, top-p and min-p against Hugging Face's logits
warpers (same kept tokens, same values), the order ``generate`` applies them in, the
invariants of a sampling distribution, and every error message."""

import json
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.generation.logits_process import (
    LogitsProcessorList,
    MinPLogitsWarper,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from llmviz.decoding.distribution import (
    ORDER_NAMES,
    ORDERS,
    entropy,
    sampling_distribution,
)
from llmviz.decoding.filters import (
    apply_temperature,
    min_p_filter,
    top_k_filter,
    top_p_filter,
)

NEG_INF = -float("inf")


def random_logits(batch=8, vocab=50, seed=0, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, vocab, generator=generator) * scale


ADVERSARIAL = {
    "ties": torch.tensor(
        [[3.0, 1.0, 1.0, 0.5, -1.0, 2.0], [1.0, 1.0, 1.0, 0.0, 0.0, 2.0]]
    ),
    "dominant": torch.tensor([[100.0, 0.0, 0.0, 0.0, -1.0, 0.5]]),
    "all_equal": torch.zeros(2, 6),
    "huge_gap": torch.tensor([[0.0, -200.0, -200.0, 5.0, -300.0, 1.0]]),
}


def assert_same_as_hf(ours, expected):
    """The kept tokens are exactly the same, and so are the values."""
    assert torch.equal(ours != NEG_INF, expected != NEG_INF)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=0)


# --- each filter against its Hugging Face warper ------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.7, 1.0, 2.5])
def test_temperature_equals_hf(temperature):
    logits = random_logits()
    expected = TemperatureLogitsWarper(temperature)(None, logits)
    assert_same_as_hf(apply_temperature(logits, temperature), expected)


@pytest.mark.parametrize("top_k", [1, 2, 5, 49, 50, 80])
@pytest.mark.parametrize("min_tokens_to_keep", [1, 3, 10])
def test_top_k_equals_hf(top_k, min_tokens_to_keep):
    logits = random_logits(seed=top_k)
    warper = TopKLogitsWarper(top_k, min_tokens_to_keep=min_tokens_to_keep)
    ours = top_k_filter(logits, top_k, min_tokens_to_keep=min_tokens_to_keep)
    assert_same_as_hf(ours, warper(None, logits))


@pytest.mark.parametrize("top_p", [0.05, 0.3, 0.9, 0.99, 1.0])
@pytest.mark.parametrize("min_tokens_to_keep", [1, 3, 10])
def test_top_p_equals_hf(top_p, min_tokens_to_keep):
    logits = random_logits(seed=int(top_p * 100))
    warper = TopPLogitsWarper(top_p, min_tokens_to_keep=min_tokens_to_keep)
    ours = top_p_filter(logits, top_p, min_tokens_to_keep=min_tokens_to_keep)
    assert_same_as_hf(ours, warper(None, logits))


@pytest.mark.parametrize("min_p", [0.0, 0.01, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("min_tokens_to_keep", [1, 3, 10])
def test_min_p_equals_hf(min_p, min_tokens_to_keep):
    logits = random_logits(seed=int(min_p * 100) + 7)
    warper = MinPLogitsWarper(min_p, min_tokens_to_keep=min_tokens_to_keep)
    ours = min_p_filter(logits, min_p, min_tokens_to_keep=min_tokens_to_keep)
    assert_same_as_hf(ours, warper(None, logits))


@pytest.mark.parametrize("name", list(ADVERSARIAL))
@pytest.mark.parametrize("min_tokens_to_keep", [1, 2])
def test_adversarial_inputs_equal_hf(name, min_tokens_to_keep):
    logits = ADVERSARIAL[name]
    keep = {"min_tokens_to_keep": min_tokens_to_keep}
    for top_k in (1, 2, 3):
        expected = TopKLogitsWarper(top_k, **keep)(None, logits)
        assert_same_as_hf(top_k_filter(logits, top_k, **keep), expected)
    for top_p in (0.1, 0.5, 0.9, 1.0):
        expected = TopPLogitsWarper(top_p, **keep)(None, logits)
        assert_same_as_hf(top_p_filter(logits, top_p, **keep), expected)
    for min_p in (0.0, 0.2, 0.9, 1.0):
        expected = MinPLogitsWarper(min_p, **keep)(None, logits)
        assert_same_as_hf(min_p_filter(logits, min_p, **keep), expected)


def test_top_k_keeps_ties_at_the_kth_value():
    logits = torch.tensor([3.0, 1.0, 1.0, 0.5, -1.0, 2.0])
    kept = top_k_filter(logits, top_k=3) != NEG_INF
    assert kept.tolist() == [True, True, True, False, False, True]  # 4 tokens for k=3


def test_custom_filter_value_equals_hf():
    logits = random_logits(batch=3, vocab=20)
    for ours, warper in [
        (top_k_filter(logits, 4, filter_value=-1e4), TopKLogitsWarper(4, -1e4)),
        (top_p_filter(logits, 0.5, filter_value=-1e4), TopPLogitsWarper(0.5, -1e4)),
        (min_p_filter(logits, 0.2, filter_value=-1e4), MinPLogitsWarper(0.2, -1e4)),
    ]:
        assert torch.equal(ours, warper(None, logits))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    batch=st.integers(1, 5),
    vocab=st.integers(1, 40),
    top_k=st.integers(1, 45),
    top_p=st.floats(0.01, 1.0),
    min_p=st.floats(0.0, 1.0),
)
def test_batched_equals_row_by_row(seed, batch, vocab, top_k, top_p, min_p):
    logits = random_logits(batch, vocab, seed)
    for apply in (
        lambda z: top_k_filter(z, top_k),
        lambda z: top_p_filter(z, top_p),
        lambda z: min_p_filter(z, min_p),
        lambda z: apply_temperature(z, 0.7),
    ):
        rows = torch.stack([apply(row) for row in logits])
        assert torch.equal(apply(logits), rows)


# --- the combined distribution ------------------------------------------------------


@pytest.mark.parametrize(
    "temperature, top_k, top_p, min_p",
    [
        (0.7, 10, 0.9, 0.05),
        (1.5, 40, 0.5, 0.1),
        (0.3, 3, 0.99, 0.0),
        (2.0, 50, 0.2, 0.3),
    ],
)
def test_hf_order_equals_logits_processor_list(temperature, top_k, top_p, min_p):
    processors = LogitsProcessorList(
        [
            TemperatureLogitsWarper(temperature),
            TopKLogitsWarper(top_k),
            TopPLogitsWarper(top_p),
            MinPLogitsWarper(min_p),
        ]
    )
    for row in random_logits(batch=6, vocab=50, seed=11):
        expected = processors(None, row[None])[0]
        out = sampling_distribution(row, temperature, top_k, top_p, min_p)
        assert_same_as_hf(out["logits"], expected)
        assert torch.equal(out["kept"], expected != NEG_INF)
        torch.testing.assert_close(
            out["probs"], expected.softmax(-1), atol=1e-6, rtol=0
        )


@pytest.mark.parametrize("order", ["hf", "notes"])
def test_distribution_invariants(order):
    for row in random_logits(batch=6, vocab=30, seed=3):
        out = sampling_distribution(
            row, 0.8, top_k=12, top_p=0.9, min_p=0.02, order=order
        )
        assert math.isclose(out["probs"].sum().item(), 1.0, abs_tol=1e-6)
        assert torch.equal(out["probs"] > 0, out["kept"])
        original = row.softmax(-1)
        assert math.isclose(out["kept_mass"], original[out["kept"]].sum().item())
        assert 0.0 <= out["entropy"] <= math.log(out["kept"].sum().item()) + 1e-6
        assert math.isclose(out["entropy"], entropy(out["probs"]).item())


def test_top_p_one_and_top_k_vocab_keep_everything():
    for row in random_logits(batch=4, vocab=30, seed=5):
        for kwargs in ({"top_p": 1.0}, {"top_k": 30}, {"min_p": 0.0}, {}):
            out = sampling_distribution(row, **kwargs)
            assert out["kept"].all()
            assert math.isclose(out["kept_mass"], 1.0, abs_tol=1e-6)
            torch.testing.assert_close(out["probs"], row.softmax(-1))


def test_small_temperature_approaches_greedy():
    row = random_logits(batch=1, vocab=30, seed=9)[0]
    one_hot = torch.nn.functional.one_hot(row.argmax(), 30).float()
    out = sampling_distribution(row, temperature=1e-3)
    torch.testing.assert_close(out["probs"], one_hot, atol=1e-6, rtol=0)
    assert out["entropy"] < 1e-6
    entropies = [sampling_distribution(row, t)["entropy"] for t in (2.0, 1.0, 0.5, 0.1)]
    assert entropies == sorted(entropies, reverse=True)


def test_entropy_of_uniform_and_one_hot():
    assert math.isclose(
        entropy(torch.full((8,), 1 / 8)).item(), math.log(8), rel_tol=1e-6
    )
    assert entropy(torch.tensor([0.0, 1.0, 0.0])).item() == 0.0
    assert entropy(torch.full((3, 4), 0.25)).shape == (3,)


def test_top_k_alone_does_not_depend_on_order():
    for row in random_logits(batch=5, vocab=40, seed=2):
        hf = sampling_distribution(row, 0.5, top_k=7, order="hf")
        notes = sampling_distribution(row, 0.5, top_k=7, order="notes")
        assert torch.equal(hf["kept"], notes["kept"])


def find_order_difference(temperature, top_p, vocab=12, seeds=200):
    """The first seed whose logits keep other tokens under the two orders."""
    for seed in range(seeds):
        row = random_logits(batch=1, vocab=vocab, seed=seed)[0]
        hf = sampling_distribution(row, temperature, top_p=top_p, order="hf")
        notes = sampling_distribution(row, temperature, top_p=top_p, order="notes")
        if not torch.equal(hf["kept"], notes["kept"]):
            return row, hf, notes
    return None


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_the_two_orders_can_keep_different_tokens(temperature):
    found = find_order_difference(temperature, top_p=0.8)
    assert found is not None
    row, hf, notes = found
    # T < 1 sharpens before top-p in HF's order, so fewer tokens reach 0.8; T > 1 more.
    fewer = hf["kept"].sum() < notes["kept"].sum()
    assert fewer == (temperature < 1)
    assert not torch.allclose(hf["probs"], notes["probs"])


# --- bad input ----------------------------------------------------------------------


LOGITS = torch.tensor([1.0, 2.0, 3.0])


@pytest.mark.parametrize("temperature", [0, 0.0, -1.0])
def test_temperature_not_positive_points_to_greedy(temperature):
    with pytest.raises(ValueError, match=r"temperature must be .*> 0.*greedy decoding"):
        apply_temperature(LOGITS, temperature)
    with pytest.raises(ValueError, match="greedy decoding"):
        sampling_distribution(LOGITS, temperature=temperature)


def test_temperature_bad_values():
    with pytest.raises(ValueError, match="temperature must be a finite number"):
        apply_temperature(LOGITS, float("inf"))
    with pytest.raises(TypeError, match="temperature must be a real number"):
        apply_temperature(LOGITS, "1.0")


@pytest.mark.parametrize("top_p", [0, 0.0, -0.1, 1.5])
def test_top_p_outside_unit_interval(top_p):
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\], got"):
        top_p_filter(LOGITS, top_p)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        sampling_distribution(LOGITS, top_p=top_p)


@pytest.mark.parametrize("min_p", [-0.1, 1.01])
def test_min_p_outside_closed_unit_interval(min_p):
    with pytest.raises(ValueError, match=r"min_p must be in \[0, 1\], got"):
        min_p_filter(LOGITS, min_p)


def test_top_k_below_one_or_not_integer():
    with pytest.raises(ValueError, match="top_k must be an integer >= 1, got 0"):
        top_k_filter(LOGITS, 0)
    with pytest.raises(TypeError, match="top_k must be an integer, got 2.5"):
        top_k_filter(LOGITS, 2.5)
    with pytest.raises(TypeError, match="top_p must be a real number"):
        top_p_filter(LOGITS, None)


@pytest.mark.parametrize(
    "apply",
    [
        lambda k: top_k_filter(LOGITS, 2, min_tokens_to_keep=k),
        lambda k: top_p_filter(LOGITS, 0.5, min_tokens_to_keep=k),
        lambda k: min_p_filter(LOGITS, 0.5, min_tokens_to_keep=k),
    ],
)
def test_min_tokens_to_keep_below_one(apply):
    with pytest.raises(
        ValueError, match="min_tokens_to_keep must be an integer >= 1, got 0"
    ):
        apply(0)


def test_unknown_order():
    with pytest.raises(
        ValueError, match=r"order must be one of \['hf', 'notes'\], got 'vllm'"
    ):
        sampling_distribution(LOGITS, order="vllm")


def test_bad_logits():
    with pytest.raises(TypeError, match="logits must be a torch.Tensor, got list"):
        top_k_filter([1.0, 2.0], 1)
    with pytest.raises(
        TypeError, match="logits must be a floating-point tensor, got torch.int64"
    ):
        top_p_filter(torch.tensor([1, 2]), 0.5)
    with pytest.raises(ValueError, match=r"logits must have 1 or 2 dimensions"):
        min_p_filter(torch.zeros(2, 2, 2), 0.1)
    with pytest.raises(ValueError, match=r"logits must have 1 dimension,"):
        sampling_distribution(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="probs must be a torch.Tensor"):
        entropy([0.5, 0.5])


CHAPTER = Path(__file__).resolve().parent.parent / "notebooks" / "08_decoding.ipynb"


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def test_each_order_has_a_name_in_words():
    assert set(ORDER_NAMES) == set(ORDERS)
    for order, name in ORDER_NAMES.items():
        assert order not in name.split()  # not the internal label ("notes", "hf")
        assert "temperature" in name  # says where the temperature goes


def test_the_chapter_names_the_orders_in_words():
    # It printed "notes order keeps 4 words" before: an internal label.
    cell = next(s for s in code_cells(CHAPTER) if "order=order" in s)
    assert "ORDER_NAMES[order]" in cell
    # the figure's legend names them; a print must not show an internal label
    printed = [line for line in cell.splitlines() if "print(" in line]
    assert not any("{order" in line for line in printed)
