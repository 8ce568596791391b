"""RoPE scaling (linear, dynamic NTK, YaRN, Llama 3, LongRoPE) against Hugging Face's
ROPE_INIT_FUNCTIONS and LlamaRotaryEmbedding; the two RoPE layouts against each other
and against Meta's complex-number form; RoFormer's long-term decay bound; bad inputs."""

import functools
import math
import random

import pytest
import torch

from llmviz.positions.explorers import EXPLORED_TYPES, scaled_wavelengths
from llmviz.positions.rope import (
    apply_interleaved_rotary_pos_emb,
    apply_rotary_pos_emb,
    deinterleave,
    interleave,
    rope_cos_sin,
    rope_score_decay,
    rotate_half,
)
from llmviz.positions.rope_scaling import (
    ROPE_TYPES,
    rope_parameters,
    wavelengths,
    yarn_correction_range,
    yarn_ramp,
)

ATOL = 1e-5
MAX_POSITIONS = 1024


def divisors(size, low, high, seed):
    rng = random.Random(seed)
    return [low + (high - low) * rng.random() for _ in range(size)]


def case(rope_type, head_dim=64, **params):
    """Our keyword arguments for one configuration; HF's rope_parameters add rope_type."""
    return rope_type, head_dim, params


CASES = [
    case("default", 16, rope_theta=10000.0),
    case("default", 128, rope_theta=500000.0),
    case("default", 64, rope_theta=10000.0, partial_rotary_factor=0.5),
    case("linear", 16, rope_theta=10000.0, factor=2.0),
    case("linear", 64, rope_theta=10000.0, factor=4.0),
    case("linear", 128, rope_theta=1e6, factor=16.0),
    case("linear", 64, rope_theta=10000.0, factor=4.0, partial_rotary_factor=0.25),
    *[
        case("dynamic", head_dim, rope_theta=10000.0, factor=factor, seq_len=seq_len)
        for head_dim, factor in ((16, 2.0), (64, 4.0), (128, 8.0))
        for seq_len in (None, 100, MAX_POSITIONS, MAX_POSITIONS + 1, 3000, 8192)
    ],
    *[
        case("yarn", head_dim, rope_theta=theta, factor=factor, **extra)
        for head_dim, theta in ((16, 10000.0), (64, 10000.0), (128, 500000.0))
        for factor in (1.0, 2.0, 4.0, 40.0)
        for extra in (
            dict(original_max_position_embeddings=256),
            dict(original_max_position_embeddings=4096, truncate=False),
            dict(original_max_position_embeddings=256, beta_fast=16, beta_slow=2),
            dict(original_max_position_embeddings=256, mscale=1.0, mscale_all_dim=0.5),
            dict(
                original_max_position_embeddings=256, mscale=0.707, mscale_all_dim=0.707
            ),
            dict(original_max_position_embeddings=256, attention_factor=1.5),
        )
    ],
    case(
        "yarn",
        64,
        rope_theta=10000.0,
        factor=None,
        original_max_position_embeddings=256,
    ),  # 1024/256
    case(
        "yarn",
        64,
        rope_theta=10000.0,
        factor=4.0,
        original_max_position_embeddings=256,
        partial_rotary_factor=0.5,
    ),
    *[
        case(
            "llama3",
            head_dim,
            rope_theta=theta,
            factor=factor,
            original_max_position_embeddings=original,
            low_freq_factor=low,
            high_freq_factor=high,
        )
        for head_dim, theta, original in (
            (128, 500000.0, 8192),
            (64, 10000.0, 256),
            (16, 10000.0, 128),
        )
        for factor in (2.0, 8.0, 32.0)
        for low, high in ((1.0, 4.0), (2.0, 8.0))
    ],
    *[
        case(
            "longrope",
            head_dim,
            rope_theta=10000.0,
            original_max_position_embeddings=256,
            long_factor=divisors(head_dim // 2, 1.0, 16.0, head_dim),
            short_factor=divisors(head_dim // 2, 1.0, 2.0, head_dim + 1),
            **extra,
        )
        for head_dim in (16, 64)
        for extra in (
            dict(),
            dict(seq_len=100),
            dict(seq_len=256),
            dict(seq_len=257),
            dict(seq_len=4000),
            dict(factor=8.0, seq_len=4000),
            dict(attention_factor=1.25, seq_len=300),
        )
    ],
]


def case_id(value):
    rope_type, head_dim, params = value
    return f"{rope_type}-d{head_dim}-" + "-".join(
        f"{k}={v}" for k, v in params.items() if not isinstance(v, list)
    )


def hf_config(rope_type, head_dim, params):
    from transformers import LlamaConfig

    rope = {k: v for k, v in params.items() if k != "seq_len"}
    return LlamaConfig(
        hidden_size=4 * head_dim,
        num_attention_heads=4,
        max_position_embeddings=MAX_POSITIONS,
        rope_parameters=dict(rope_type=rope_type, **rope),
    )


def hf_parameters(rope_type, head_dim, params):
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXRotaryEmbedding
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    config = hf_config(rope_type, head_dim, params)
    if rope_type != "default":
        return ROPE_INIT_FUNCTIONS[rope_type](
            config, "cpu", seq_len=params.get("seq_len")
        )
    if (
        "partial_rotary_factor" in params
    ):  # Llama's default ignores it; GPT-NeoX's does not
        return GPTNeoXRotaryEmbedding.compute_default_rope_parameters(config)
    return LlamaRotaryEmbedding.compute_default_rope_parameters(config)


def ours(rope_type, head_dim, params):
    return rope_parameters(
        head_dim, rope_type=rope_type, max_position_embeddings=MAX_POSITIONS, **params
    )


@pytest.mark.parametrize("config", CASES, ids=case_id)
def test_inv_freq_and_attention_factor_equal_hf(config):
    inv_freq, attention_factor = ours(*config)
    hf_inv_freq, hf_attention_factor = hf_parameters(*config)
    torch.testing.assert_close(inv_freq, hf_inv_freq, rtol=2e-7, atol=0)
    assert attention_factor == pytest.approx(hf_attention_factor, rel=1e-12)


def test_every_rope_type_is_covered():
    assert {rope_type for rope_type, _, _ in CASES} == set(ROPE_TYPES)


COS_SIN_CASES = [
    case("default", rope_theta=10000.0),
    case("linear", rope_theta=10000.0, factor=4.0),
    case("dynamic", rope_theta=10000.0, factor=4.0),
    case("yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=256),
    case(
        "yarn",
        rope_theta=10000.0,
        factor=8.0,
        original_max_position_embeddings=128,
        mscale=1.0,
        mscale_all_dim=0.5,
    ),
    case(
        "llama3",
        rope_theta=500000.0,
        factor=8.0,
        original_max_position_embeddings=256,
        low_freq_factor=1.0,
        high_freq_factor=4.0,
    ),
    case(
        "longrope",
        rope_theta=10000.0,
        original_max_position_embeddings=256,
        long_factor=divisors(32, 1.0, 16.0, 0),
        short_factor=divisors(32, 1.0, 2.0, 1),
    ),
]


@pytest.mark.parametrize("seq_len", [200, MAX_POSITIONS, 3000])
@pytest.mark.parametrize("config", COS_SIN_CASES, ids=case_id)
def test_cos_sin_equal_hf_rotary_embedding(config, seq_len):
    """HF's module picks dynamic and longrope frequencies from max(position_ids) + 1."""
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    rope_type, head_dim, params = config
    positions = torch.arange(seq_len).expand(2, seq_len)  # (B, T)
    hf_cos, hf_sin = LlamaRotaryEmbedding(hf_config(*config))(
        torch.randn(2, seq_len, 8), positions
    )
    inv_freq, attention_factor = ours(
        rope_type, head_dim, params | dict(seq_len=seq_len)
    )
    cos, sin = rope_cos_sin(
        positions, head_dim, inv_freq=inv_freq, attention_factor=attention_factor
    )
    # HF's dynamic module computes the new base in float32 tensors, its init function in
    # float64: allow the float32 resolution of the angle itself, seq_len·2⁻²³.
    atol = ATOL + seq_len * 2**-23
    torch.testing.assert_close(cos, hf_cos, atol=atol, rtol=0)
    torch.testing.assert_close(sin, hf_sin, atol=atol, rtol=0)


def test_yarn_attention_factor_scales_scores_by_its_square():
    inv_freq, factor = rope_parameters(
        32, rope_type="yarn", factor=16.0, original_max_position_embeddings=64
    )
    assert factor == pytest.approx(0.1 * math.log(16.0) + 1)
    q, k = torch.randn(2, 1, 1, 5, 32).unbind(0)
    plain = apply_rotary_pos_emb(
        q, k, *rope_cos_sin(torch.arange(5)[None], 32, inv_freq=inv_freq)
    )
    scaled = apply_rotary_pos_emb(
        q,
        k,
        *rope_cos_sin(
            torch.arange(5)[None], 32, inv_freq=inv_freq, attention_factor=factor
        ),
    )
    torch.testing.assert_close(
        scaled[0] @ scaled[1].mT,
        factor**2 * (plain[0] @ plain[1].mT),
        atol=1e-4,
        rtol=1e-5,
    )


def meta_rotary(x, inv_freq, positions, attention_factor=1.0):
    """Meta's Llama / DeepSeek-V2: pairs (2i, 2i+1) as complex numbers times freqs_cis."""
    freqs_cis = torch.polar(
        torch.full((), attention_factor), torch.outer(positions.float(), inv_freq)
    )
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(pairs * freqs_cis).flatten(-2)


@pytest.mark.parametrize("rope_type", ["default", "yarn", "llama3"])
def test_rotate_half_interleaved_and_complex_agree(rope_type):
    head_dim, seq_len = 32, 50
    scaling = (
        dict(factor=4.0, original_max_position_embeddings=16)
        if rope_type != "default"
        else {}
    )
    inv_freq, attention_factor = rope_parameters(
        head_dim, rope_type=rope_type, **scaling
    )
    positions = torch.arange(seq_len)
    cos, sin = rope_cos_sin(
        positions[None], head_dim, inv_freq=inv_freq, attention_factor=attention_factor
    )
    q, k = torch.randn(2, 2, 3, seq_len, head_dim).unbind(
        0
    )  # interleaved layout, (B, H, T, D)
    q_int, k_int = apply_interleaved_rotary_pos_emb(q, k, cos, sin)
    q_half, k_half = apply_rotary_pos_emb(deinterleave(q), deinterleave(k), cos, sin)
    q_meta, k_meta = (
        meta_rotary(x, inv_freq, positions, attention_factor) for x in (q, k)
    )
    torch.testing.assert_close(interleave(q_int), q_meta, atol=ATOL, rtol=0)
    torch.testing.assert_close(interleave(k_half), k_meta, atol=ATOL, rtol=0)
    scores = q_half @ k_half.mT  # permuting both layouts alike leaves q·k unchanged
    torch.testing.assert_close(q_int @ k_int.mT, scores, atol=1e-4, rtol=0)
    torch.testing.assert_close(q_meta @ k_meta.mT, scores, atol=1e-4, rtol=0)


def test_interleave_inverts_deinterleave():
    x = torch.randn(2, 3, 4, 10)
    assert torch.equal(interleave(deinterleave(x)), x)
    assert torch.equal(deinterleave(interleave(x)), x)


@pytest.mark.parametrize("config", COS_SIN_CASES, ids=case_id)
def test_scaled_scores_depend_only_on_the_offset(config):
    rope_type, head_dim, params = config
    inv_freq, attention_factor = ours(rope_type, head_dim, params | dict(seq_len=3000))
    positions = torch.arange(0, 3000, 75)  # 40 positions, beyond the original context
    cos, sin = rope_cos_sin(
        positions[None], head_dim, inv_freq=inv_freq, attention_factor=attention_factor
    )
    q, k = (torch.randn(1, 1, 1, head_dim).expand(1, 1, 40, head_dim) for _ in range(2))
    q_rot, k_rot = apply_rotary_pos_emb(q, k, cos, sin)
    scores = (q_rot @ k_rot.mT)[0, 0].double()  # (40, 40), score(m, n) at offset m − n
    for offset in (0, 3, 11):
        diagonal = torch.diagonal(scores, offset=-offset)
        torch.testing.assert_close(
            diagonal, diagonal[0].expand_as(diagonal), atol=2e-3, rtol=0
        )


@pytest.mark.parametrize("factor", [2.0, 4.0, 2.5])
def test_linear_scaling_at_s_times_m_equals_default_at_m(factor):
    """Position interpolation's invariant: position s·m sees the angles m saw."""
    inv_freq, _ = rope_parameters(64, rope_type="linear", factor=factor)
    m = torch.arange(0, 400, 2)
    scaled = rope_cos_sin(m * factor, 64, inv_freq=inv_freq)
    for ours_, default in zip(scaled, rope_cos_sin(m, 64), strict=True):
        torch.testing.assert_close(
            ours_, default, atol=ATOL if factor != 2.5 else 2e-4, rtol=0
        )


def test_dynamic_changes_nothing_up_to_max_position_embeddings():
    default, _ = rope_parameters(64)
    for seq_len in (None, 1, 512):
        scaled, _ = rope_parameters(
            64,
            rope_type="dynamic",
            factor=8.0,
            max_position_embeddings=512,
            seq_len=seq_len,
        )
        torch.testing.assert_close(scaled, default, atol=0, rtol=1e-7)
    longer, _ = rope_parameters(
        64, rope_type="dynamic", factor=8.0, max_position_embeddings=512, seq_len=1024
    )
    alpha = 8.0 * 1024 / 512 - 7.0  # the lowest frequency is divided by α, θ_0 kept
    torch.testing.assert_close(
        longer[[0, -1]], torch.stack([default[0], default[-1] / alpha])
    )


@pytest.mark.parametrize("rope_type", EXPLORED_TYPES)
@pytest.mark.parametrize("factor", [1.0, 2.5, 8.0])
def test_the_wavelength_explorer_draws_every_type_as_hf(rope_type, factor):
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    curves = scaled_wavelengths(
        rope_type, factor, 32.0, 1.0, 10000.0, original_max_position_embeddings=128
    )
    (label, got), (line, flat) = curves.items()
    rope = {"rope_type": rope_type, "rope_theta": 10000.0}
    rope |= {} if rope_type == "default" else {"factor": factor}
    if rope_type in ("yarn", "llama3"):
        rope["original_max_position_embeddings"] = 128
    if rope_type == "llama3":  # HF requires them; ours default to Llama 3.1's
        rope |= {"low_freq_factor": 1.0, "high_freq_factor": 4.0}
    # dynamic: HF's L is max_position_embeddings, and the explorer reads s·L tokens
    config = LlamaConfig(hidden_size=256, num_attention_heads=4,
                         max_position_embeddings=128, rope_parameters=rope)  # fmt: skip
    if rope_type == "default":
        from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

        theirs, _ = LlamaRotaryEmbedding.compute_default_rope_parameters(config)
    else:
        seq_len = math.ceil(factor * 128)
        theirs, _ = ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", seq_len=seq_len)
    torch.testing.assert_close(got, 2 * math.pi / theirs, rtol=1e-6, atol=0)
    assert label.startswith(rope_type) and line == "training length 128"
    assert torch.equal(flat, torch.full((32,), 128.0))


def test_the_live_explorer_redraws_dynamic(monkeypatch):
    # issue 13: chapter 6's explorer said "needs max_position_embeddings" for dynamic
    from llmviz import viz
    from llmviz.widgets import explore

    monkeypatch.delenv("LLMVIZ_BOOK", raising=False)  # live widgets, not the book
    explorer = explore(
        functools.partial(scaled_wavelengths, head_dim=64),
        draw=lambda c: viz.lines(torch.arange(32), c, log_y=True),
        rope_type=["yarn", "dynamic"],
        factor=(1.0, 32.0),
        beta_fast=(1.0, 64.0),
        beta_slow=(0.5, 8.0),
        rope_theta=(100.0, 1e6),
    )
    explorer.controls["factor"].value = 4.0
    explorer.controls["rope_type"].value = "dynamic"
    names = [trace.name for trace in explorer.figure.data]
    assert names[0] == "dynamic at seq_len 512 (attention factor 1.000)"
    expected = 2 * math.pi / rope_parameters(
        64, explorer.controls["rope_theta"].value, "dynamic", factor=4.0,
        max_position_embeddings=128, seq_len=512,
    )[0]  # fmt: skip
    torch.testing.assert_close(
        torch.tensor(explorer.figure.data[0].y, dtype=torch.float64), expected.double()
    )


def test_yarn_keeps_high_frequencies_and_interpolates_low_ones():
    inv_freq, _ = rope_parameters(
        128, rope_type="yarn", factor=8.0, original_max_position_embeddings=4096
    )
    default, _ = rope_parameters(128)
    low, high = yarn_correction_range(128, 10000.0, 4096)
    torch.testing.assert_close(inv_freq[:low], default[:low])
    torch.testing.assert_close(inv_freq[high:], default[high:] / 8.0)
    turns = 4096 / wavelengths(default)  # full turns over the original context
    assert turns[low - 1] > 32 and turns[high] < 1


def test_yarn_ramp():
    assert yarn_ramp(2, 6, 8).tolist() == [0, 0, 0, 0.25, 0.5, 0.75, 1, 1]
    torch.testing.assert_close(
        yarn_ramp(3, 3, 5), torch.tensor([0.0, 0, 0, 0, 1])
    )  # high + 0.001
    assert yarn_correction_range(64, 10000.0, 4096, truncate=False)[0] % 1 != 0


def test_llama3_bands():
    inv_freq, _ = rope_parameters(
        128, 500000.0, "llama3", factor=8.0, original_max_position_embeddings=8192
    )
    default, _ = rope_parameters(128, 500000.0)
    wavelength = wavelengths(default)
    short, long = wavelength < 8192 / 4, wavelength > 8192 / 1
    assert short.any() and long.any() and (~short & ~long).any()
    torch.testing.assert_close(inv_freq[short], default[short])
    torch.testing.assert_close(inv_freq[long], default[long] / 8)
    middle = inv_freq[~short & ~long]
    assert (
        (middle < default[~short & ~long]) & (middle > default[~short & ~long] / 8)
    ).all()


@pytest.mark.parametrize("head_dim", [16, 128])
def test_rope_score_decay_is_roformers_bound(head_dim):
    decay = rope_score_decay(head_dim, max_distance=300)
    assert decay.shape == (301,)
    assert decay[0].item() == pytest.approx((head_dim / 2 + 1) / 2)
    if head_dim == 128:  # with few frequencies the curve oscillates more than it decays
        assert decay[150:].max() < 0.6 * decay[0]
    half = head_dim // 2
    inv_freq, _ = rope_parameters(head_dim)
    cos, sin = rope_cos_sin(torch.arange(301)[None], head_dim)
    q, k = torch.randn(2, 1, 1, 1, head_dim).unbind(0)
    q_rot, k_rot = apply_rotary_pos_emb(
        q.expand(1, 1, 301, -1), k.expand(1, 1, 301, -1), cos, sin
    )
    scores = (q_rot[0, 0, :1] @ k_rot[0, 0].mT)[0]  # query at 0, keys at 0..300
    h = (
        torch.complex(q[..., :half], q[..., half:]).flatten()
        * torch.complex(k[..., :half], -k[..., half:]).flatten()
    )
    steps = (torch.cat([h[1:], h.new_zeros(1)]) - h).abs().max()  # h_{d/2} = 0
    assert (scores.abs() <= steps * half * decay + 1e-4).all()
    assert rope_score_decay(head_dim, max_distance=5, inv_freq=inv_freq).shape == (6,)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            dict(rope_type="ntk"),
            ValueError,
            r"rope_type must be one of \['default', 'linear', 'dynamic', 'yarn', "
            r"'llama3', 'longrope'\], got 'ntk'",
        ),
        (
            dict(rope_type="linear"),
            ValueError,
            r"rope_type='linear' needs factor > 0, got None",
        ),
        (
            dict(rope_type="llama3", original_max_position_embeddings=8),
            ValueError,
            "needs factor > 0, got None",
        ),
        (
            dict(rope_type="linear", factor=0.0),
            ValueError,
            "factor must be a finite number > 0, got 0.0",
        ),
        (
            dict(rope_type="yarn", factor=-2.0, original_max_position_embeddings=8),
            ValueError,
            "factor must be a finite number > 0, got -2.0",
        ),
        (
            dict(rope_type="yarn", original_max_position_embeddings=8),
            ValueError,
            r"rope_type='yarn' needs factor > 0, got None",
        ),
        (
            dict(rope_type="dynamic", factor=2.0),
            ValueError,
            r"rope_type='dynamic' needs max_position_embeddings, got None",
        ),
        (
            dict(rope_type="yarn", factor=2.0),
            ValueError,
            r"rope_type='yarn' needs original_max_position_embeddings, got None",
        ),
        (
            dict(rope_type="llama3", factor=2.0),
            ValueError,
            "needs original_max_position_embeddings",
        ),
        (
            dict(head_dim=7),
            ValueError,
            r"even rotary dimension .* got 7 from head_dim=7",
        ),
        (
            dict(head_dim=12, partial_rotary_factor=0.25),
            ValueError,
            "got 3 from head_dim=12",
        ),
        (
            dict(partial_rotary_factor=1.5),
            ValueError,
            r"partial_rotary_factor must be in \(0.0, 1.0\], got 1.5",
        ),
        (
            dict(head_dim=8.0),
            TypeError,
            "head_dim must be an integer, got 8.0 of type float",
        ),
        (
            dict(rope_theta=0),
            ValueError,
            "rope_theta must be a finite number > 0, got 0",
        ),
        (
            dict(rope_type="linear", factor=2.0, attention_factor=1.2),
            ValueError,
            r"attention_factor applies to rope_type in \('yarn', 'longrope'\) only",
        ),
        (
            dict(rope_type="longrope", original_max_position_embeddings=8, factor=2.0),
            ValueError,
            r"needs long_factor, a list of rotary dim/2 = 16 numbers, got None",
        ),
        (
            dict(
                rope_type="longrope",
                original_max_position_embeddings=8,
                factor=2.0,
                long_factor=[1.0] * 16,
                short_factor=[1.0],
            ),
            ValueError,
            r"short_factor must hold rotary dim/2 = 16 numbers, got shape \(1,\)",
        ),
        (
            dict(
                rope_type="llama3",
                factor=2.0,
                original_max_position_embeddings=8,
                low_freq_factor=4.0,
                high_freq_factor=4.0,
            ),
            ValueError,
            "high_freq_factor must be > low_freq_factor=4.0, got 4.0",
        ),
        (
            dict(rope_type="dynamic", factor=2.0, max_position_embeddings=0),
            ValueError,
            "max_position_embeddings must be an integer >= 1, got 0",
        ),
        (dict(seq_len=0), ValueError, "seq_len must be an integer >= 1, got 0"),
        (
            dict(
                rope_type="yarn",
                factor=2.0,
                original_max_position_embeddings=8,
                beta_fast=0,
            ),
            ValueError,
            "beta_fast must be a finite number > 0, got 0",
        ),
        # issue 13: a zero divisor gave inf frequencies, silently
        (
            dict(
                rope_type="longrope",
                original_max_position_embeddings=8,
                factor=2.0,
                long_factor=[0.0] + [1.0] * 15,
                short_factor=[1.0] * 16,
            ),
            ValueError,
            r"long_factor must hold finite divisors > 0",
        ),
        (
            dict(
                rope_type="longrope",
                original_max_position_embeddings=8,
                factor=2.0,
                long_factor=[1.0] * 16,
                short_factor="1" * 16,
            ),
            TypeError,
            r"short_factor must be a list or a 1-d tensor of numbers",
        ),
        (
            dict(
                rope_type="yarn", factor=2.0, max_position_embeddings=8, beta_fast=0.5
            ),
            ValueError,
            r"beta_fast must be > beta_slow=1.0",
        ),
        (
            dict(rope_type="yarn", factor=2.0, max_position_embeddings=8, truncate=0),
            TypeError,
            r"truncate must be a bool, got 0",
        ),
        (
            dict(
                rope_type="yarn",
                factor=4.0,
                max_position_embeddings=8,
                mscale=1.0,
                mscale_all_dim=-10 / math.log(4.0),
            ),
            ValueError,
            r"mscale_all_dim must be in \[0.0, inf\)",
        ),
        (
            dict(
                rope_type="llama3",
                factor=2.0,
                original_max_position_embeddings=8,
                high_freq_factor=None,
            ),
            TypeError,
            "high_freq_factor must be a real number, got None",
        ),
    ],
)
def test_rope_parameters_bad_input(kwargs, error, message):
    kwargs = dict(head_dim=32) | kwargs
    with pytest.raises(error, match=message):
        rope_parameters(**kwargs)


