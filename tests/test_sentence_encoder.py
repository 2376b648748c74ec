"""The sentence encoder behind the SentenceEmbeddingFeaturizer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rasa_extensions.nlu.sentence_encoder import (
    MAX_TOKENS,
    FileRows,
    SafetensorsFile,
    SentenceEncoder,
    default_model_dir,
    shared_encoder,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return shared_encoder()


def test_embeddings_match_the_reference_implementation(encoder: SentenceEncoder) -> None:
    # Reference vectors from the earlier NumPy implementation of this encoder
    # (the file names its commit): the model was trained on its features.
    reference = json.loads((FIXTURES / "sentence_embeddings.json").read_text())
    embeddings = encoder.encode(reference["texts"])
    assert np.abs(embeddings - np.array(reference["embeddings"])).max() < 1e-5


def test_embeddings_are_unit_length_rows(encoder: SentenceEncoder) -> None:
    embeddings = encoder.encode(["does it hurt?", "Where is the clinic?"])
    assert embeddings.shape == (2, 384)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_other_questions(encoder: SentenceEncoder) -> None:
    pain, painful, address = encoder.encode(
        ["does the laser hurt", "is the treatment painful", "what is the address of the clinic"]
    )
    assert pain @ painful > pain @ address + 0.2


def test_a_text_embeds_the_same_alone_and_padded_in_a_batch(encoder: SentenceEncoder) -> None:
    # Padding is masked out: a short text next to a long one must not change.
    short = "how long is the redness"
    alone = encoder.encode([short])[0]
    batched = encoder.encode([short, "can I have fractional laser resurfacing if I took isotretinoin last year?"])[0]
    assert np.allclose(alone, batched, atol=1e-5)


@pytest.mark.parametrize("words", [1, 14, 70, 200])
def test_a_message_alone_embeds_as_in_a_batch_at_any_length(encoder: SentenceEncoder, words: int) -> None:
    # A visitor's message runs alone, unpadded; training examples in padded
    # batches. 200 words are cut to MAX_TOKENS.
    text = " ".join(["laser"] * words)
    assert len(encoder.tokenizer.encode(text)) == min(words + 2, MAX_TOKENS)
    alone = encoder.encode([text])[0]
    in_a_batch = encoder.encode(["does the laser hurt?", text])[1]
    assert np.allclose(alone, in_a_batch, atol=1e-5)


def test_word_embedding_rows_read_from_the_file_match_the_stored_table() -> None:
    weights = SafetensorsFile(default_model_dir() / "model.safetensors")
    name = next(name for name in weights.tensors if name.endswith("word_embeddings.weight"))
    rows = weights.rows(name)
    assert isinstance(rows, FileRows)
    ids = np.array([[101, 2129, 2146, 102, 0], [101, 30521, 2129, 102, 0]])  # repeats, padding, the last row
    assert np.array_equal(rows[ids], weights.tensors[name][ids])
    with pytest.raises(IndexError):
        rows[np.array([weights.tensors[name].shape[0]])]


def test_the_encoder_keeps_no_weights_file_pages_in_memory(encoder: SentenceEncoder) -> None:
    # The word-embedding table is read row by row; nothing of the file stays
    # mapped with resident pages, however many words are embedded.
    encoder.encode(["how long is recovery after fractional co2 laser resurfacing?", "zebra quartz xylophone"])
    resident_kb, mapping = 0, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if not line[:1].isupper():
            mapping = line
        elif line.startswith("Rss:") and mapping.endswith("model.safetensors"):
            resident_kb += int(line.split()[1])
    assert resident_kb == 0


def test_mapped_tensors_match_the_file_after_pages_are_released() -> None:
    weights = SafetensorsFile(default_model_dir() / "model.safetensors")
    before = np.array(weights.tensors["embeddings.word_embeddings.weight"][1000:1010])
    weights.release_pages()
    assert np.array_equal(weights.tensors["embeddings.word_embeddings.weight"][1000:1010], before)
    assert all(tensor.dtype == np.float32 for tensor in weights.tensors.values())
