"""Sends messages the English model cannot read to the low-confidence path."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from typing import Any, Dict, FrozenSet, List

import spacy.lang
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# Languages a Chicago-area clinic's visitors most often write in, besides
# English (spaCy ships their stop-word lists, so nothing is downloaded).
OTHER_LANGUAGES = ("es", "pl", "fr", "de", "it", "pt", "tl", "vi")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@cache
def _stop_words(language: str) -> FrozenSet[str]:
    # The list's own file, run on its own: importing it as
    # `spacy.lang.<language>.stop_words` would first import the whole language
    # package, and French alone (its tokenizer exceptions) took 3.5 s of a
    # server's first answer.
    path = Path(spacy.lang.__file__).parent / language / "stop_words.py"
    spec = spec_from_file_location(f"{__name__}._stop_words_{language}", path)
    module = module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return frozenset(word.lower() for word in module.STOP_WORDS)


def has_no_words(text: str) -> bool:
    """True for empty, emoji-only or punctuation-only text (digits count as words)."""
    return not any(char.isalnum() for char in text)


def is_other_language(text: str) -> bool:
    """Whether `text` is clearly written in a language other than English.

    Two signals, both conservative so that typos and names stay English:
    mostly non-Latin letters (Chinese, Arabic, Cyrillic, Hindi...), or at least
    two different function words of one other language outnumbering English ones.
    """
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return False
    non_latin = sum(1 for char in letters if not unicodedata.name(char, "").startswith("LATIN"))
    if non_latin / len(letters) > 0.5:
        return True

    words = {word.lower() for word in _WORD.findall(text)}
    english = _stop_words("en")
    english_hits = sum(1 for word in words if word in english)
    for language in OTHER_LANGUAGES:
        foreign = _stop_words(language) - english
        foreign_hits = sum(1 for word in words if word in foreign)
        if foreign_hits >= 2 and foreign_hits > english_hits:
            return True
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UnreadableMessageGuard(GraphComponent, IntentClassifier):
    """Predicts `nlu_fallback` for emoji-only text and other languages.

    The classifiers always pick some intent, and on a Spanish question or a row
    of emoji that pick is a confident-looking guess. Routing these to the
    fallback gets the visitor a clear "please ask in English" reply instead of
    a wrong medical answer.
    """

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnreadableMessageGuard:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if has_no_words(text) or is_other_language(text):
                fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = fallback
                message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
        return messages
