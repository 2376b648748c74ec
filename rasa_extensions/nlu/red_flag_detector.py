"""A fixed-rule safety net: red-flag symptoms always reach the safety reply.

The NLU model is good at urgent-symptom messages but not perfect, and a missed
one means a patient with an infection or an eye injury gets a general FAQ
answer. Healthcare practice is to catch red flags with fixed rules first, so
this component runs after the classifiers and sets `urgent_symptom` when a
message describes a symptom from clinical_safety/red_flags.yml
(medical_facts.md "urgent_symptoms").

It also says which reply the message needs: every urgent message gets an
`urgent_tier` entity, "emergency" (call 911) or "clinic" (call the treating
clinic). The entity fills the `urgent_tier` slot, and the safety responses
choose their variation by that slot, so the reply stays a static Rasa
response that is sent even when the action server is down. When the model,
not the rules, found the urgent symptom, the tier is "clinic" unless the
emergency rules match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Pattern, Sequence, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

URGENT_INTENT = "urgent_symptom"
TIER_ENTITY = "urgent_tier"
EMERGENCY = "emergency"
CLINIC = "clinic"
TIERS = (EMERGENCY, CLINIC)
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_TERMS_FILE = PROJECT_DIR / "clinical_safety" / "red_flags.yml"

# A body part followed by a sign word within this many words: "my eye
# really hurts", "the vision in it has gone blurry".
WORDS_FROM_PART_TO_SIGN = 6
# A sign word before a body part is joined to it at most by these words:
# "pain in my left eye", "swollen tongue", "injury to the eye".
_JOINING_WORDS = (
    r"(?:(?:in|of|to|inside|behind|within) )?(?:(?:my|her|his|their|the|one|both|an?) )?(?:(?:left|right|other) )?"
)
# A full stop between digits is a decimal point ("38.5"), not a sentence end.
_SENTENCE_END = re.compile(r"(?:[!?\n]|\.(?!\d))+")
# Where a question about risk stops applying: "is there a risk of
# infection, my eye hurts" has the risk question in another clause.
_CLAUSE_END = re.compile(r"(?:[!?\n;:]|[.,](?!\d))+|\b(?:but|and now|now|so|then|because)\b", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# A temperature: "101", "38.5", "102F", "39 C", "100.4°F", "39,5 degrees".
_READING = re.compile(
    r"(?<![\w.,])(\d{2,3}(?:[.,]\d{1,2})?)\s*(°|º|degrees?|deg)?\s*(f|c|fahrenheit|celsius|centigrade)?(?![\w.])"
    # ... but not an age, a duration, a price or a dose.
    r"(?!\s*(?:years?|yrs?|y/?o|days?|weeks?|months?|hours?|hrs?|minutes?|mins?|%|percent|dollars|miles|mg|ml|times|am|pm))",
    re.IGNORECASE,
)
# Words that say a bare number is a temperature ("temp is 101", "fever of
# 39", "running 102"); "she is 40" is an age.
_TEMPERATURE_WORDS = re.compile(
    r"(?:\b(?:fever\w*|temps?|temperature|thermometer)\W+(?:\w+\W+){0,2}|"
    r"\b(?:reads|says|shows|showing|running|spik\w*|hit|up to|over|above)\W+)$",
    re.IGNORECASE,
)
# ... or after it: "102 temp since my session", "39 fever".
_TEMPERATURE_WORD_AFTER = re.compile(r"\s*(?:temps?|temperature|fever)\b", re.IGNORECASE)


def _words(patterns: Sequence[str]) -> Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


def _whole_words(patterns: Sequence[str]) -> Pattern[str]:
    """Like _words, but "can" never matches inside "can't" (the apostrophe is part of a word)."""
    return re.compile(r"(?<![\w'])(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w'])", re.IGNORECASE)


def normalise(text: str) -> str:
    """One kind of apostrophe and single spaces, so the patterns stay simple."""
    return " ".join(text.translate(_APOSTROPHES).split())


def sentences(text: str) -> List[Tuple[int, str]]:
    """(offset, sentence) pairs; a symptom's words must be in one sentence."""
    parts, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        parts.append((start, text[start : end.start()]))
        start = end.end()
    parts.append((start, text[start:]))
    return [(offset, sentence) for offset, sentence in parts if sentence.strip()]


def _sentence_bounds(text: str, span: Tuple[int, int]) -> Tuple[int, int]:
    """Start and end of the sentence that holds `span`."""
    start = max((offset for offset, _ in sentences(text) if offset <= span[0]), default=0)
    end = _SENTENCE_END.search(text, span[1])
    return start, end.start() if end else len(text)


