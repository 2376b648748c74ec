"""The encoder's ONNX graph computes what a BERT layer stack computes."""

from __future__ import annotations

from typing import Tuple

import numpy as np
import onnx

from rasa_extensions.nlu.sentence_encoder_graph import EncoderLayer, encoder_graph, encoder_session

WIDTH, HEADS, INTERMEDIATE = 8, 2, 16


def _norm(x: np.ndarray, weight_and_bias: Tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * weight_and_bias[0] + weight_and_bias[1]


def _reference(
    embedded: np.ndarray, mask: np.ndarray, norm: Tuple[np.ndarray, np.ndarray], layer: EncoderLayer
) -> np.ndarray:
    """One layer, written out in NumPy the way BERT and sentence-transformers compute it."""
    batch, length, _ = embedded.shape
    head_width = WIDTH // HEADS
    hidden = _norm(embedded, norm)
    qkv = (hidden @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, HEADS, head_width).transpose(2, 0, 3, 1, 4)
    scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) / np.sqrt(head_width) + (1 - mask)[:, None, None, :] * -1e9
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    context = (weights @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
    hidden = _norm(context @ layer.attention_out + layer.attention_out_bias + hidden, layer.attention_norm)
    inner = hidden @ layer.intermediate + layer.intermediate_bias
    inner = 0.5 * inner * (1 + np.tanh(0.7978845608 * (inner + 0.044715 * inner**3)))
    hidden = _norm(inner @ layer.output + layer.output_bias + hidden, layer.output_norm)
    pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def test_the_graph_matches_a_numpy_bert_layer_with_padding_masked() -> None:
    random = np.random.default_rng(7)

    def weights(*shape: int) -> np.ndarray:
        return random.normal(0, 0.5, shape).astype(np.float32)

    # A BERT checkpoint's names and (out, in) layout, as EncoderLayer reads them.
    prefix = "encoder.layer.0."
    checkpoint = {f"{prefix}attention.self.{part}.{kind}": weights(WIDTH, WIDTH) if kind == "weight" else weights(WIDTH)
                  for part in ("query", "key", "value") for kind in ("weight", "bias")}  # fmt: skip
    checkpoint.update({
        f"{prefix}attention.output.dense.weight": weights(WIDTH, WIDTH),
        f"{prefix}attention.output.dense.bias": weights(WIDTH),
        f"{prefix}attention.output.LayerNorm.weight": 1 + weights(WIDTH),
        f"{prefix}attention.output.LayerNorm.bias": weights(WIDTH),
        f"{prefix}intermediate.dense.weight": weights(INTERMEDIATE, WIDTH),
        f"{prefix}intermediate.dense.bias": weights(INTERMEDIATE),
        f"{prefix}output.dense.weight": weights(WIDTH, INTERMEDIATE),
        f"{prefix}output.dense.bias": weights(WIDTH),
        f"{prefix}output.LayerNorm.weight": 1 + weights(WIDTH),
        f"{prefix}output.LayerNorm.bias": weights(WIDTH),
    })  # fmt: skip
    layer = EncoderLayer.from_weights(checkpoint, prefix)
    norm = (1 + weights(WIDTH), weights(WIDTH))
    graph = encoder_graph(norm, [layer], HEADS)
    onnx.checker.check_model(graph)
    session = encoder_session(graph)

    embedded = weights(2, 5, WIDTH)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=np.float32)
    (sentences,) = session.run(["sentence"], {"embedded": embedded, "mask": mask})

    assert np.abs(sentences - _reference(embedded, mask, norm, layer)).max() < 1e-5
    # Padding is masked: the second text alone, unpadded, embeds the same.
    (alone,) = session.run(["sentence"], {"embedded": embedded[1:, :3], "mask": mask[1:, :3]})
    assert np.abs(alone[0] - sentences[1]).max() < 1e-5
