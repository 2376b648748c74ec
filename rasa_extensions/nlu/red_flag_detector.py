"""A fixed-rule safety net: red-flag symptoms always reach the safety reply.

The NLU model is good at urgent-symptom messages but not perfect, and a missed
one means a patient with an infection or an eye injury gets a general FAQ
answer. Healthcare practice is to catch red flags with fixed rules first, so
this component runs after the classifiers and sets `urgent_symptom` when a
message describes, as the visitor's own current situation, a symptom from
clinical_safety/red_flags.yml (medical_facts.md "urgent_symptoms").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Pattern

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

URGENT_INTENT = "urgent_symptom"
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_TERMS_FILE = PROJECT_DIR / "clinical_safety" / "red_flags.yml"


def _any_of(patterns: List[str]) -> Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class RedFlagRules:
    """The compiled pattern groups from the red-flags file."""

    emergency: Pattern[str]
    call_clinic: Pattern[str]
    personal: Pattern[str]
    treatment: Pattern[str]
    hypothetical: Pattern[str]

    @classmethod
    def from_file(cls, path: Path) -> RedFlagRules:
        groups = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(**{name: _any_of(groups[name]) for name in cls.__dataclass_fields__})

    def is_urgent(self, text: str) -> bool:
        """Whether `text` reports a red-flag symptom the visitor has now."""
        text = text.replace("\u2019", "'")  # curly apostrophes from phones
        if self.hypothetical.search(text):
            return False
        in_treatment_context = bool(self.treatment.search(text))
        if self.emergency.search(text):
            return in_treatment_context or bool(self.personal.search(text))
        return bool(in_treatment_context and self.call_clinic.search(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagDetector(GraphComponent, IntentClassifier):
    """Sets the urgent_symptom intent when fixed red-flag rules match."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"terms_file": str(DEFAULT_TERMS_FILE)}

    def __init__(self, rules: RedFlagRules) -> None:
        self.rules = rules

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetector:
        terms_file = Path(config["terms_file"])
        if not terms_file.is_absolute():
            terms_file = PROJECT_DIR / terms_file
        return cls(RedFlagRules.from_file(terms_file))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == URGENT_INTENT:
                continue
            if self.rules.is_urgent(message.get(TEXT) or ""):
                urgent = {INTENT_NAME_KEY: URGENT_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = urgent
                message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(urgent))
        return messages
