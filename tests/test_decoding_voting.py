"""Chapter decoding: majority vote and best-of-N on hand examples and properties, the
noisy-adder experiment against what probability says it must give (binomial best-of-N,
single-sample accuracy p, majority vote improving with N), and every error message."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from llmviz.decoding.voting import (
    WRONG_OFFSETS,
    accuracy_against_n,
    best_of_n,
    majority_vote,
    noisy_adder,
    vote_counts,
)

TRIALS = 4000


def tolerance(p: float, trials: int = TRIALS) -> float:
    """Five standard errors of a proportion p estimated from ``trials`` draws."""
    return 5 * math.sqrt(p * (1 - p) / trials) + 1e-9


# --- majority_vote, vote_counts, best_of_n -------------------------------------------


def test_majority_vote_hand_examples():
    assert majority_vote([3, 5, 3]) == 3
    assert majority_vote(["b", "a", "a"]) == "a"
    assert majority_vote([7, 5, 5, 7]) == 7  # tie: first occurrence wins
    assert majority_vote([5, 7, 7, 5]) == 5
    assert majority_vote([1, 2, 3]) == 1


def test_vote_counts_hand_example():
    counts = vote_counts([4, 2, 4, 4, 9])
    assert counts == {4: 3, 2: 1, 9: 1}
    assert list(counts) == [4, 2, 9]  # order of first occurrence


@given(st.integers(-5, 5), st.integers(1, 20))
def test_majority_of_identical_answers(answer, n):
    assert majority_vote([answer] * n) == answer
    assert vote_counts([answer] * n) == {answer: n}


@given(st.lists(st.integers(0, 4), min_size=1, max_size=30), st.randoms())
def test_counts_are_permutation_invariant(answers, rng):
    shuffled = list(answers)
    rng.shuffle(shuffled)
    assert vote_counts(shuffled) == vote_counts(answers)
    assert sum(vote_counts(answers).values()) == len(answers)
    top = max(vote_counts(answers).values())
    assert vote_counts(answers)[majority_vote(shuffled)] == top


def test_best_of_n_hand_examples():
    assert best_of_n(["a", "b", "c"], [0.1, 0.9, 0.5]) == "b"
    assert best_of_n(["a", "b", "c"], [0.1, 0.9, 0.9]) == "b"  # tie: first
    assert best_of_n([10], [-3.0]) == 10
    assert best_of_n([1, 2], [-1.0, -2.0]) == 1


# --- noisy_adder -----------------------------------------------------------------------


def test_noisy_adder_answers_are_correct_or_plausible():
    generator = torch.Generator().manual_seed(1)
    answers = [noisy_adder(20, 22, 0.5, generator) for _ in range(400)]
    assert set(answers) <= {42 + d for d in (0, *WRONG_OFFSETS)}
    assert 42 in answers and len(set(answers)) == 5
    always_wrong = [noisy_adder(20, 22, 0.0, generator) for _ in range(50)]
    assert 42 not in always_wrong


def test_noisy_adder_is_seeded():
    first = [noisy_adder(1, 2, 0.3, torch.Generator().manual_seed(7)) for _ in range(5)]
    again = [noisy_adder(1, 2, 0.3, torch.Generator().manual_seed(7)) for _ in range(5)]
    assert first == again


# --- accuracy_against_n: invariants from probability --------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_best_of_n_with_perfect_verifier_is_binomial(p):
    results = accuracy_against_n(p, [1, 2, 4, 8], trials=TRIALS, seed=3)
    for n, accuracy in results.items():
        expected = 1 - (1 - p) ** n
        assert abs(accuracy["best_of_n"] - expected) <= tolerance(expected)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_single_sample_accuracy_is_p(p):
    for accuracy in accuracy_against_n(p, [1, 5, 16], trials=TRIALS).values():
        assert abs(accuracy["single"] - p) <= tolerance(p)


def test_n_equal_one_makes_every_method_a_single_sample():
    accuracy = accuracy_against_n(0.4, [1], trials=TRIALS, seed=5)[1]
    assert accuracy["single"] == accuracy["majority"] == accuracy["best_of_n"]


def test_majority_vote_improves_with_n_when_p_beats_collisions():
    # p = 0.5 against four wrong answers with 0.125 each: the vote converges to right.
    ns = [1, 3, 7, 15, 31]
    results = accuracy_against_n(0.5, ns, trials=TRIALS, seed=11)
    majority = [results[n]["majority"] for n in ns]
    for smaller, larger in zip(majority[:-1], majority[1:], strict=True):
        assert larger >= smaller - tolerance(0.5)
    assert majority[-1] > majority[0] + 0.3
    for n in ns:  # a perfect verifier is never worse than a vote
        assert results[n]["best_of_n"] >= results[n]["majority"]


def test_p_correct_one_is_perfect_everywhere():
    results = accuracy_against_n(1.0, [1, 2, 3, 32], trials=50)
    for accuracy in results.values():
        assert accuracy == {"single": 1.0, "majority": 1.0, "best_of_n": 1.0}


def test_p_correct_zero_is_never_right():
    for accuracy in accuracy_against_n(0.0, [1, 8], trials=50).values():
        assert accuracy == {"single": 0.0, "majority": 0.0, "best_of_n": 0.0}


def test_same_seed_same_results_other_seed_differs():
    first = accuracy_against_n(0.3, [1, 4, 9], trials=300, seed=42)
    assert accuracy_against_n(0.3, [1, 4, 9], trials=300, seed=42) == first
    assert accuracy_against_n(0.3, [1, 4, 9], trials=300, seed=43) != first


def test_uninformative_verifier_gives_single_sample_accuracy():
    def constant(answers, truths):
        return torch.zeros(answers.shape)

    results = accuracy_against_n(0.3, [1, 8], trials=TRIALS, seed=2, verifier=constant)
    for accuracy in results.values():  # all tied: best-of-N picks the first sample
        assert accuracy["best_of_n"] == accuracy["single"]


# --- errors ------------------------------------------------------------------------------


def test_errors_on_empty_answers():
    with pytest.raises(ValueError, match=r"answers must not be empty, got length 0"):
        majority_vote([])
    with pytest.raises(ValueError, match=r"answers must not be empty"):
        vote_counts(())
    with pytest.raises(TypeError, match=r"answers must be a sequence.*got str"):
        majority_vote("abc")


def test_best_of_n_errors():
    with pytest.raises(ValueError, match=r"candidates must not be empty"):
        best_of_n([], [])
    with pytest.raises(ValueError, match=r"scores must not be empty"):
        best_of_n([1], [])
    with pytest.raises(ValueError, match=r"same length, got 2 candidates and 3 scores"):
        best_of_n([1, 2], [0.1, 0.2, 0.3])


def test_best_of_n_refuses_a_nan_score():
    # max() over a NaN gave whichever candidate the comparisons happened to leave.
    with pytest.raises(ValueError, match="scores must not hold NaN"):
        best_of_n(["a", "b", "c"], [0.1, float("nan"), 0.3])
    with pytest.raises(TypeError, match="scores must hold real numbers, got '0.9'"):
        best_of_n(["a", "b"], [0.1, "0.9"])


def test_best_of_n_takes_scores_as_a_tensor_or_array():
    scores = [0.1, 0.9, 0.9, -float("inf")]
    for form in (
        torch.tensor(scores),
        np.array(scores),
        [torch.tensor(s) for s in scores],
    ):
        assert best_of_n(list("abcd"), form) == "b"


def test_unhashable_answers_are_named():
    with pytest.raises(TypeError, match=r"answers must hold hashable values.*\[1\]"):
        majority_vote([[1], [1]])


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_p_correct_outside_unit_interval(p):
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"p_correct must be in \[0, 1\], got"):
        noisy_adder(1, 2, p, generator)
    with pytest.raises(ValueError, match=r"p_correct must be in \[0, 1\], got"):
        accuracy_against_n(p, [1])


def test_type_errors():
    generator = torch.Generator()
    with pytest.raises(TypeError, match=r"p_correct must be a real number, got True"):
        noisy_adder(1, 2, True, generator)
    with pytest.raises(
        TypeError, match=r"generator must be a torch.Generator, got int"
    ):
        noisy_adder(1, 2, 0.5, 0)
    with pytest.raises(TypeError, match=r"a must be an integer, got 1.5"):
        noisy_adder(1.5, 2, 0.5, generator)
    with pytest.raises(TypeError, match=r"verifier must be callable, got 3"):
        accuracy_against_n(0.5, [1], verifier=3)


def test_accuracy_against_n_range_errors():
    with pytest.raises(
        ValueError, match=r"each N in ns must be an integer >= 1, got 0"
    ):
        accuracy_against_n(0.5, [1, 0])
    with pytest.raises(ValueError, match=r"ns must not be empty"):
        accuracy_against_n(0.5, [])
    with pytest.raises(ValueError, match=r"trials must be an integer >= 1, got 0"):
        accuracy_against_n(0.5, [1], trials=0)
    with pytest.raises(ValueError, match=r"verifier must return real scores of shape"):
        accuracy_against_n(0.5, [2], trials=4, verifier=lambda a, t: torch.zeros(4))
