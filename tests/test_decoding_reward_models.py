"""Chapter 8's outcome and process reward models (llmviz.decoding.reward_models): the
combining rules against their definitions, column addition against the step rule
d_i + 10 c_i = a_i + b_i + c_{i-1} recomputed by hand, the simulated scores against
their formula, and best-of-N invariants (a noiseless ORM is the oracle; a noiseless
PRM's min misses the oracle only on problems whose right answers are all lucky)."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.decoding import majority_vote
from llmviz.decoding.reward_experiment import _majority_right, reward_accuracy_against_n
from llmviz.decoding.reward_models import (
    COMBINE_RULES,
    SEPARATION,
    column_addition,
    combine_steps,
    outcome_reward,
    process_reward,
    solution_kinds,
)

NS = [1, 2, 4, 8]

# --- combine_steps --------------------------------------------------------------------


def test_combine_rules_on_a_hand_example():
    scores = torch.tensor([0.9, 0.2, 0.8])
    assert combine_steps(scores, "min").item() == pytest.approx(0.2)
    assert combine_steps(scores, "product").item() == pytest.approx(0.9 * 0.2 * 0.8)
    assert combine_steps(scores, "last").item() == pytest.approx(0.8)
    assert combine_steps(scores, "mean").item() == pytest.approx((0.9 + 0.2 + 0.8) / 3)


def test_combine_rules_act_on_the_last_dimension():
    scores = torch.tensor([[[0.5, 1.0], [0.1, 0.3]]])  # (1, 2 solutions, 2 steps)
    assert combine_steps(scores, "min")[0].tolist() == pytest.approx([0.5, 0.1])
    assert combine_steps(scores, "last")[0].tolist() == pytest.approx([1.0, 0.3])


unit = st.floats(0, 1, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(st.lists(unit, min_size=1, max_size=12))
def test_product_below_min_below_mean(values):
    scores = torch.tensor(values)
    product, low = combine_steps(scores, "product"), combine_steps(scores, "min")
    mean = combine_steps(scores, "mean")
    assert product <= low + 1e-6  # each factor is at most 1
    assert low <= mean + 1e-6 and mean <= scores.max() + 1e-6
    assert low <= combine_steps(scores, "last") + 1e-6
    assert product.item() == pytest.approx(math.prod(values), rel=1e-4, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(unit)
def test_one_step_every_rule_agrees(value):
    scores = torch.tensor([value])
    assert {combine_steps(scores, r).item() for r in COMBINE_RULES} == {scores.item()}


# --- column_addition ------------------------------------------------------------------


def by_hand(a: int, b: int, written: list[int], carries: list[int]) -> list[bool]:
    """Each step's correctness from the definition, with the carry the solver wrote."""
    carry, right = 0, []
    for i, (d, c) in enumerate(zip(written, carries, strict=True)):
        column = a // 10**i % 10 + b // 10**i % 10 + carry
        right.append(d + 10 * c == column)
        carry = c
    return right


def test_steps_follow_the_definition():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randint(0, 10**5, (2, 30), generator=gen)
    out = column_addition(a, b, 20, 0.3, gen, digits=5)
    for p in range(30):
        for s in range(20):
            written, carries = (
                out["digits"][p, s].tolist(),
                out["carries"][p, s].tolist(),
            )
            right = by_hand(int(a[p]), int(b[p]), written, carries)
            assert out["steps_correct"][p, s].tolist() == right
            value = sum(d * 10**i for i, d in enumerate(written)) + carries[-1] * 10**5
            assert out["answers"][p, s].item() == value


@given(st.integers(0, 9999), st.integers(0, 9999))
@settings(max_examples=30, deadline=None)
def test_no_error_is_exact_addition(a, b):
    out = column_addition(
        torch.tensor([a]), torch.tensor([b]), 3, 0.0, torch.Generator()
    )
    assert out["answers"].tolist() == [[a + b] * 3]
    assert bool(out["steps_correct"].all())


