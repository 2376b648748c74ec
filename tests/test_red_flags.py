"""The fixed red-flag rules (clinical_safety/red_flags.yml) behind the safety reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.nlu.red_flag_detector import DEFAULT_TERMS_FILE, RedFlagDetector, RedFlagRules
from tests.support.project_data import training_examples

RULES = RedFlagRules.from_file(DEFAULT_TERMS_FILE)


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe properly and my lips are swelling",
        "my throat feels tight since they put the numbing cream on",
        "my vision has gone blurry in my left eye after the laser",
        "after my co2 session my eye really hurts",
        "there is pus coming from my cheek after the laser",
        "day 3 after laser and I've got a fever of 102",
        "i see red streaks spreading from the treated area",
        "the treated skin is blistering and crusting over",
        "got cold sores all over where they lasered me",
        "the pain keeps getting worse since my treatment and ibuprofen isn't helping",
        "my eyes are swollen shut after the laser yesterday",
        "it won't stop bleeding after my resurfacing",
        "the treated area is hot to the touch and weeping",
        "6 weeks after my laser the skin has gone white in patches",
        "my daughter had laser yesterday and now there is pus on her cheek",
        "it smells bad and there's cloudy liquid coming out of where they did it",
        "day 3 after co2, my cheeks are red, hot and getting more tender",
        # medical_facts.md: any eye pain or injury to the eye is an emergency.
        "my left eye is sore and watering since the laser",
        "she can't open her eye properly after her resurfacing",
    ],
)
def test_red_flags_reported_now_trigger(text: str) -> None:
    assert RULES.is_urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "can laser resurfacing cause blisters?",
        "is there a risk of infection after the laser",
        "what are the side effects",
        "how do i prevent cold sores after laser",
        "how long does the swelling last after co2",
        "i have a history of cold sores, can i still have laser",
        "my sister got dark patches after her laser, does that happen a lot",
        "does it hurt?",
        "what should i put on my skin after the laser",
        "my toenail has pus in it",
        "treated yesterday, skin is red and a bit swollen, normal?",
        "day 5 after my laser and my skin is peeling, is that expected",
        "i get cold sores a few times a year, do i need to do anything before my laser",
        "do you protect my eyes during the laser?",
        "my eyes are sensitive to bright light, is the laser ok for me",
    ],
)
def test_general_questions_and_unrelated_problems_do_not_trigger(text: str) -> None:
    assert not RULES.is_urgent(text)


def test_no_training_example_of_another_intent_triggers() -> None:
    wrongly = [
        (intent, text)
        for intent, examples in training_examples().items()
        if intent != "urgent_symptom"
        for text in examples
        if RULES.is_urgent(text)
    ]
    assert wrongly == []


def test_detector_overrides_the_classifier_only_on_red_flags() -> None:
    detector = RedFlagDetector(RULES)
    urgent = Message(data={"text": "pus and fever since my laser", "intent": {"name": "faq", "confidence": 0.9}})
    question = Message(data={"text": "does it hurt", "intent": {"name": "faq", "confidence": 0.9}})
    detector.process([urgent, question])
    assert urgent.get("intent") == {"name": "urgent_symptom", "confidence": 1.0}
    assert urgent.get("intent_ranking")[0]["name"] == "urgent_symptom"
    assert question.get("intent")["name"] == "faq"


def test_terms_file_is_the_clinical_safety_file() -> None:
    assert Path(__file__).resolve().parents[1] / "clinical_safety" / "red_flags.yml" == DEFAULT_TERMS_FILE