@dataclass(frozen=True)
class Temperature:
    """Fever threshold: readings at or above it count as a fever."""

    fahrenheit: float
    celsius: float

    def readings(self, text: str) -> List[bool]:
        """For each temperature in `text`, whether it reaches the threshold."""
        found = []
        for match in _READING.finditer(text):
            value = float(match.group(1).replace(",", "."))
            unit = (match.group(3) or "").lower()[:1]
            # A number is a temperature when it has a unit or a word such as
            # "temp" before it, or has a decimal in the range of body
            # temperatures ("now 39.6", "thermometer says 38.9").
            decimal = "." in match.group(1) or "," in match.group(1)
            body_range = 35 <= value <= 43 or 95 <= value <= 110
            said_temperature = (
                match.group(2)
                or unit
                or _TEMPERATURE_WORDS.search(text[: match.start()])
                or _TEMPERATURE_WORD_AFTER.match(text, match.end())
            )
            if not (said_temperature or (decimal and body_range)):
                continue
            if not unit:
                # Without a unit the number says which scale it is on.
                unit = "c" if 34 <= value <= 43 else "f" if 93 <= value <= 110 else ""
            if unit == "c" and 34 <= value <= 45:
                found.append(value >= self.celsius)
            elif unit == "f" and 93 <= value <= 113:
                found.append(value >= self.fahrenheit)
        return found


def _combination(parts: Sequence[str], signs: Sequence[str]) -> Tuple[Pattern[str], Pattern[str]]:
    """Patterns for a body part followed by a sign, and a sign right before a part."""
    part_words = "|".join(f"(?:{p})" for p in parts)
    sign_words = "|".join(f"(?:{s})" for s in signs)
    part_then_sign = re.compile(
        rf"\b(?:{part_words})\b(?:\W+\w+){{0,{WORDS_FROM_PART_TO_SIGN}}}?\W+(?:{sign_words})\b", re.IGNORECASE
    )
    sign_then_part = re.compile(rf"\b(?:{sign_words}) {_JOINING_WORDS}(?:{part_words})\b", re.IGNORECASE)
    return part_then_sign, sign_then_part


@dataclass(frozen=True)
class SymptomFamily:
    """One family of red-flag symptoms (a heading in red_flags.yml)."""

    name: str
    tier: str
    phrases: Optional[Pattern[str]] = None
    # Body part x sign word patterns (see _combination).
    combinations: Tuple[Pattern[str], ...] = ()
    # Groups that must all be present: patterns, or another family's name.
    all_of: Tuple[Any, ...] = ()
    temperature: Optional[Temperature] = None
    # Words that show the symptom is mild, fading or over ("a little pink").
    unless: Optional[Pattern[str]] = None

    @classmethod
    def from_config(cls, name: str, tier: str, config: Mapping[str, Any]) -> SymptomFamily:
        pairs = list(config.get("combinations") or [])
        if config.get("parts"):
            pairs.append({"parts": config["parts"], "signs": config["signs"]})
        threshold = config.get("temperature_at_least")
        return cls(
            name=name,
            tier=tier,
            phrases=_words(config["phrases"]) if config.get("phrases") else None,
            combinations=tuple(p for pair in pairs for p in _combination(pair["parts"], pair["signs"])),
            all_of=tuple(group if isinstance(group, str) else _words(group) for group in config.get("all_of") or ()),
            temperature=Temperature(**threshold) if threshold else None,
            unless=_words(config["unless"]) if config.get("unless") else None,
        )

    def spans(self, text: str, families: Mapping[str, SymptomFamily]) -> List[Tuple[int, int]]:
        """Where in `text` this family's symptom is described ((start, end) pairs).

        A temperature reading spans the whole message; groups that must all
        be present span the first group's words.
        """
        if self.unless is not None and self.unless.search(text):
            return []
        found: List[Tuple[int, int]] = []
        readings = self.temperature.readings(text) if self.temperature else []
        if any(readings):
            found.append((0, len(text)))
        # "fever of 99.5" is not a fever: a reading below the threshold
        # outweighs the word.
        phrases = None if readings and not any(readings) else self.phrases
        for offset, sentence in sentences(text):
            for pattern in (phrases, *self.combinations):
                if pattern is not None:
                    found.extend((offset + m.start(), offset + m.end()) for m in pattern.finditer(sentence))
        group_spans = [self._group_spans(group, text, families) for group in self.all_of]
        if group_spans and all(group_spans):
            # Where the first group is named is where the symptom is told.
            found.append(group_spans[0][0])
        return found

    @staticmethod
    def _group_spans(group: Any, text: str, families: Mapping[str, SymptomFamily]) -> List[Tuple[int, int]]:
        if isinstance(group, str):
            return families[group].spans(text, families)
        return [match.span() for match in group.finditer(text)]


@dataclass(frozen=True)
class Finding:
    """Why a message is urgent: its tier and the symptom families found."""

    tier: str
    families: Tuple[str, ...]


