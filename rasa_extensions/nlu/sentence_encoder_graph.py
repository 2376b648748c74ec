"""The sentence encoder's six layers as an ONNX graph, built from its weights.

ONNX Runtime runs a visitor's message through these layers in less than half
the time TensorFlow took, even compiled by XLA (benchmarks/README.md), at any
length without compiling anything first. The graph is built here in memory
from the weights in the safetensors file, operation by operation as
sentence-transformers' BERT computes them, so nothing is converted or
downloaded.
`encoder_session` is how the encoder and its tests run it.

Inputs: `embedded` (batch, length, width), the token, position and type
embeddings summed; `mask` (batch, length), 1 for tokens and 0 for padding.
Output: `sentence` (batch, width), the mean of the tokens' last hidden
states, scaled to unit length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

# LayerNormalization is in ONNX from opset 17, GELU from opset 20.
OPSET = 20
ONNX_IR_VERSION = 9
# One thread per message: a server understands one message at a time per
# worker, and its event loop needs the other core for everything else.
ENCODER_THREADS = 1


@dataclass(frozen=True)
class EncoderLayer:
    """One encoder layer's weights, matrices as (in, out); Q, K and V fused."""

    qkv: np.ndarray
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: Tuple[np.ndarray, np.ndarray]
    intermediate: np.ndarray
    intermediate_bias: np.ndarray
    output: np.ndarray
    output_bias: np.ndarray
    output_norm: Tuple[np.ndarray, np.ndarray]

    @classmethod
    def from_weights(cls, weights: Dict[str, np.ndarray], prefix: str) -> EncoderLayer:
        """The layer whose weights are named `prefix`... in a BERT checkpoint
        (which stores matrices as (out, in))."""

        def matrix(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[f"{prefix}{name}.weight"].T)

        def vector(name: str, kind: str = "bias") -> np.ndarray:
            return np.array(weights[f"{prefix}{name}.{kind}"])

        def norm(name: str) -> Tuple[np.ndarray, np.ndarray]:
            return vector(name, "weight"), vector(name)

        parts = ("attention.self.query", "attention.self.key", "attention.self.value")
        return cls(
            qkv=np.ascontiguousarray(np.concatenate([weights[f"{prefix}{part}.weight"] for part in parts]).T),
            qkv_bias=np.concatenate([weights[f"{prefix}{part}.bias"] for part in parts]),
            attention_out=matrix("attention.output.dense"),
            attention_out_bias=vector("attention.output.dense"),
            attention_norm=norm("attention.output.LayerNorm"),
            intermediate=matrix("intermediate.dense"),
            intermediate_bias=vector("intermediate.dense"),
            output=matrix("output.dense"),
            output_bias=vector("output.dense"),
            output_norm=norm("output.LayerNorm"),
        )


class _GraphBuilder:
    """Collects nodes and weights; every node gets a unique name (ONNX
    Runtime's graph optimiser requires it)."""

    def __init__(self) -> None:
        self.nodes: List[onnx.NodeProto] = []
        self.weights: List[onnx.TensorProto] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], output: str = "", **attributes: object) -> str:
        name = f"{op_type.lower()}_{len(self.nodes)}"
        output = output or name
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=name, **attributes))
        return output

    def layer_norm(self, x: str, norm: Tuple[np.ndarray, np.ndarray], name: str) -> str:
        weight, bias = self.constant(f"{name}.weight", norm[0]), self.constant(f"{name}.bias", norm[1])
        return self.op("LayerNormalization", [x, weight, bias], axis=-1, epsilon=1e-12)

    def dense(self, x: str, matrix: np.ndarray, bias: np.ndarray, name: str) -> str:
        product = self.op("MatMul", [x, self.constant(f"{name}.weight", matrix)])
        return self.op("Add", [product, self.constant(f"{name}.bias", bias)])


