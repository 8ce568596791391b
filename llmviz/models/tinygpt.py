"""TinyGPT: a decoder-only transformer in the Llama recipe, small enough for a CPU.

Each layer is pre-norm [touvron2023llama]:

    h = x + Attention(RMSNorm(x))        with RoPE on q and k, and shared KV heads
    y = h + SwiGLU(RMSNorm(h))

The token embedding is tied to the output layer. ``output_gate=True`` adds a sigmoid
gate after attention [qiu2025gated]. ``rope_parameters`` rescales RoPE for longer
contexts (chapter 6), and ``position_embedding="learned"`` replaces RoPE by a table of
absolute positions added to the token embeddings, as in BERT and GPT-2. With
``num_experts`` > 0 every feed-forward layer is a sparse mixture of SwiGLU experts
(chapter 7); each layer keeps the router logits of its last call. The parameter
names are those of Hugging Face's ``LlamaForCausalLM`` (without its ``model.``
prefix), so that its weights can be compared one for one; ``to_hf_llama`` builds that
twin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_positive_number
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.attention.kv_cache import KVCache
from llmviz.layers import RMSNorm, SwiGLU
from llmviz.moe.layer import SparseMoeBlock
from llmviz.moe.routing import check_top_k
from llmviz.positions.rope import rope_cos_sin
from llmviz.positions.rope_scaling import rope_parameters

POSITION_EMBEDDINGS = ("rope", "learned")


@dataclass(frozen=True)
class TinyGPTConfig:
    """The sizes of a TinyGPT, named as in Hugging Face's ``LlamaConfig``."""

    vocab_size: int = 2048
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 384
    max_position_embeddings: int = 256  # the training length; RoPE itself has no limit
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    output_gate: bool = False
    position_embedding: str = "rope"  # or "learned": a table of absolute positions
    rope_parameters: dict | None = None  # rope_type and its scaling, as in HF
    num_experts: int = 0  # > 0: each feed-forward layer is a mixture of experts
    num_experts_per_tok: int = 2

    def __post_init__(self) -> None:
        for name in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "intermediate_size",
            "max_position_embeddings",
        ):
            check_int(name, getattr(self, name), minimum=1)
        check_positive_number("rope_theta", self.rope_theta)
        check_positive_number("rms_norm_eps", self.rms_norm_eps)
        check_int("num_experts", self.num_experts, minimum=0)
        if self.num_experts:
            check_top_k(
                "num_experts_per_tok", self.num_experts_per_tok, self.num_experts
            )
        if self.position_embedding not in POSITION_EMBEDDINGS:
            raise ValueError(
                f"position_embedding must be one of {POSITION_EMBEDDINGS}, got "
                f"{self.position_embedding!r}"
            )

    def to_dict(self) -> dict:
        return asdict(self)


class DecoderLayer(nn.Module):
    """x + attention(norm(x)), then + SwiGLU(norm(·))."""

    def __init__(self, config: TinyGPTConfig, layer_idx: int) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = GroupedQueryAttention(
            config.hidden_size,
            config.num_attention_heads,
            config.num_key_value_heads,
            layer_idx=layer_idx,
            output_gate=config.output_gate,
        )
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        if config.num_experts:  # intermediate_size is then each expert's
            self.mlp = SparseMoeBlock(
                config.hidden_size,
                config.intermediate_size,
                config.num_experts,
                config.num_experts_per_tok,
            )
        else:
            self.mlp = SwiGLU(config.hidden_size, config.intermediate_size)
        self.router_logits: Tensor | None = None  # (B·T, E) of the last call, if MoE

    def forward(
        self,
        x: Tensor,
        cos_sin: tuple[Tensor, Tensor] | None,
        cache: KVCache | None,
        return_weights: bool,
    ) -> tuple[Tensor, Tensor | None]:
        attended = self.self_attn(
            self.input_layernorm(x),
            position_embeddings=cos_sin,
            is_causal=True,
            cache=cache,
            return_weights=return_weights,
        )
        attended, weights = attended if return_weights else (attended, None)
        x = x + attended
        mixed = self.mlp(self.post_attention_layernorm(x))
        if isinstance(mixed, tuple):  # a mixture of experts also gives its routing
            mixed, self.router_logits = mixed
        return x + mixed, weights