def test_dynamic_needs_more_than_two_rotary_dimensions():
    with pytest.raises(
        ValueError, match="'dynamic' needs a rotary dimension > 2 .*, got 2"
    ):
        rope_parameters(2, rope_type="dynamic", factor=2.0, max_position_embeddings=8)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [  # issue 13: odd widths were silently cut, and the layouts had no checks at all
        (lambda: rotate_half(torch.ones(2, 3)), ValueError, "x must have an even last"),
        (lambda: deinterleave(torch.ones(5)), ValueError, "x must have an even last"),
        (lambda: interleave(torch.ones(5)), ValueError, "x must have an even last"),
        (lambda: rotate_half([1.0, 2.0]), TypeError, "x must be a torch.Tensor"),
        (
            lambda: apply_rotary_pos_emb(
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 2, 3, 8),
                *rope_cos_sin(torch.arange(3)[None], 6),
            ),
            ValueError,
            "q of shape (1, 2, 3, 8) must have the last dimension of cos and sin",
        ),
        (
            lambda: apply_rotary_pos_emb(
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 2, 4, 8),
                *rope_cos_sin(torch.arange(3)[None], 8),
            ),
            ValueError,
            "must broadcast over k, got k of shape (1, 2, 4, 8)",
        ),
        (
            lambda: apply_rotary_pos_emb(
                torch.ones(1, 2, 3, 8), None, *rope_cos_sin(torch.arange(3)[None], 8)
            ),
            TypeError,
            "k must be a torch.Tensor, got NoneType",
        ),
        (
            lambda: apply_interleaved_rotary_pos_emb(
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 3, 8),
                torch.ones(1, 3, 6),
            ),
            ValueError,
            "sin must have the shape of cos, (1, 3, 8), got (1, 3, 6)",
        ),
        (
            lambda: apply_rotary_pos_emb(
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 2, 3, 8),
                torch.ones(1, 3, 8),
                torch.ones(1, 3, 8),
                unsqueeze_dim=4,
            ),
            ValueError,
            "unsqueeze_dim must be an integer <= 3, got 4",
        ),
    ],
)
def test_rotary_layouts_bad_input(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)


