"""The paged KV cache (llmviz.attention.paged): paged waste is under one block per
sequence and never above the contiguous waste; releasing returns every block; reading
a sequence through its block table gives back exactly the cache written contiguously,
whatever order the sequences grew in; and the pool refuses to over-commit."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.paged import (
    fragmentation,
    gather_blocks,
    serve_in_lockstep,
)

LENGTHS = st.lists(st.integers(1, 40), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(lengths=LENGTHS, block_size=st.integers(1, 16))
def test_paged_waste_is_under_a_block_per_sequence(lengths, block_size):
    waste = fragmentation(lengths, 40, block_size)
    assert waste["paged waste"] < block_size * len(lengths)
    pool = serve_in_lockstep(lengths, block_size)
    slots = sum(len(t) for t in pool.block_tables.values()) * block_size
    assert slots - sum(lengths) == waste["paged waste"]
    for seq_id, n in enumerate(lengths):
        assert 0 <= len(pool.block_tables[seq_id]) * block_size - n < block_size


@settings(max_examples=30, deadline=None)
@given(lengths=LENGTHS, block_size=st.integers(1, 8))
def test_release_returns_every_block(lengths, block_size):
    pool = serve_in_lockstep(lengths, block_size)
    for seq_id in range(len(lengths)):
        pool.release(seq_id)
    assert sorted(pool.free) == list(range(pool.num_blocks))
    assert not pool.block_tables and not pool.lengths


@settings(max_examples=30, deadline=None)
@given(lengths=LENGTHS, block_size=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_gather_reproduces_the_contiguous_cache(lengths, block_size, seed):
    generator = torch.Generator().manual_seed(seed)
    caches = [torch.randn(n, 2, 3, generator=generator) for n in lengths]  # (T, H, D)
    pool = serve_in_lockstep(lengths, block_size)
    memory = torch.full((pool.num_blocks, block_size, 2, 3), torch.nan)
    for seq_id, cache in enumerate(caches):
        for position in range(len(cache)):
            block, offset = pool.slot(seq_id, position)
            memory[block, offset] = cache[position]
    for seq_id, cache in enumerate(caches):
        table = torch.tensor(pool.block_tables[seq_id])
        assert torch.equal(gather_blocks(memory, table, len(cache)), cache)


def test_blocks_are_used_once_and_the_pool_refuses_to_overcommit():
    pool = serve_in_lockstep([5, 9, 2], block_size=4)
    used = [b for table in pool.block_tables.values() for b in table]
    assert len(used) == len(set(used)) == pool.num_blocks == 2 + 3 + 1
    with pytest.raises(ValueError, match="num_tokens"):
        pool.append(0, 4)  # sequence 0 has 3 free slots and the pool none
    assert pool.lengths[0] == 5  # a refused call changes nothing
