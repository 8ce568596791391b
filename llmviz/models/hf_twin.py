"""``to_hf_llama``: the Hugging Face ``LlamaForCausalLM`` twin of a TinyGPT."""

from __future__ import annotations

from torch import nn

from llmviz.models.tinygpt import TinyGPT

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
            "model must be a TinyGPT with RoPE, no output gate and no experts to "
            f"have a Llama twin; got output_gate={ours.output_gate}, "
            f"position_embedding={ours.position_embedding!r}, "
            f"num_experts={ours.num_experts}"
        )
    from transformers import LlamaConfig, LlamaForCausalLM

    fields = {k: v for k, v in ours.to_dict().items() if k not in _NOT_IN_LLAMA}
    twin = LlamaForCausalLM(LlamaConfig(**(fields | config)))  # tie_word_embeddings too
    twin.load_state_dict(
        {
            ("" if name.startswith("lm_head") else "model.") + name: weight
            for name, weight in model.state_dict().items()
        }
    )
    return twin.eval()
