"""The custom NLU components in rasa_extensions/nlu."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest
import scipy.sparse
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.nlu.batched_count_vectors import BatchedCountVectorsFeaturizer
from rasa_extensions.nlu.long_message_truncator import LongMessageTruncator
from rasa_extensions.nlu.sentence_level_features import SentenceLevelFeatures
from rasa_extensions.nlu.unique_training_examples import UniqueExamplesTrainingData
from rasa_extensions.nlu.unreadable_message_guard import (
    UnreadableMessageGuard,
    has_no_words,
    is_other_language,
)
from tests.support.project_data import PROJECT_DIR


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuánto cuesta el tratamiento láser para las cicatrices?",
        "Ile kosztuje laser na blizny po trądziku?",
        "Est-ce que le traitement au laser fait mal pour les cicatrices?",
        "激光治疗痘印要多少钱",
        "كم تكلفة علاج ندبات حب الشباب بالليزر",
        "Сколько стоит лазерная шлифовка?",
    ],
)
def test_other_languages_are_detected(text: str) -> None:
    assert is_other_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "does it hurt??",
        "im 17 can i get it done",
        "acutane last year, ok?",
        "Maria Gonzalez",
        "José García",
        "how much is a co2 laser session in orland park",
        "630-555-0142",
        "la la la",
    ],
)
def test_english_text_names_and_numbers_stay_english(text: str) -> None:
    assert not is_other_language(text)


@pytest.mark.parametrize(
    ("text", "expected"), [("😀😀😀", True), ("???", True), ("", True), ("👍 ok", False), ("60462", False)]
)
def test_has_no_words(text: str, expected: bool) -> None:
    assert has_no_words(text) is expected


def classified(text: str, intent: str = "faq") -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.99}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 0.99}], add_to_output=True)
    return message


def test_guard_turns_unreadable_messages_into_the_fallback() -> None:
    guard = UnreadableMessageGuard()
    spanish, emoji, english = (
        classified("hola, ¿cuánto cuesta el láser?"),
        classified("🙏🙏"),
        classified("does it hurt"),
    )
    guard.process([spanish, emoji, english])
    assert spanish.get("intent")["name"] == "nlu_fallback"
    assert emoji.get("intent")["name"] == "nlu_fallback"
    assert spanish.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert english.get("intent")["name"] == "faq"


def test_truncator_keeps_the_start_and_the_end() -> None:
    truncator = LongMessageTruncator({"max_characters": 100})
    story = "my scars " * 200 + "so how long is the recovery?"
    long_message, short_message = Message(data={"text": story}), Message(data={"text": "hi"})
    truncator.process([long_message, short_message])
    kept = long_message.get("text")
    assert len(kept) <= 101
    assert kept.startswith("my scars") and kept.endswith("how long is the recovery?")
    assert short_message.get("text") == "hi"


def test_faq_examples_are_filtered_as_rasa_filters_them() -> None:
    training_data = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"),
        str(PROJECT_DIR / "domain.yml"),
        [str(PROJECT_DIR / "data")],
    ).get_nlu_data()

    def is_faq(example: Message) -> bool:
        return example.get(INTENT) == "faq"

    rasas = training_data.filter_training_examples(is_faq)
    ours = UniqueExamplesTrainingData.of(training_data).filter_training_examples(is_faq)
    assert len(ours.training_examples) > 100
    assert [id(example) for example in ours.training_examples] == [id(example) for example in rasas.training_examples]
    assert ours.responses == rasas.responses
    assert ours.retrieval_intents == rasas.retrieval_intents


def test_only_the_texts_sequence_features_of_the_named_featurizers_are_dropped() -> None:
    def feature(kind: str, attribute: str, origin: str) -> Features:
        return Features(scipy.sparse.coo_matrix(np.ones((1, 3))), kind, attribute, origin)

    kept = [
        feature(FEATURE_TYPE_SENTENCE, TEXT, "word_counts"),
        feature(FEATURE_TYPE_SEQUENCE, TEXT, "token_shapes"),
        feature(FEATURE_TYPE_SEQUENCE, RESPONSE, "word_counts"),
    ]
    dropped = feature(FEATURE_TYPE_SEQUENCE, TEXT, "word_counts")
    message = Message(data={"text": "does it hurt"}, features=[*kept, dropped])
    SentenceLevelFeatures({"featurizers": ["word_counts", "char_counts"]}).process([message])
    assert message.features == kept


def test_sequence_features_are_dropped_only_where_no_classifier_reads_them() -> None:
    """Per-token features matter to a transformer and to entity recognition:
    with either, SentenceLevelFeatures would silently cost accuracy."""
    pipeline = yaml.safe_load((PROJECT_DIR / "config.yml").read_text())["pipeline"]
    names = [component["name"].rsplit(".", 1)[-1] for component in pipeline]
    assert "SentenceLevelFeatures" in names
    classifiers = [c for c in pipeline if c["name"].endswith(("DIETClassifier", "ResponseSelector"))]
    assert len(classifiers) == 2
    for classifier in classifiers:
        assert classifier.get("number_of_transformer_layers", 0) == 0
        assert classifier.get("entity_recognition", False) is False
        assert classifier.get("hidden_layers_sizes", {}).get("text") == []


@pytest.mark.parametrize("alias", ["word_counts", "char_counts"])
def test_batched_count_vectors_give_every_training_example_rasas_matrices(alias: str, tmp_path: Path) -> None:
    """BatchedCountVectorsFeaturizer featurizes the training data in one pass
    per attribute; each example must get what Rasa's per-example loop gives."""
    pipeline = yaml.safe_load((PROJECT_DIR / "config.yml").read_text())["pipeline"]
    [settings] = [component for component in pipeline if component.get("alias") == alias]
    config = {**CountVectorsFeaturizer.get_default_config(), **settings}
    training_data = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"), str(PROJECT_DIR / "domain.yml"), [str(PROJECT_DIR / "data")]
    ).get_nlu_data()
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(training_data)
    context = ExecutionContext(GraphSchema({}), "test")
    storage = LocalModelStorage(tmp_path)

    def featurized(featurizer_class: type) -> List[List[Features]]:
        featurizer = featurizer_class.create(config, storage, Resource(f"{alias}-{featurizer_class.__name__}"), context)
        featurizer.train(training_data)
        copies = [Message(data=dict(example.data)) for example in training_data.training_examples]
        # Rasa's own process_training_data runs its per-example loop.
        featurizer.process_training_data(TrainingData(copies))
        return [copy.features for copy in copies]

    rasas, ours = featurized(CountVectorsFeaturizer), featurized(BatchedCountVectorsFeaturizer)
    assert len(ours) == len(rasas) > 4000
    assert sum(len(features) for features in ours) > 4000
    for our_features, rasa_features in zip(ours, rasas, strict=True):
        assert [(f.type, f.attribute) for f in our_features] == [(f.type, f.attribute) for f in rasa_features]
        for our, rasa in zip(our_features, rasa_features, strict=True):
            assert our.features.dtype == rasa.features.dtype and our.features.shape == rasa.features.shape
            assert (our.features.row.tolist(), our.features.col.tolist(), our.features.data.tolist()) == (
                rasa.features.row.tolist(), rasa.features.col.tolist(), rasa.features.data.tolist()
            )  # fmt: skip
