"""Caps how much of a message the NLU pipeline reads."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LongMessageTruncator(GraphComponent):
    """Keeps only the start of very long messages before tokenization.

    DIET does not truncate its input and its cost grows with the token count,
    so one pasted essay could stall the single-threaded server for everyone.
    Visitors often tell their story first and ask at the end, so the start and
    the end are kept and the middle is dropped. The conversation still stores
    the full text; only NLU sees the shorter one.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_characters": 1500}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.max_characters = int(config["max_characters"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LongMessageTruncator:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.max_characters:
                half = self.max_characters // 2
                message.set(TEXT, f"{text[:half]} {text[-half:]}")
        return messages
