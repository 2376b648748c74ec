"""The training data, responses and held-out set follow the FAQ catalogue."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from staff import quality_gate
from tests.support.project_data import (
    PROJECT_DIR,
    catalogue_conversation_intents,
    catalogue_faq_keys,
    domain,
    examples_by_intent,
    faq_responses,
    holdout_examples,
    medical_fact_sections,
    normalise,
    training_examples,
)

MIN_TRAINING_EXAMPLES = 20
MIN_HOLDOUT_EXAMPLES_PER_FAQ_KEY = 8
CANDIDACY_KEYS = ("good_candidate", "dark_skin", "active_acne", "isotretinoin", "pregnancy", "age_limits")
# Words the catalogue forbids in answers (promises of outcomes).
FORBIDDEN_PHRASES = (
    "painless",
    "permanent results",
    "permanently remove",
    "guarantee",
    "no downtime",
    "scar-free",
)


def test_faq_keys_match_the_catalogue_exactly() -> None:
    trained = {intent.split("/", 1)[1] for intent in training_examples() if intent.startswith("faq/")}
    assert trained == set(catalogue_faq_keys())
    assert set(faq_responses()) == set(catalogue_faq_keys())


def test_conversation_intents_match_the_catalogue() -> None:
    domain_intents = {intent if isinstance(intent, str) else next(iter(intent)) for intent in domain()["intents"]}
    assert domain_intents == set(catalogue_conversation_intents()) | {"faq"}
    trained = {intent for intent in training_examples() if not intent.startswith("faq/")}
    assert trained == set(catalogue_conversation_intents())


@pytest.mark.parametrize(
    "intent", sorted({f"faq/{k}" for k in catalogue_faq_keys()} | set(catalogue_conversation_intents()))
)
def test_every_intent_has_enough_distinct_training_examples(intent: str) -> None:
    examples = training_examples()[intent]
    assert len(examples) >= MIN_TRAINING_EXAMPLES
    assert len({normalise(e) for e in examples}) >= MIN_TRAINING_EXAMPLES


def test_no_example_is_labelled_with_two_intents() -> None:
    seen: dict = {}
    clashes = []
    for intent, examples in training_examples().items():
        for example in examples:
            key = normalise(example)
            if key and key in seen and seen[key] != intent:
                clashes.append((example, seen[key], intent))
            seen[key] = intent
    assert clashes == []


@pytest.mark.parametrize("key", catalogue_faq_keys())
def test_holdout_covers_every_faq_key(key: str) -> None:
    assert len(holdout_examples().get(f"faq/{key}", [])) >= MIN_HOLDOUT_EXAMPLES_PER_FAQ_KEY


@pytest.mark.parametrize("held_out_file", quality_gate.DEVELOPMENT_SETS, ids=lambda path: path.stem)
def test_held_out_messages_are_never_copied_into_training(held_out_file: Path) -> None:
    training = {normalise(e) for examples in training_examples().values() for e in examples}
    held_out = examples_by_intent([held_out_file])
    copied = [e for examples in held_out.values() for e in examples if normalise(e) in training]
    assert copied == []
    assert set(held_out) <= set(training_examples())


def test_the_blind_set_measures_every_label_on_messages_never_trained_on() -> None:
    """Blind messages that happen to be training examples word for word are not
    scored (staff/quality_gate.py); at least 500 remain, 12 per label."""
    scored = Counter(example.label for example in quality_gate.blind_examples())
    assert set(scored) == set(training_examples())
    assert min(scored.values()) >= 12, scored.most_common()[-5:]
    assert sum(scored.values()) >= 500


def sentences(text: str) -> list:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


@pytest.mark.parametrize("key", catalogue_faq_keys())
def test_answer_follows_the_catalogue_rules(key: str) -> None:
    answer = faq_responses()[key]
    # Placeholders are whole sentences filled from the clinic data file.
    without_placeholders = re.sub(r"\{clinic_\w+\}", "", answer)
    assert 2 <= len(sentences(without_placeholders)) + answer.count("{clinic_") <= 5
    lowered = answer.lower()
    assert not [phrase for phrase in FORBIDDEN_PHRASES if phrase in lowered]
    if "general anesthesia" in lowered or "general anaesthesia" in lowered:
        assert "not routine" in lowered
    if key in CANDIDACY_KEYS:
        assert "consultation decides" in lowered or "physician decides" in lowered or "obstetrician" in lowered


def test_answers_name_no_clinic_fact_outside_the_clinic_file() -> None:
    clinic = yaml.safe_load((PROJECT_DIR / "clinic" / "clinic.yml").read_text(encoding="utf-8"))
    facts = (
        [clinic["brand"]] + [loc["name"] for loc in clinic["locations"]] + [loc["zip"] for loc in clinic["locations"]]
    )
    texts = list(faq_responses().values()) + [
        variant.get("text", "") for variants in domain()["responses"].values() for variant in variants
    ]
    leaks = [(fact, text[:60]) for text in texts for fact in facts if fact and fact in text]
    assert leaks == []
    assert not [t for t in texts if re.search(r"\(\d{3}\)\s?\d{3}-\d{4}|\$\d", t)]


def test_every_answer_names_its_medical_fact_sections() -> None:
    sources = yaml.safe_load((PROJECT_DIR / "data" / "responses" / "fact_sources.yml").read_text(encoding="utf-8"))
    assert set(catalogue_faq_keys()) <= set(sources)
    unknown = {s for sections in sources.values() for s in sections} - set(medical_fact_sections())
    assert unknown == set()
    medical_keys = set(catalogue_faq_keys()) - {"locations", "hours"}
    assert all(sources[key] for key in medical_keys)
