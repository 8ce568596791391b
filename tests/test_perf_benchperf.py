"""Issue 19's faster paths (engineer benchperf) equal the readable ones they sit beside:
the beam tree's vectorised label placement and one-pass layout, and the MoE layer's
grouped dispatch."""

from __future__ import annotations

import json
import random

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from llmviz.decoding.beam import beam_search
from llmviz.viz.beam_labels import _meets, _meets_many
from llmviz.viz.beams import _border, _height, beam_tree_figure
from llmviz.viz.theme import style


def test_meets_many_equals_meets():
    rng = random.Random(0)
    grid = [0.0, 1.0, 2.0, 2.5, 3.0]  # shared values: segments along a box's sides
    boxes = [
        sorted(rng.sample(grid, 2)) + sorted(rng.sample(grid, 2)) for _ in range(9)
    ]
    boxes += [[rng.uniform(-1, 3) for _ in range(4)] for _ in range(9)]
    edges = [[rng.choice(grid) for _ in range(4)] for _ in range(40)]
    edges += [[rng.uniform(-2, 4) for _ in range(4)] for _ in range(40)]
    edges += [[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, 4.0], [-1.0, 1.5, 4.0, 1.5]]
    fast = _meets_many(np.array(boxes), np.array(edges))
    slow = [[_meets(box, e[:2], e[2:]) for e in edges] for box in boxes]
    assert fast.tolist() == slow
    assert _meets_many(np.array(boxes), np.zeros((0, 4))).shape == (len(boxes), 0)


def reference_layout(fig: go.Figure, tree: list, title: str | None) -> go.Figure:
    """The layout as beam_tree_figure built it before issue 19: update by update."""
    left, right, top, bottom = _border(tree)
    widest = max((len(candidates) for candidates in tree), default=1)
    fig.update_layout(
        xaxis=dict(
            title="candidates of the step, best first",
            range=[left, right],
            tickvals=list(range(widest)),
            ticktext=[str(rank) for rank in range(1, widest + 1)],
            zeroline=False,
        ),
        yaxis=dict(title="step", dtick=1, range=[bottom, top], zeroline=False),
    )
    style(fig, title, height=_height(tree), top=100)
    fig.update_xaxes(showgrid=False)
    fig.layout.margin.r = 10
    legend = dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom")
    return fig.update_layout(legend=legend)


def trees():
    generator = torch.Generator().manual_seed(0)
    for beams, eos in ((3, 5), (4, None), (1, 2)):
        table = (2 * torch.randn(9, 9, generator=generator)).log_softmax(-1)
        yield beam_search(
            lambda ids, t=table: t[ids[:, -1]],
            torch.tensor([[0]]),
            beams,
            6,
            eos_token_id=eos,
        )["tree"]
    yield []


@pytest.mark.parametrize("title", [None, "a title", "two<br>lines"])
def test_figure_equals_the_update_by_update_layout(title):
    for tree in trees():
        for steps in (None, 0, len(tree)):
            fig = beam_tree_figure(
                tree, label=lambda t: f" <{t}>", title=title, steps=steps
            )
            fast = json.loads(fig.to_json())
            reference = reference_layout(go.Figure(data=fig.data), tree, title)
            slow = json.loads(reference.to_json())
            # an update_layout(title=None) leaves an empty title object: nothing drawn
            if slow["layout"].get("title") == {}:
                del slow["layout"]["title"]
            assert fast == slow


def reference_grouped(x, weights, experts, expert_fn):
    """The grouped dispatch before issue 19: a gather and an index_add_ per expert."""
    k = experts.shape[1]
    flat_experts = experts.reshape(-1)
    order = flat_experts.argsort(stable=True)
    counts = torch.bincount(flat_experts, minlength=expert_fn.down_proj.shape[0])
    flat_weights = weights.reshape(-1, 1)
    out = torch.zeros_like(x)
    for e, slots in enumerate(order.split(counts.tolist())):
        if slots.numel() == 0:
            continue
        tokens = slots // k
        y = expert_fn(e, x[tokens]) * flat_weights[slots]
        out.index_add_(0, tokens, y.to(x.dtype))
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
@pytest.mark.parametrize(
    ("E", "k", "T"), [(8, 2, 64), (4, 1, 5), (16, 4, 3), (3, 3, 1)]
)
def test_grouped_dispatch_equals_the_one_before_and_the_loop(dtype, E, k, T):
    from llmviz.moe.layer import SparseMoeBlock, grouped_dispatch, loop_dispatch
    from llmviz.moe.routing import route

    torch.manual_seed(E * 100 + k * 10 + T)
    block = SparseMoeBlock(16, 24, num_experts=E, num_experts_per_tok=k).to(dtype)
    x = torch.randn(T, 16, dtype=dtype)
    with torch.no_grad():
        weights, experts = route(block.gate(x), k)
        fast = grouped_dispatch(x, weights, experts, block.experts)
        before = reference_grouped(x, weights, experts, block.experts)
        loop = loop_dispatch(x, weights, experts, block.experts)
    # the same sums, rounded by BLAS kernels of other shapes (and, in bfloat16, one
    # index_add_ instead of one per expert)
    tolerance = {torch.bfloat16: 1e-2, torch.float32: 1e-6, torch.float64: 1e-12}[dtype]
    torch.testing.assert_close(fast, before, atol=tolerance, rtol=tolerance)
    torch.testing.assert_close(fast, loop, atol=max(tolerance, 1e-5), rtol=tolerance)
    x.requires_grad_(True)  # with gradients, the plain products: the same as before
    weights, experts = route(block.gate(x), k)
    with_grad = grouped_dispatch(x, weights, experts, block.experts)
    with_grad.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    if dtype != torch.bfloat16:
        reference = reference_grouped(x, weights, experts, block.experts)
        assert torch.equal(with_grad.detach(), reference.detach())
