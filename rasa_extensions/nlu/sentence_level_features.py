"""Drops the token-level (sequence) features the classifiers never read."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceLevelFeatures(GraphComponent):
    """Removes the text's sequence features from the featurizers named in `featurizers`.

    With no transformer layers and no entity recognition (config.yml), DIET
    and the ResponseSelector read the intent at the sentence position of
    Rasa's sequence layer, which keeps every position separate: a message's
    per-token features reach neither the scores nor the gradients. Rasa still
    batches them and multiplies them through a sparse layer on every training
    step, which for the word and character counts was most of the training
    time. Rasa's sequence layer needs one sequence feature, so the small
    LexicalSyntacticFeaturizer keeps its own. Same at inference, so the
    trained model sees what it was trained on. Only the visitor's text loses
    them: the selector's answer labels are read as a mean over their tokens.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"featurizers": []}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.featurizers = frozenset(config["featurizers"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceLevelFeatures:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.features = [
                feature
                for feature in message.features
                if not (
                    feature.attribute == TEXT
                    and feature.type == FEATURE_TYPE_SEQUENCE
                    and feature.origin in self.featurizers
                )
            ]
        return messages
