"""The measures of generated text: mean log-probability against Hugging Face's own
language-model loss, the distinct-n share against counts worked out by hand, and every
error message."""

import pytest
import torch
import transformers

from llmviz.decoding.metrics import distinct_n, mean_log_prob


@pytest.fixture(scope="module")
def gpt2():
    config = transformers.GPT2Config(
        n_layer=2, n_embd=32, n_head=2, vocab_size=50, n_positions=64
    )
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(config).eval()


@torch.no_grad()
def test_mean_log_prob_is_minus_hf_loss(gpt2):
    ids = torch.randint(0, 50, (3, 12), generator=torch.Generator().manual_seed(1))
    ours = mean_log_prob(lambda x: gpt2(x).logits, ids, start=1)
    for row, value in zip(ids, ours, strict=True):  # HF averages over one row's tokens
        loss = gpt2(row[None], labels=row[None]).loss
        torch.testing.assert_close(value, -loss)


@torch.no_grad()
def test_mean_log_prob_scores_only_the_tokens_from_start(gpt2):
    ids = torch.randint(0, 50, (2, 10), generator=torch.Generator().manual_seed(2))
    logits = gpt2(ids).logits.log_softmax(-1)  # (B, T, V)
    chosen = logits[:, :-1].gather(-1, ids[:, 1:, None])[..., 0]  # log p of tokens 1..
    for start in (1, 4, 9):
        expected = chosen[:, start - 1 :].mean(-1)
        torch.testing.assert_close(
            mean_log_prob(lambda x: gpt2(x).logits, ids, start), expected
        )


def test_distinct_n_counts_windows():
    loop = torch.tensor([[5, 6] * 6])  # 12 tokens: 11 bigrams, 2 distinct
    assert distinct_n(loop, n=2) == 2 / 11
    fresh = torch.arange(12)[None]
    assert distinct_n(fresh, n=3) == 1.0
    both = torch.cat([loop, fresh])  # the average of the rows
    assert distinct_n(both, n=2) == (2 / 11 + 1.0) / 2
    assert distinct_n(torch.tensor([[9, 9, 1, 2, 3]]), n=2, start=2) == 1.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: mean_log_prob(3, torch.zeros(1, 4, dtype=torch.long), 1),
            TypeError,
            "logits_fn must be callable",
        ),
        (
            lambda: mean_log_prob(torch.zeros, torch.zeros(1, 4), 1),
            TypeError,
            "ids must be an integer tensor",
        ),
        (
            lambda: mean_log_prob(torch.zeros, torch.zeros(4, dtype=torch.long), 1),
            ValueError,
            r"ids must have 2 dimensions",
        ),
        (
            lambda: mean_log_prob(torch.zeros, torch.zeros(1, 4, dtype=torch.long), 0),
            ValueError,
            "start must be an integer >= 1",
        ),
        (
            lambda: mean_log_prob(torch.zeros, torch.zeros(1, 4, dtype=torch.long), 4),
            ValueError,
            r"start must be below the length of ids \(4\)",
        ),
        (
            lambda: mean_log_prob(
                lambda x: torch.zeros(1, 5), torch.zeros(1, 4, dtype=torch.long), 1
            ),
            ValueError,
            r"shape \(1, 3, V\)",
        ),
        (
            lambda: distinct_n(torch.zeros(1, 4, dtype=torch.long), n=0),
            ValueError,
            "n must be an integer >= 1",
        ),
        (
            lambda: distinct_n(torch.zeros(1, 4, dtype=torch.long), n=3, start=2),
            ValueError,
            "at least n=3 tokens after start=2",
        ),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_an_id_outside_the_vocabulary_is_named():
    # The last id is never fed to the model, only looked up in its logits: it raised
    # torch's "index out of bounds" RuntimeError before.
    table = torch.zeros(3, 3)
    with pytest.raises(ValueError, match="ids must hold ids below the model's voc"):
        mean_log_prob(lambda x: table[x], torch.tensor([[0, 1, 3]]), 1)
    with pytest.raises(ValueError, match="ids must hold token ids >= 0, got the id -1"):
        mean_log_prob(lambda x: table[x], torch.tensor([[0, 1, -1]]), 1)


def test_an_empty_batch_is_refused():
    # distinct_n of no row at all divided by zero before.
    with pytest.raises(ValueError, match=r"ids must not be empty, got shape \(0, 5\)"):
        distinct_n(torch.zeros(0, 5, dtype=torch.long))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_logits_fn_returning_nan_or_inf_is_refused(bad):
    with pytest.raises(ValueError, match="logits_fn returned logits with NaN or"):
        mean_log_prob(
            lambda x: torch.full((*x.shape, 3), bad), torch.zeros(1, 3).long(), 1
        )