class TinyGPT(nn.Module):
    """A causal language model: token ids (B, T) → next-token logits (B, T, vocab).

    >>> model = TinyGPT(TinyGPTConfig(vocab_size=50, hidden_size=16,
    ...                               num_hidden_layers=1, intermediate_size=32))
    >>> model(torch.tensor([[1, 2, 3]])).shape
    torch.Size([1, 3, 50])
    """

    def __init__(self, config: TinyGPTConfig) -> None:
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        if config.position_embedding == "learned":  # BERT and GPT-2's absolute table
            self.embed_positions = nn.Embedding(
                config.max_position_embeddings, config.hidden_size
            )
        self.layers = nn.ModuleList(
            DecoderLayer(config, i) for i in range(config.num_hidden_layers)
        )
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.lm_head.weight = self.embed_tokens.weight  # tied
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    @property
    def head_dim(self) -> int:
        return self.config.hidden_size // self.config.num_attention_heads

    def _positions(
        self, input_ids: Tensor, cache: KVCache | None, position_ids: Tensor | None
    ) -> Tensor:
        if input_ids.dim() != 2 or input_ids.dtype != torch.long:
            raise ValueError(
                "input_ids must be a (batch, seq) tensor of int64 token ids, got "
                f"shape {tuple(input_ids.shape)} and dtype {input_ids.dtype}"
            )
        cached = 0 if cache is None else cache.seq_len(0)
        if position_ids is None:
            return torch.arange(cached, cached + input_ids.shape[1])
        if position_ids.shape != input_ids.shape[-1:]:
            raise ValueError(
                f"position_ids must have shape ({input_ids.shape[1]},), one per token,"
                f" got {tuple(position_ids.shape)}"
            )
        if cached and int(position_ids[0]) != cached:
            raise ValueError(
                f"position_ids must continue the cache, which holds {cached} tokens: "
                f"the next position is {cached}, got {int(position_ids[0])}"
            )
        return position_ids

    def _learned_positions(self, positions: Tensor) -> Tensor:
        table = self.config.max_position_embeddings
        if int(positions.max()) >= table:
            raise ValueError(
                f"a learned position table has no row past max_position_embeddings="
                f"{table}: got position {int(positions.max())}"
            )
        return self.embed_positions(positions)  # (T, hidden)

    def _rotary(self, positions: Tensor) -> tuple[Tensor, Tensor]:
        """RoPE's (cos, sin), each (1, T, head_dim), as ``rope_parameters`` say."""
        inv_freq, attention_factor = rope_parameters(
            self.head_dim,
            self.config.rope_theta,
            max_position_embeddings=self.config.max_position_embeddings,
            seq_len=int(positions.max()) + 1,
            **(self.config.rope_parameters or {}),
        )
        cos, sin = rope_cos_sin(
            positions,
            self.head_dim,
            inv_freq=inv_freq,
            attention_factor=attention_factor,
        )
        return cos[None], sin[None]

    def forward(
        self,
        input_ids: Tensor,
        cache: KVCache | None = None,
        output_attentions: bool = False,
        position_ids: Tensor | None = None,
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        """Logits (B, T, vocab); with ``output_attentions``, also each layer's
        attention weights (B, H, T, T_kv). With a ``cache``, ``input_ids`` continue
        the tokens it holds, and their keys and values are added to it.
        ``position_ids`` (T,) default to 0, 1, … after the cached tokens."""
        positions = self._positions(input_ids, cache, position_ids)
        x = self.embed_tokens(input_ids)  # (B, T, hidden)
        if self.config.position_embedding == "learned":
            x, cos_sin = x + self._learned_positions(positions), None
        else:
            cos_sin = self._rotary(positions)
        attentions = []
        for layer in self.layers:
            x, weights = layer(x, cos_sin, cache, output_attentions)
            attentions.append(weights)
        logits = self.lm_head(self.norm(x))  # (B, T, vocab)
        return (logits, attentions) if output_attentions else logits

    @torch.no_grad()
    def generate(
        self, input_ids: Tensor, max_new_tokens: int, use_cache: bool = True
    ) -> Tensor:
        """Greedy decoding: append the most likely next token, ``max_new_tokens``
        times. With ``use_cache``, each step runs only the newest token."""
        check_int("max_new_tokens", max_new_tokens, minimum=0)
        cache = KVCache() if use_cache else None
        ids, step_input = input_ids, input_ids
        for _ in range(max_new_tokens):
            logits = self(step_input, cache=cache)
            next_id = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
            ids = torch.cat([ids, next_id], dim=1)
            step_input = next_id if use_cache else ids
        return ids


_NOT_IN_LLAMA = (
    "output_gate",
    "position_embedding",
    "num_experts",
    "num_experts_per_tok",
)


def to_hf_llama(model: TinyGPT, **config: object) -> nn.Module:
    """Hugging Face's ``LlamaForCausalLM`` holding ``model``'s weights: the same
    logits, and a production implementation to check ours against (``generate``,
    ``DynamicCache``). ``config`` adds or overrides ``LlamaConfig`` fields, such as
    ``attn_implementation="eager"``. Needs ``transformers``.

    Only a plain TinyGPT has a Llama twin: RoPE, no output gate, no experts.
    """
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    ours = model.config
    if ours.output_gate or ours.position_embedding != "rope" or ours.num_experts:
        raise ValueError(
            "only a TinyGPT with RoPE, no output gate and no experts has a Llama "
            f"twin; got output_gate={ours.output_gate}, position_embedding="
            f"{ours.position_embedding!r}, num_experts={ours.num_experts}"
        )
    from transformers import LlamaConfig, LlamaForCausalLM

    fields = {k: v for k, v in ours.to_dict().items() if k not in _NOT_IN_LLAMA}
    twin = LlamaForCausalLM(LlamaConfig(**fields, tie_word_embeddings=True, **config))
    twin.load_state_dict(
        {
            ("" if name.startswith("lm_head") else "model.") + name: weight
            for name, weight in model.state_dict().items()
        }
    )
    return twin.eval()
