"""The book's gallery of masks, each with its parameter and the value its panel
shows, and the composition of two named masks for the live explorer.

Every entry builds a ``mask_mod`` from ``llmviz.attention.masks``, so the figures, the
explorer and the tests all use the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice
from llmviz.attention import masks
from llmviz.attention._validate import MAX_WIDTH
from llmviz.attention.masks import MaskMod

SEQ_LEN = 16
MAX_GRID = 4096  # the side of a composed mask's grid
MAX_GLOBAL = masks.MAX_INDICES


@dataclass(frozen=True)
class GalleryEntry:
    """A family of masks: ``build(value)`` gives (mask_mod, q_len, kv_len) for a value
    of ``param`` in [``minimum``, ``maximum``].

    ``shown`` is the value that the book's grid draws, one where the idea is visible
    (a window of 4, not of 1), and ``label`` names the mask in a few words.
    """

    param: str
    values: tuple[int, ...]
    build: Callable[[int], tuple[MaskMod, int, int]]
    shown: int
    label: str
    minimum: int = 1
    maximum: int = MAX_WIDTH

    def __post_init__(self) -> None:
        if self.shown not in self.values:
            raise ValueError(f"shown must be one of {self.values}, got {self.shown}")

    def compute(self, **params: int) -> Tensor:
        """The dense bool mask for ``param=value``: the gallery figures' compute."""
        if set(params) != {self.param}:
            raise TypeError(
                f"this entry takes one keyword, {self.param!r}; got {sorted(params)}"
            )
        value = check_int(self.param, params[self.param], self.minimum, self.maximum)
        mask_mod, q_len, kv_len = self.build(value)
        return masks.materialize(mask_mod, q_len, kv_len)

    def shown_mask(self) -> Tensor:
        """The dense bool mask at ``shown``, the grid's panel.

        >>> GALLERY["sliding_window"].shown_mask()[5].nonzero().flatten().tolist()
        [2, 3, 4, 5]
        """
        return self.compute(**{self.param: self.shown})


def _square(mask_mod: MaskMod) -> tuple[MaskMod, int, int]:
    return mask_mod, SEQ_LEN, SEQ_LEN


GALLERY: dict[str, GalleryEntry] = {
    "causal": GalleryEntry(
        "seq_len", (4, 8, 12, 16), lambda n: (masks.causal, n, n), 16, "causal",
        maximum=MAX_GRID,
    ),
    "sliding_window": GalleryEntry(
        "window", (1, 2, 4, 8, 16), lambda w: _square(masks.sliding_window(w)), 4,
        "sliding window",
    ),
    "dilated_sliding_window": GalleryEntry(
        "dilation", (1, 2, 3, 4), lambda d: _square(masks.dilated_sliding_window(4, d)),
        3, "dilated window",
    ),
    "strided": GalleryEntry(
        "stride", (1, 2, 3, 4, 8), lambda s: _square(masks.strided(s)), 4, "strided"
    ),
    "global_tokens": GalleryEntry(
        "num_global", (1, 2, 3, 4), lambda g: _square(masks.global_tokens(range(g))),
        2, "global tokens", maximum=MAX_GLOBAL,
    ),
    "attention_sinks": GalleryEntry(
        "num_sinks", (0, 1, 2, 4), lambda s: _square(masks.attention_sinks(s, 4)), 2,
        "attention sinks", 0,
    ),
    "block_diagonal": GalleryEntry(
        "block_size", (2, 4, 8, 16), lambda n: _square(masks.block_diagonal(n)), 4,
        "block-diagonal",
    ),
    "prefix_lm": GalleryEntry(
        "prefix_len", (0, 4, 8, 12, 16), lambda n: _square(masks.prefix_lm(n)), 8,
        "prefix LM", 0,
    ),
    "padding": GalleryEntry(
        "length", (4, 8, 12, 16), lambda n: _square(masks.padding([n])), 12,
        "padding", 0,
    ),
    # 8 decoder queries over 12 encoder keys, of which the first source_length are real
    "encoder_decoder_cross": GalleryEntry(
        "source_length", (4, 8, 12), lambda n: (masks.padding([n]), 8, 12), 8,
        "cross-attention", 0,
    ),
}  # fmt: skip

MASK_NAMES = (
    "causal",
    "full",
    "sliding_window",
    "dilated_sliding_window",
    "strided",
    "global_tokens",
    "attention_sinks",
    "block_diagonal",
    "prefix_lm",
    "padding",
)


def named_mask(
    name: str,
    window: int = 4,
    dilation: int = 2,
    stride: int = 4,
    num_sinks: int = 1,
    num_global: int = 1,
    block_size: int = 4,
    prefix_len: int = 4,
    length: int = 12,
) -> MaskMod:
    """The mask called ``name`` (one of MASK_NAMES), from the parameters it uses.

    Every parameter is checked, used or not, so a bad one never passes unnoticed.
    """
    check_choice("name", name, MASK_NAMES)
    for param, value, minimum, maximum in (
        ("window", window, 1, MAX_WIDTH),
        ("dilation", dilation, 1, MAX_WIDTH),
        ("stride", stride, 1, MAX_WIDTH),
        ("num_sinks", num_sinks, 0, MAX_WIDTH),
        ("num_global", num_global, 1, MAX_GLOBAL),
        ("block_size", block_size, 1, MAX_WIDTH),
        ("prefix_len", prefix_len, 0, MAX_WIDTH),
        ("length", length, 0, MAX_WIDTH),
    ):
        check_int(param, value, minimum, maximum)
    builders: dict[str, Callable[[], MaskMod]] = {
        "causal": lambda: masks.causal,
        "full": lambda: masks.full,
        "sliding_window": lambda: masks.sliding_window(window),
        "dilated_sliding_window": lambda: masks.dilated_sliding_window(
            window, dilation
        ),
        "strided": lambda: masks.strided(stride),
        "global_tokens": lambda: masks.global_tokens(range(num_global)),
        "attention_sinks": lambda: masks.attention_sinks(num_sinks, window),
        "block_diagonal": lambda: masks.block_diagonal(block_size),
        "prefix_lm": lambda: masks.prefix_lm(prefix_len),
        "padding": lambda: masks.padding([length]),
    }
    return builders[name]()


def composed_mask(
    first: str = "causal",
    operation: str = "and",
    second: str = "sliding_window",
    seq_len: int = SEQ_LEN,
    **params: int,
) -> Tensor:
    """``first`` and/or ``second``, materialised on a (seq_len, seq_len) grid.

    ``params`` (window, stride, ...) go to ``named_mask``.

    >>> composed_mask("causal", "and", "full", seq_len=2).tolist()
    [[True, False], [True, True]]
    """
    combine = {"and": masks.and_masks, "or": masks.or_masks}
    check_choice("operation", operation, list(combine))
    check_choice("first", first, MASK_NAMES)
    check_choice("second", second, MASK_NAMES)
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_GRID)
    both = combine[operation](named_mask(first, **params), named_mask(second, **params))
    return masks.materialize(both, seq_len, seq_len)
