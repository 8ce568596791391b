"""Chapter 8, decoding: the sampling filters (temperature, top-k, top-p, min-p), each
equal to Hugging Face's warper; greedy, sampling and beam search equal to its
``generate``; best-of-N and majority vote, with a checkable toy task; and two measures
of generated text, its mean log-probability and its share of distinct n-grams; outcome
and process reward models (ORM, PRM) for best-of-N on column addition in steps."""

from llmviz.decoding.beam import beam_search
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
    warp,
)
from llmviz.decoding.metrics import distinct_n, mean_log_prob
from llmviz.decoding.reward_experiment import reward_accuracy_against_n
from llmviz.decoding.reward_models import (
    COMBINE_RULES,
    column_addition,
    combine_steps,
    outcome_reward,
    process_reward,
    solution_kinds,
)
from llmviz.decoding.search import greedy, sample
from llmviz.decoding.voting import (
    WRONG_OFFSETS,
    accuracy_against_n,
    best_of_n,
    majority_vote,
    noisy_adder,
    vote_counts,
)

__all__ = [
    "COMBINE_RULES",
    "ORDERS",
    "ORDER_NAMES",
    "WRONG_OFFSETS",
    "accuracy_against_n",
    "apply_temperature",
    "beam_search",
    "best_of_n",
    "column_addition",
    "combine_steps",
    "distinct_n",
    "entropy",
    "greedy",
    "majority_vote",
    "mean_log_prob",
    "min_p_filter",
    "noisy_adder",
    "outcome_reward",
    "process_reward",
    "reward_accuracy_against_n",
    "sample",
    "sampling_distribution",
    "solution_kinds",
    "top_k_filter",
    "top_p_filter",
    "vote_counts",
    "warp",
]
