"""PI's fine-tune script (llmviz.positions.pi_finetune): its twin interpolates positions
(position 2m under factor 2 turns as m did, the definition of PI [chen2023pi]), its
windows are chapter 6's (train.windows_after_bos), and the shipped log's first losses
are what the script's own evaluation gives for TinyGPT."""

from __future__ import annotations

import json

import torch

from llmviz.models import pretrained, train
from llmviz.positions.pi_finetune import LOG, mean_loss, scaled_twin, validation_rows


def test_pi_twin_turns_position_2m_as_the_model_turned_m():
    model, _ = pretrained.load_tinygpt("tinygpt")
    twin = scaled_twin(model, 2.0, 256)
    m = torch.arange(0, 128)
    for ours, theirs in zip(twin._rotary(2 * m), model._rotary(m), strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    plain = scaled_twin(model, None, 256).eval()
    ids = torch.randint(0, 2048, (1, 40))
    with torch.no_grad():
        torch.testing.assert_close(plain(ids), model(ids))


def test_validation_rows_are_windows_after_bos():
    ids = torch.arange(1, 20_000)
    torch.testing.assert_close(
        validation_rows(ids, 256, 0), train.windows_after_bos(ids, 255, 0)[:64]
    )


def test_the_shipped_log_starts_where_the_model_is():
    log = json.loads(LOG.read_text())
    model, tokenizer = pretrained.load_tinygpt("tinygpt")
    _, val_text = train.corpus_texts()
    stream = torch.tensor(tokenizer.encode(val_text))
    bos = tokenizer.ids[pretrained.BOS_TOKEN]
    rows = validation_rows(stream, 256, bos)
    for name, factor in (("PI", 2.0), ("none", None)):
        first = log["runs"][name]["steps"][0]["loss_at_256"]
        recomputed = mean_loss(scaled_twin(model, factor, 256), rows)
        assert abs(first - recomputed) < 1e-3
