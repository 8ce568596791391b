"""The four structures' attention patterns: the invariants that define them."""

import pytest
import torch

from llmviz.moe.architectures import KINDS, STRUCTURES, structure_mask


@pytest.mark.parametrize("source_len, target_len", [(0, 5), (3, 4), (6, 1)])
def test_structures(source_len, target_len):
    n = source_len + target_len
    lower = torch.ones(n, n, dtype=torch.long).tril()
    assert torch.equal(
        structure_mask("encoder-only", source_len, target_len),
        torch.ones(n, n, dtype=torch.long),
    )
    assert torch.equal(structure_mask("decoder-only", source_len, target_len), lower)
    prefix = structure_mask("prefix-LM", source_len, target_len)
    both = structure_mask("encoder-decoder", source_len, target_len)
    # the same pairs meet in both; only the kind of attention differs
    assert torch.equal(prefix, (both > 0).long())
    source, target = slice(0, source_len), slice(source_len, n)
    assert (both[source, source] == KINDS.index("encoder self-attention")).all()
    assert (both[source, target] == 0).all()  # the encoder never reads the output
    assert (both[target, source] == KINDS.index("cross-attention")).all()
    decoder = KINDS.index("decoder self-attention")
    assert torch.equal(both[target, target], decoder * lower[:target_len, :target_len])
    # prefix-LM: causal plus a bidirectional input block
    assert (prefix[source, source] == 1).all() and (prefix >= lower).all()


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"name must be one of \('encoder-only'"):
        structure_mask("decoder-encoder", 2, 2)
    with pytest.raises(ValueError, match="source_len must be an integer >= 0, got -1"):
        structure_mask("prefix-LM", -1, 2)
    with pytest.raises(
        ValueError, match="source_len \\+ target_len must be at least 1"
    ):
        structure_mask("prefix-LM", 0, 0)
    assert set(STRUCTURES) == {
        "encoder-only",
        "decoder-only",
        "prefix-LM",
        "encoder-decoder",
    }
