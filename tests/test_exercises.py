"""The check helpers accept right answers, and name the usual mistakes without giving the
answer away."""

from __future__ import annotations

import pytest
import torch

from llmviz.attention import masks
from llmviz.exercises import (
    CheckResult,
    check_attention,
    check_chunked_causal,
    check_sliding_window_pairs,
)


def written_out(query, key, value, attn_mask=None, dim=-1, scale=True, invert=False):
    scores = query @ key.transpose(-2, -1)
    if scale:
        scores = scores / query.shape[-1] ** 0.5
    if attn_mask is not None:
        scores = scores.masked_fill(attn_mask if invert else ~attn_mask, float("-inf"))
    return torch.softmax(scores, dim=dim) @ value


def not_written(*args):
    raise NotImplementedError


def test_check_attention_accepts_a_correct_attention(capsys):
    result = check_attention(written_out)
    assert result and isinstance(result, CheckResult)
    assert capsys.readouterr().out.startswith("✅")


@pytest.mark.parametrize(
    ("attention", "expected"),
    [
        (
            lambda q, k, v, m: written_out(q, k, v, m, scale=False),
            "not divided by √d_k",
        ),
        (lambda q, k, v, m: written_out(q, k, v, None), "the mask is ignored"),
        (lambda q, k, v, m: written_out(q, k, v, m, invert=True), "wrong way round"),
        (
            lambda q, k, v, m: written_out(q, k, v, m, dim=-2),
            "softmax runs over the queries",
        ),
        (lambda q, k, v, m: v, "should have shape (5, 8), got (7, 8)"),
        (lambda q, k, v, m: written_out(q, k, v, m) + 0.1, "Print yours and softmax"),
        (not_written, "Not implemented yet"),
        (lambda q, k, v, m: q @ k, "Your function raised RuntimeError"),
    ],
)
def test_check_attention_names_the_mistake(attention, expected, capsys):
    result = check_attention(attention)
    assert not result
    printed = capsys.readouterr().out
    assert printed.startswith("❌") and expected in printed
    assert "masked_fill" not in printed  # a symptom, never the code


def test_check_chunked_causal(capsys):
    assert check_chunked_causal(
        lambda c: masks.and_masks(masks.causal, masks.block_diagonal(c))
    )
    assert not check_chunked_causal(lambda c: masks.causal)
    assert "query 1 should not see key 0" in capsys.readouterr().out
    python_and = lambda c: lambda b, h, i, j: (j <= i) and (i // c == j // c)  # noqa: E731
    assert not check_chunked_causal(python_and)
    assert "tensor operations" in capsys.readouterr().out

    def stub(chunk_size):
        def mask_mod(b, h, q_idx, kv_idx):
            raise NotImplementedError

        return mask_mod

    assert not check_chunked_causal(stub)
    assert "Not implemented yet" in capsys.readouterr().out


def test_check_sliding_window_pairs(capsys):
    assert check_sliding_window_pairs(
        lambda t, w: min(t, w) * (min(t, w) + 1) // 2 + (t - min(t, w)) * min(t, w)
    )
    assert not check_sliding_window_pairs(
        lambda t, w: w * t - w * (w - 1) // 2
    )  # forgets w > t
    assert "Is the window longer than the sequence?" in capsys.readouterr().out
    assert not check_sliding_window_pairs(not_written)


def test_checks_refuse_what_is_not_a_function():
    with pytest.raises(TypeError, match="attention must be callable, got 3"):
        check_attention(3)


def test_a_check_result_displays_nothing_more_than_its_printed_line():
    result = CheckResult(False, "why")
    assert result._ipython_display_() is None and not result
    assert repr(result) == "CheckResult(passed=False, message='why')"