@dataclass(frozen=True)
class RedFlagRules:
    """The compiled red-flags file."""

    families: Tuple[SymptomFamily, ...]
    treatment_signs: Pattern[str]
    risk_questions: Pattern[str]
    history_or_plans: Pattern[str]
    happening_now: Pattern[str]
    resolved: Pattern[str]
    something_else: Pattern[str]
    general_questions: Pattern[str]
    risk_after_symptom: Pattern[str]
    not_treated: Pattern[str]

    @classmethod
    def from_file(cls, path: Path) -> RedFlagRules:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        families = tuple(
            SymptomFamily.from_config(name, tier, family)
            for tier in TIERS
            for name, family in (config[tier] or {}).items()
        )
        return cls(
            families=families,
            treatment_signs=_words(config["treatment_signs"]),
            risk_questions=_whole_words(config["risk_questions"]),
            history_or_plans=_words(config["history_or_plans"]),
            happening_now=_words(config["happening_now"]),
            resolved=_words(config["resolved"]),
            something_else=_words(config["something_else"]),
            general_questions=_words(config["general_questions"]),
            risk_after_symptom=_words(config["risk_after_symptom"]),
            not_treated=_words(config["not_treated"]),
        )

    @cached_property
    def by_name(self) -> Dict[str, SymptomFamily]:
        return {family.name: family for family in self.families}

    def find(self, text: str) -> Optional[Finding]:
        """The tier of the red flags `text` describes, or None."""
        text = normalise(text)
        by_name = self.by_name
        found: Dict[str, List[str]] = {tier: [] for tier in TIERS}
        for family in self.families:
            spans = family.spans(text, by_name)
            if family.tier == CLINIC:
                spans = [span for span in spans if not self._resolved(text, span) and not self._general(text, span)]
            if any(self._describes_now(text, span) for span in spans):
                found[family.tier].append(family.name)
        if found[EMERGENCY]:
            return Finding(EMERGENCY, tuple(found[EMERGENCY]))
        if found[CLINIC] and self._treated(text):
            return Finding(CLINIC, tuple(found[CLINIC]))
        return None

    def tier(self, text: str) -> Optional[str]:
        finding = self.find(text)
        return finding.tier if finding else None

    def is_urgent(self, text: str) -> bool:
        return self.find(text) is not None

    def _describes_now(self, text: str, span: Tuple[int, int]) -> bool:
        """Whether the symptom at `span` is happening, not asked about in general or past."""
        start, end = span
        if (start, end) == (0, len(text)):
            # A temperature reading, found across the message: only history
            # or plans can make it hypothetical.
            return not any(self._history_only(sentence) for _, sentence in sentences(text))
        sentence_start, sentence_end = _sentence_bounds(text, span)
        if self._history_only(text[sentence_start:sentence_end]):
            return False
        # A question about risk cancels the symptom only when it is asked
        # in the symptom's own clause, before or around it.
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, sentence_start, start)), default=sentence_start)
        clause_end = _CLAUSE_END.search(text, end)
        questions = self.risk_questions.finditer(text, clause_start, clause_end.start() if clause_end else len(text))
        if any(question.start() <= start for question in questions):
            return False
        # "color change risk for ...": a risk word right after the symptom.
        return not self.risk_after_symptom.match(text, end + 1)

    def _treated(self, text: str) -> bool:
        """Whether the message shows the person has been treated."""
        negated = [match.span() for match in self.not_treated.finditer(text)]
        return any(
            not any(start <= sign.start() < end for start, end in negated)
            for sign in self.treatment_signs.finditer(text)
        )

    def _general(self, text: str, span: Tuple[int, int]) -> bool:
        """Whether the symptom's sentence asks what happens to people in general."""
        return bool(self.general_questions.search(text, *_sentence_bounds(text, span)))

    def _resolved(self, text: str, span: Tuple[int, int]) -> bool:
        """Whether the sentence goes on to say the symptom has gone ("... but they faded")."""
        sentence_end = _sentence_bounds(text, span)[1]
        return any(
            not self.something_else.search(text, span[1], healed.start())
            for healed in self.resolved.finditer(text, span[1], sentence_end)
        )

    def _history_only(self, sentence: str) -> bool:
        return bool(self.history_or_plans.search(sentence)) and not self.happening_now.search(sentence)


def tier_entity(text: str, tier: str) -> Dict[str, Any]:
    """The `urgent_tier` entity, spanning the whole message."""
    return {
        ENTITY_ATTRIBUTE_TYPE: TIER_ENTITY,
        ENTITY_ATTRIBUTE_VALUE: tier,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: len(text),
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: "RedFlagDetector",
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagDetector(GraphComponent, IntentClassifier):
    """Sets the urgent_symptom intent when red-flag rules match, and the urgent_tier entity on every urgent message."""

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
            self._mark(message)
        return messages

    def _mark(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        tier = self.rules.tier(text)
        predicted_urgent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == URGENT_INTENT
        if tier is None and not predicted_urgent:
            return
        if not predicted_urgent:
            urgent = {INTENT_NAME_KEY: URGENT_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.data[INTENT] = urgent
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(urgent))
        entities = [e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) != TIER_ENTITY]
        message.set(ENTITIES, [*entities, tier_entity(text, tier or CLINIC)], add_to_output=True)


def urgent_tier(parse: Mapping[str, Any]) -> Optional[str]:
    """The tier an urgent parse result was given; None if it is not urgent or has no tier."""
    if (parse.get(INTENT) or {}).get(INTENT_NAME_KEY) != URGENT_INTENT:
        return None
    tiers: Iterable[str] = (
        e.get(ENTITY_ATTRIBUTE_VALUE) for e in parse.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) == TIER_ENTITY
    )
    return next(iter(tiers), None)
