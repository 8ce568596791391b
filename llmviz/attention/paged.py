"""PagedAttention's KV cache [kwon2023vllm]: fixed-size blocks and a block table.

A contiguous cache reserves ``max_len`` slots for every request up front, because it
cannot know how long the answer will be; what the request never fills is wasted. A
paged cache cuts memory into blocks of ``block_size`` token slots, like an operating
system's pages, and gives a sequence a new block only when its last one is full. Its
*block table* maps the sequence's i-th logical block to a physical block anywhere in
the pool, so a sequence wastes less than one block:

    waste_contiguous = Σ (max_len − n_s),    waste_paged = Σ (⌈n_s / B⌉ · B − n_s) < B
    per sequence.
"""

from __future__ import annotations

from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN

MAX_BLOCKS = 1 << 20
MAX_LOCKSTEP = 1 << 16  # tokens per sequence that ``serve_in_lockstep`` steps through


class BlockAllocator:
    """A pool of ``num_blocks`` blocks of ``block_size`` slots, a free list, and a
    block table per sequence.

    >>> pool = BlockAllocator(num_blocks=4, block_size=2)
    >>> pool.append(7, 3); pool.block_tables[7], pool.free_blocks()
    ([0, 1], 2)
    """

    def __init__(self, num_blocks: int, block_size: int) -> None:
        self.num_blocks = check_int("num_blocks", num_blocks, 1, MAX_BLOCKS)
        self.block_size = check_int("block_size", block_size, 1, MAX_SEQ_LEN)
        self.free: list[int] = list(range(num_blocks))[::-1]  # pop() gives 0 first
        self.block_tables: dict[int, list[int]] = {}
        self.lengths: dict[int, int] = {}

    def free_blocks(self) -> int:
        return len(self.free)

    def append(self, seq_id: int, num_tokens: int = 1) -> None:
        """Room for ``num_tokens`` more tokens of ``seq_id``, a new block each time
        the last one is full; ``ValueError`` if the pool runs out (nothing changes)."""
        check_int("seq_id", seq_id, minimum=0)
        check_int("num_tokens", num_tokens, minimum=1, maximum=MAX_SEQ_LEN)
        length = self.lengths.get(seq_id, 0)
        table = self.block_tables.get(seq_id, [])
        needed = -(-(length + num_tokens) // self.block_size) - len(table)
        if needed > len(self.free):
            raise ValueError(
                f"num_tokens={num_tokens} needs {needed} new blocks for sequence "
                f"{seq_id}, but only {len(self.free)} are free"
            )
        self.block_tables[seq_id] = table + [self.free.pop() for _ in range(needed)]
        self.lengths[seq_id] = length + num_tokens

    def release(self, seq_id: int) -> None:
        """Return every block of a finished sequence to the free list."""
        check_int("seq_id", seq_id, minimum=0)
        if seq_id not in self.block_tables:
            raise ValueError(f"seq_id {seq_id} holds no blocks")
        self.free.extend(reversed(self.block_tables.pop(seq_id)))
        del self.lengths[seq_id]

    def slot(self, seq_id: int, position: int) -> tuple[int, int]:
        """Where token ``position`` of ``seq_id`` lives: (physical block, offset)."""
        check_int("seq_id", seq_id, minimum=0)
        if seq_id not in self.lengths:
            raise ValueError(f"seq_id {seq_id} holds no tokens")
        length = self.lengths[seq_id]
        check_int("position", position, minimum=0, maximum=length - 1)
        logical, offset = divmod(position, self.block_size)
        return self.block_tables[seq_id][logical], offset


def gather_blocks(pool: Tensor, block_table: Tensor, length: int) -> Tensor:
    """A sequence's cache read through its block table: the ``length`` first slots of
    ``pool[block_table]``, (num_blocks, block_size, ...) → (length, ...).

    >>> import torch
    >>> pool = torch.arange(8.0).view(4, 2)  # 4 blocks of 2 slots
    >>> gather_blocks(pool, torch.tensor([2, 0]), 3).tolist()
    [4.0, 5.0, 0.0]
    """
    check_tensor("pool", pool, finite=False)
    if pool.dim() < 2:
        raise ValueError(
            f"pool must be (num_blocks, block_size, ...), got {pool.shape}"
        )
    check_tensor("block_table", block_table, ranks=(1,), floating=False)
    if int(block_table.min()) < 0 or int(block_table.max()) >= pool.shape[0]:
        raise ValueError(
            f"block_table must hold blocks in [0, {pool.shape[0]}), got "
            f"{block_table.tolist()}"
        )
    capacity = block_table.numel() * pool.shape[1]
    check_int("length", length, minimum=1, maximum=capacity)
    return pool[block_table].flatten(0, 1)[:length]


def fragmentation(lengths: list[int], max_len: int, block_size: int) -> dict[str, int]:
    """Slots reserved but never filled for sequences of ``lengths`` tokens: one
    contiguous ``max_len`` region each, against paged blocks of ``block_size``.

    >>> fragmentation([3, 8], max_len=8, block_size=4)
    {'tokens': 11, 'contiguous waste': 5, 'paged waste': 1}
    """
    if not isinstance(lengths, list | tuple) or not lengths:
        raise TypeError(
            f"lengths must be a non-empty list of ints, got {lengths!r:.60}"
        )
    check_int("max_len", max_len, minimum=1, maximum=MAX_SEQ_LEN)
    check_int("block_size", block_size, minimum=1, maximum=MAX_SEQ_LEN)
    for n in lengths:
        check_int("lengths", n, minimum=1, maximum=max_len)
    paged = sum(-(-n // block_size) * block_size - n for n in lengths)
    return {
        "tokens": sum(lengths),
        "contiguous waste": sum(max_len - n for n in lengths),
        "paged waste": paged,
    }


def serve_in_lockstep(lengths: list[int], block_size: int) -> BlockAllocator:
    """A batch decoded together: every step, each unfinished sequence s gains one
    token, until it holds lengths[s]; blocks are taken from the pool as they fill,
    so the sequences' blocks interleave in physical memory.

    >>> serve_in_lockstep([3, 2], block_size=2).block_tables
    {0: [0, 2], 1: [1]}
    """
    if not isinstance(lengths, list | tuple) or not lengths:
        raise TypeError(
            f"lengths must be a non-empty list of ints, got {lengths!r:.50}"
        )
    fragmentation(lengths, MAX_LOCKSTEP, block_size)  # checks each length
    blocks = sum(-(-n // block_size) for n in lengths)
    pool = BlockAllocator(blocks, block_size)
    for step in range(max(lengths)):
        for seq_id, n in enumerate(lengths):
            if step < n:
                pool.append(seq_id)
    return pool