def test_cos_and_sin_are_checked_for_nan_by_a_sum_that_may_overflow():
    q = torch.ones(1, 2, 3, 8)
    cos, sin = torch.ones(1, 3, 8), torch.zeros(1, 3, 8)
    with pytest.raises(ValueError, match="sin must be finite"):
        apply_rotary_pos_emb(q, q, cos, sin.index_fill(2, torch.tensor([5]), math.nan))
    huge = torch.full((1, 3, 8), 3e38)  # finite, but its sum overflows to inf
    rotated, _ = apply_rotary_pos_emb(q, q, huge, sin)
    assert torch.equal(rotated, q * huge[:, None])


def test_rope_cos_sin_bad_input():
    positions = torch.arange(3)
    with pytest.raises(
        ValueError,
        match=r"inv_freq must have shape \(head_dim/2,\) = \(4,\), got \(3,\)",
    ):
        rope_cos_sin(positions, 8, inv_freq=torch.ones(3))
    with pytest.raises(TypeError, match="inv_freq must be a Tensor or None, got list"):
        rope_cos_sin(positions, 8, inv_freq=[1.0] * 4)
    with pytest.raises(
        ValueError, match="attention_factor must be a finite number > 0, got 0"
    ):
        rope_cos_sin(positions, 8, attention_factor=0)
    with pytest.raises(ValueError, match=r"head_dim must be even \(.*\), got 5"):
        rope_score_decay(5)
    with pytest.raises(
        ValueError, match="max_distance must be an integer >= 0, got -1"
    ):
        rope_score_decay(8, max_distance=-1)
