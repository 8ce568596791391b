"""TinyGPT: a decoder-only transformer in the Llama recipe, small enough for a CPU.

Each layer is pre-norm [touvron2023llama]:

    h = x + Attention(RMSNorm(x))        with RoPE on q and k, and shared KV heads
    y = h + SwiGLU(RMSNorm(h))

The token embedding is tied to the output layer unless ``tie_word_embeddings=False``
(as in Hugging Face's configs). ``output_gate=True`` adds a sigmoid gate after
attention [qiu2025gated]. ``rope_parameters`` rescales RoPE for longer contexts
(chapter 6), and ``position_embedding="learned"`` replaces RoPE by a table of absolute
positions added to the token embeddings, as in BERT and GPT-2. With ``num_experts`` > 0
every feed-forward layer is a sparse mixture of SwiGLU experts (chapter 7); each layer
keeps the router logits of its last call. The parameter
names are those of Hugging Face's ``LlamaForCausalLM`` (without its ``model.``
prefix), so that its weights can be compared one for one; ``to_hf_llama``
(``llmviz.models.hf_twin``) builds that twin.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_bool, check_int, checked_by_caller
from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.attention.kv_cache import KVCache
from llmviz.layers import RMSNorm, SwiGLU
from llmviz.models.config import POSITION_EMBEDDINGS, TinyGPTConfig
from llmviz.models.static_decode import generate_static
from llmviz.moe.layer import SparseMoeBlock
from llmviz.positions.rope import rope_cos_sin
from llmviz.positions.rope_scaling import rope_parameters

__all__ = ["POSITION_EMBEDDINGS", "TinyGPT", "TinyGPTConfig"]
MAX_NEW_TOKENS = 1_000_000  # generate's bound: more would run for days on a CPU
CACHES = ("dynamic", "static")  # generate's cache_implementation, as in HF's generate
SMALL_HIDDEN = 1024  # up to this hidden_size, a cached decoding step runs on one thread
MAX_THREADS = 1024


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
        if not isinstance(config, TinyGPTConfig):
            raise TypeError(
                f"config must be a TinyGPTConfig, got {type(config).__name__}"
            )
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
        self.apply(self._init_weights)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    @property
    def head_dim(self) -> int:
        return self.config.hidden_size // self.config.num_attention_heads

    def _check_ids(self, input_ids: Tensor) -> None:
        """(B, T) int64 token ids, each in [0, vocab_size)."""
        check_tensor("input_ids", input_ids, ranks=(2,), floating=False)
        if input_ids.dtype != torch.long:
            raise TypeError(f"input_ids must be int64 token ids, got {input_ids.dtype}")
        low, high = int(input_ids.min()), int(input_ids.max())
        if low < 0 or high >= self.config.vocab_size:
            raise ValueError(
                f"input_ids must lie in [0, vocab_size={self.config.vocab_size}), got "
                f"ids from {low} to {high}"
            )

    def _positions(
        self, input_ids: Tensor, cache: KVCache | None, position_ids: Tensor | None
    ) -> Tensor:
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(
                f"cache must be a KVCache or None, got {type(cache).__name__}"
            )
        cached = 0 if cache is None else cache.seq_len(0)
        if position_ids is None:
            return torch.arange(cached, cached + input_ids.shape[1])
        check_tensor("position_ids", position_ids, ranks=(1,), floating=False)
        if position_ids.shape != input_ids.shape[-1:]:
            raise ValueError(
                f"position_ids must have shape ({input_ids.shape[1]},), one per token,"
                f" got {tuple(position_ids.shape)}"
            )
        if int(position_ids.min()) < 0:
            raise ValueError(
                f"position_ids must be >= 0, got {int(position_ids.min())}"
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
        self._check_ids(input_ids)
        check_bool("output_attentions", output_attentions)
        return self._forward(input_ids, cache, output_attentions, position_ids)

    def _forward(
        self,
        input_ids: Tensor,
        cache: KVCache | None = None,
        output_attentions: bool = False,
        position_ids: Tensor | None = None,
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        positions = self._positions(input_ids, cache, position_ids)
        x = self.embed_tokens(input_ids)  # (B, T, hidden)
        if self.config.position_embedding == "learned":
            x, cos_sin = x + self._learned_positions(positions), None
        else:
            cos_sin = self._rotary(positions)
        attentions = []
        with checked_by_caller():  # the layers' inputs are built here from checked ids
            for layer in self.layers:
                x, weights = layer(x, cos_sin, cache, output_attentions)
                attentions.append(weights)
        logits = self.lm_head(self.norm(x))  # (B, T, vocab)
        return (logits, attentions) if output_attentions else logits

    @torch.no_grad()
    def generate(
        self,
        input_ids: Tensor,
        max_new_tokens: int,
        use_cache: bool = True,
        cache_implementation: str = "dynamic",
        threads: int | None = None,
    ) -> Tensor:
        """Greedy decoding: append the most likely next token, ``max_new_tokens``
        times. With ``use_cache``, each step runs only the newest token.

        ``cache_implementation`` "dynamic" is chapter 3's ``KVCache``, which grows by
        concatenation; "static" preallocates a ``StaticKVCache`` for the whole output
        and reads shared KV heads without copying them: the same tokens, faster.
        ``threads`` sets torch's threads for the loop (the caller's are restored
        after); None chooses: one when each step's products are small (a cached step
        of a model of hidden_size <= 1024), where a second thread only waits."""
        self._check_ids(input_ids)
        check_int("max_new_tokens", max_new_tokens, minimum=0, maximum=MAX_NEW_TOKENS)
        check_bool("use_cache", use_cache)
        check_choice("cache_implementation", cache_implementation, CACHES)
        if threads is not None:
            check_int("threads", threads, minimum=1, maximum=MAX_THREADS)
        elif use_cache and self.config.hidden_size <= SMALL_HIDDEN:
            threads = 1
        before = torch.get_num_threads()
        torch.set_num_threads(threads or before)
        try:
            if use_cache and cache_implementation == "static":
                return generate_static(self, input_ids, max_new_tokens)
            return self._generate(input_ids, max_new_tokens, use_cache)
        finally:
            torch.set_num_threads(before)

    def _generate(
        self, input_ids: Tensor, max_new_tokens: int, use_cache: bool
    ) -> Tensor:
        """The loop chapter 3 teaches, with a ``KVCache`` or none."""
        cache = KVCache() if use_cache else None
        ids, step_input = input_ids, input_ids
        for _ in range(max_new_tokens):  # argmax ids are in the vocabulary: no checks
            logits = self._forward(step_input, cache=cache)
            next_id = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
            ids = torch.cat([ids, next_id], dim=1)
            step_input = next_id if use_cache else ids
        return ids