def encoder_graph(
    embedding_norm: Tuple[np.ndarray, np.ndarray], layers: Sequence[EncoderLayer], heads: int
) -> onnx.ModelProto:
    """The ONNX model of the encoder's layers, pooling and normalisation."""
    width = embedding_norm[0].shape[0]
    head_width = width // heads
    graph = _GraphBuilder()
    hidden = graph.layer_norm("embedded", embedding_norm, "embeddings.norm")
    # Reshape's 0 keeps the input's size: (batch, length, ...) whatever they are.
    split_heads = graph.constant("split_heads", np.array([0, 0, 3, heads, head_width], np.int64))
    join_heads = graph.constant("join_heads", np.array([0, 0, width], np.int64))
    # Padding gets a large negative attention score, so softmax gives it no weight.
    padding = graph.op("Sub", [graph.constant("one", np.array(1.0, np.float32)), "mask"])
    padding = graph.op("Mul", [padding, graph.constant("minus_large", np.array(-1e9, np.float32))])
    attention_bias = graph.op("Unsqueeze", [padding, graph.constant("head_and_query_axes", np.array([1, 2], np.int64))])
    score_scale = graph.constant("score_scale", np.array(1.0 / np.sqrt(head_width), np.float32))

    for number, layer in enumerate(layers):
        name = f"layer{number}"
        qkv = graph.dense(hidden, layer.qkv, layer.qkv_bias, f"{name}.qkv")
        # (batch, length, 3, heads, head width) -> (3, batch, heads, length, head width)
        qkv = graph.op("Transpose", [graph.op("Reshape", [qkv, split_heads])], perm=[2, 0, 3, 1, 4])
        query, key, value = (
            graph.op("Gather", [qkv, graph.constant(f"{name}.{part}", np.array(index, np.int64))], axis=0)
            for index, part in enumerate(("query", "key", "value"))
        )
        keys_transposed = graph.op("Transpose", [key], perm=[0, 1, 3, 2])
        scores = graph.op("Mul", [graph.op("MatMul", [query, keys_transposed]), score_scale])
        weights = graph.op("Softmax", [graph.op("Add", [scores, attention_bias])], axis=-1)
        context = graph.op("Transpose", [graph.op("MatMul", [weights, value])], perm=[0, 2, 1, 3])
        context = graph.op("Reshape", [context, join_heads])
        attended = graph.dense(context, layer.attention_out, layer.attention_out_bias, f"{name}.attention_out")
        hidden = graph.layer_norm(graph.op("Add", [attended, hidden]), layer.attention_norm, f"{name}.attention_norm")
        intermediate = graph.dense(hidden, layer.intermediate, layer.intermediate_bias, f"{name}.intermediate")
        # The tanh approximation, as the model's features were trained on
        # (it differs from BERT's erf GELU by < 1e-3 here).
        intermediate = graph.op("Gelu", [intermediate], approximate="tanh")
        output = graph.dense(intermediate, layer.output, layer.output_bias, f"{name}.output")
        hidden = graph.layer_norm(graph.op("Add", [output, hidden]), layer.output_norm, f"{name}.output_norm")

    # Mean over the message's tokens (not the padding), then unit length.
    token_axis = graph.constant("token_axis", np.array([1], np.int64))
    token_mask = graph.op("Unsqueeze", ["mask", graph.constant("width_axis", np.array([2], np.int64))])
    summed = graph.op("ReduceSum", [graph.op("Mul", [hidden, token_mask]), token_axis], keepdims=0)
    tokens = graph.op("ReduceSum", ["mask", token_axis], keepdims=1)
    tokens = graph.op("Max", [tokens, graph.constant("min_tokens", np.array(1e-9, np.float32))])
    pooled = graph.op("Div", [summed, tokens])
    length = graph.op("ReduceL2", [pooled, graph.constant("last_axis", np.array([-1], np.int64))], keepdims=1)
    length = graph.op("Max", [length, graph.constant("min_length", np.array(1e-12, np.float32))])
    graph.op("Div", [pooled, length], output="sentence")

    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "sentence_encoder",
            inputs=[
                helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["batch", "length", width]),
                helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"]),
            ],
            outputs=[helper.make_tensor_value_info("sentence", TensorProto.FLOAT, ["batch", width])],
            initializer=graph.weights,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=ONNX_IR_VERSION,
    )
    # Checked against the ONNX specification by the tests, not at each start-up.
    return model


def encoder_session(model: onnx.ModelProto) -> onnxruntime.InferenceSession:
    """ONNX Runtime's session for the graph, on the CPU with one thread."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = ENCODER_THREADS
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