def test_step_error_rate_and_one_wrong_step_is_never_lucky():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randint(0, 10**4, (2, 500), generator=gen)
    out = column_addition(a, b, 40, 0.2, gen)
    wrong = ~out["steps_correct"]
    sd = math.sqrt(0.2 * 0.8 / wrong.numel())
    assert abs(wrong.float().mean().item() - 0.2) < 5 * sd
    right = out["answers"] == (a + b)[:, None]
    assert not bool((right & (wrong.sum(-1) == 1)).any())  # one error always shows
    assert bool((right & (wrong.sum(-1) >= 2)).any())  # two can cancel


def test_every_step_wrong_at_step_error_one():
    out = column_addition(
        torch.tensor([5]), torch.tensor([7]), 10, 1.0, torch.Generator()
    )
    assert not bool(out["steps_correct"].any())


# --- the simulated reward models ------------------------------------------------------


def test_noiseless_scores_are_the_sigmoid_of_the_separation():
    labels = torch.tensor([[True, False, True]])
    expected = torch.sigmoid(torch.tensor([[SEPARATION, -SEPARATION, SEPARATION]]))
    for reward in (outcome_reward, process_reward):
        assert torch.equal(reward(labels, 0.0, torch.Generator()), expected)


def test_noise_is_normal_with_the_given_scale_on_the_logit():
    labels = torch.rand(40_000, generator=torch.Generator().manual_seed(2)) < 0.5
    scores = process_reward(labels, 1.5, torch.Generator().manual_seed(3)).double()
    z = (scores.logit() - SEPARATION * (2 * labels.double() - 1)) / 1.5
    assert abs(z.mean().item()) < 5 / math.sqrt(len(z))
    assert abs(z.std().item() - 1) < 0.03


def test_solution_kinds_add_up_and_match_a_hand_example():
    steps = torch.tensor([[True, True], [False, False], [True, False], [False, False]])
    right = torch.tensor([True, True, False, False])
    kinds = solution_kinds(steps, right)
    assert kinds == {"step_perfect": 1, "lucky": 1, "one_bad_step": 1,
                     "wrong_after_more": 1}  # fmt: skip


# --- best-of-N ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=5, max_size=5), min_size=1,
                max_size=6))  # fmt: skip
def test_vectorised_vote_equals_majority_vote(rows):
    answers = torch.tensor(rows)
    truths = torch.tensor([row[0] for row in rows])  # "right" = the first answer
    expected = [majority_vote(row) == row[0] for row in rows]
    assert _majority_right(answers, truths).tolist() == expected


def test_noiseless_orm_is_the_oracle_and_noiseless_prm_min_nearly():
    out = reward_accuracy_against_n(NS, trials=600, orm_noise=0.0, prm_noise=0.0)
    lucky_share = out["kinds"]["lucky"] / 600  # an upper bound on problems with one
    for n in NS:
        row = out["accuracy"][n]
        assert row["orm"] == row["oracle"]
        assert 0 <= row["oracle"] - row["prm_min"] <= lucky_share + 1e-9


def test_one_digit_no_luck_so_noiseless_prm_min_is_the_oracle():
    out = reward_accuracy_against_n(NS, digits=1, trials=600, prm_noise=0.0)
    assert out["kinds"]["lucky"] == 0
    assert all(
        out["accuracy"][n]["prm_min"] == out["accuracy"][n]["oracle"] for n in NS
    )


def test_oracle_follows_the_binomial_at_one_digit():
    # one step: the answer is right iff the step is, so pass@N = 1 − ε^N
    out = reward_accuracy_against_n(NS, digits=1, step_error=0.5, trials=4000)
    for n in NS:
        exact = 1 - 0.5**n
        sd = math.sqrt(exact * (1 - exact) / 4000) + 1e-9
        assert abs(out["accuracy"][n]["oracle"] - exact) < 5 * sd


def test_first_sample_is_the_same_for_every_scorer():
    row = reward_accuracy_against_n(NS, trials=300)["accuracy"][1]
    assert len(set(row.values())) == 1


def test_seeded_reruns_are_identical_and_seeds_differ():
    one = reward_accuracy_against_n(NS, trials=300, seed=4)
    assert one == reward_accuracy_against_n(NS, trials=300, seed=4)
    assert one != reward_accuracy_against_n(NS, trials=300, seed=5)
