"""The red-flag rules (clinical_safety/red_flags.yml) and the detector that applies them.

The phrasings below were written for these tests from the clinical facts
(docs/content/medical_facts.md, "urgent_symptoms"); the measured sets in
tests/red_flags/ are scored separately (tests/test_red_flag_sets.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from benchmarks.red_flag_evaluation import RedFlagSets
from rasa_extensions.nlu.red_flag_detector import (
    CLINIC,
    DEFAULT_TERMS_FILE,
    EMERGENCY,
    TIER_ENTITY,
    RedFlagDetector,
    RedFlagRules,
    Temperature,
    urgent_tier,
)
from tests.support.project_data import normalise, training_examples

RULES = RedFlagRules.from_file(DEFAULT_TERMS_FILE)


@pytest.mark.parametrize(
    "text",
    [
        # No treatment word, and question words, "is this normal", "should I
        # worry" or "is this a side effect" never switch an emergency off.
        "should i worry if my eye hurts",
        "is it normal that my throat feels tight?",
        "is this a side effect? my throat is closing",
        "my throat feels like it is closing, how can i reduce the swelling?",
        "is it a side effect that my eye aches? had fraxel on monday",
        "eye pain after laser, is that normal?",
        "is there a risk of infection, my eye really hurts",
        # Third person and treatment at another clinic.
        "my daughter's eye is red and painful",
        "my mom's eye is killing her after her laser at another place",
        "treated at a different clinic, now my eye hurts",
        "my brother's eye won't stop hurting since he had laser somewhere else",
        "poked myself in the eye with a mascara wand and it's really sore",
        "my son's lips are swelling after his laser, is this a side effect?",
        # Each family, in ordinary words.
        "my tongue is swelling up an hour after treatment",
        "can't swallow properly, throat swollen",
        "my lips are huge and tingly, is this normal after numbing cream?",
        "I can't breathe",
        "i can hardly breathe",
        "I'm short of breath since the lidocaine injection",
        "wheezy and itchy after the cream",
        "my chest feels tight and heavy",
        "i think im going into anaphylaxis",
        "is this an allergic reaction? hives everywhere and my face is swelling",
        "everything looks blurry out of my right eye",
        "i see double since this morning",
        "my vision went weird after the co2",
        "there's a dark curtain over part of my vision",
        "I think the laser hit my eye, it stings",
        "got some of the numbing cream in my eye and it burns",
        "light hurts my eye since the treatment",
        "fever 103 and I feel terrible",
        "temp 39.8 and I feel like I'm dying, so weak and dizzy",
        "39.5 C and I'm really unwell, vomiting",
        "she fainted after the session",
        "I blacked out at home after the laser",
        "i feel faint and my lips look swollen, is this an allergic reaction?",
    ],
)
def test_emergencies_get_the_911_tier_however_they_are_said(text: str) -> None:
    assert RULES.tier(text) == EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "there's yellow pus on my cheek 4 days after the laser",
        "is it normal to have pus 5 days after laser?",
        "the redness is spreading past where they treated me",
        "red streaks going down my neck after my co2",
        "lumpy bumps came up on the spots they lasered, really itchy and they keep spreading",
        "the treated area is hot to the touch and more tender each day",
        "the lasered patch on my chin is getting hotter and hotter and sorer by the day",
        "my temp is 100.8, had laser 2 days ago",
        "fever of 38.3 after my fraxel",
        "running 101F since my treatment",
        "39C after the laser yesterday",
        "day 3 post laser, thermometer reads 38.6",
        "pain getting worse every day since treatment",
        "the pain is 8/10 since the laser and painkillers don't touch it",
        "blisters on my cheek after the laser",
        "little fluid-filled bumps around my lips after co2",
        "i think i have a cold sore on the treated area",
        "my eyelids are really swollen after my laser yesterday",
        "the treated skin has turned darker than the rest, it's been 6 weeks",
        "a patch on my cheek went a strange pale colour after my laser",
        "redness still bright 3 months after my laser",
        "still red 6 weeks after a non-ablative laser, is that ok?",
        "my daughter had laser and now has blisters near her mouth",
        "had laser at another clinic and now there's pus",
        "my face came out in hives after using the cream the clinic prescribed",
        "my lower eyelid has started pulling down since the co2",
        "two weeks after the laser my eyelid won't close properly",
        "had fractional on monday and the pain keeps getting worse, advil isn't helping",
        # Treatment named with a hyphenated or possessive word.
        "got a couple of blisters on my jaw after a non-ablative fraxel, is that ok",
        "since monday's session my nose has blistered",
        # Swelling that comes back; swelling round the eyes.
        "day 4 after treatment, the puffiness had settled but it came back overnight",
        "the swelling round my eyes is huge 2 days after laser",
        # Cold-sore-like spots in a group.
        "three days after co2 there are small grouped spots by my mouth",
        # Pain despite medicine, pain that keeps someone awake, pain told in two clauses.
        "took two advil and my cheeks still ache, day 2 after the laser",
        "the ache keeps me up at night, 3 days after my session",
        "my face hurt a little after the laser, but since this morning it's getting a lot worse",
        # A temperature word after the number.
        "101 temp tonight, had co2 on friday",
        # Warmth and tenderness together.
        "the lasered spot is warm, firm and tender",
        # Redness a year on.
        "over a year after the laser and my cheeks are still red",
        # Something else has healed, not the symptom.
        "new scabs on my chin a week after treatment, the rest has healed",
    ],
)
def test_clinic_tier_symptoms_after_treatment(text: str) -> None:
    assert RULES.tier(text) == CLINIC


@pytest.mark.parametrize(
    "text",
    [
        # Clinic-tier symptoms need a sign of treatment.
        "my toenail has pus in it",
        "can you tell me if my pimple is infected, i haven't had any treatment",
        # Questions about risk, the future or other people.
        "can the laser damage my eyes?",
        "does it hurt near the eyes?",
        "do the metal eye shields hurt?",
        "the laser can burn the eyes, right?",
        "will my lips swell after",
        "what if I have an allergic reaction to the numbing?",
        "can laser resurfacing cause blisters?",
        "can I get a fever after laser?",
        "what temperature counts as a fever after treatment?",
        "what are the signs of infection after laser?",
        "how do I avoid cold sores after the laser",
        "is hyperpigmentation common after resurfacing",
        "colour change risk for brown skin after resurfacing",
        "how red will I be for my wedding 3 weeks after?",
        "is it ok to get lasered with a few pimples or will it spread them around",
        "will the redness last for months after co2?",
        "my sister got dark patches after her laser, does that happen a lot",
        # History, plans and things that are over.
        "i have a history of cold sores, can i still have laser",
        "I get cold sores a few times a year, do I need an antiviral before the laser?",
        "I had an allergic reaction to a dental anaesthetic years ago, will that matter?",
        "i faint when i see needles, are there needles involved?",
        "I carry an epipen for a nut allergy, is laser ok?",
        "I had darker patches after my first session but they faded, should I do a second?",
        "I had blisters after my laser but they all healed, is a second session ok?",
        "i had a 99 temp after my session, is that ok",
        "my acne scars have been red for years, would a laser help?",
        "i had blisters after my last laser at another place, how can i avoid that this time?",
        # Expected healing, and the same words used for something else.
        "treated yesterday, skin is red and a bit swollen, normal?",
        "I'm still a little pink 2 weeks after co2 but it's fading nicely",
        "is some swelling normal the day after?",
        "my eyes are sensitive to bright light, is the laser ok for me",
        "i can't see the difference after 2 sessions, is that normal?",
        "lower lip scar, can laser help?",
        "crow's feet round my eyes and some sun damage, would it help with those",
        "does your skin scab over after co2?",
        "does brown skin heal with dark spots after resurfacing?",
        "i'm Korean and scared my skin might get lighter patches after the laser",
        "concerned that my skin could turn darker in patches, I'm olive-skinned",
        "i'm 38, am i too old?",
    ],
)
def test_questions_history_and_expected_healing_are_not_red_flags(text: str) -> None:
    assert RULES.tier(text) is None


@pytest.mark.parametrize(
    ("text", "reaches_threshold"),
    [
        ("temp 101", [True]),
        ("fever of 99.5", [False]),
        ("thermometer says 38.9", [True]),
        ("now 39.6 and shivering", [True]),
        ("102F", [True]),
        ("39 C", [True]),
        ("37.8 degrees", [False]),
        ("100.4°F", [True]),
        ("38,5 degrees", [True]),
        ("I'm 40 years old", []),
        ("3 out of 10", []),
        ("at 40 years old", []),
        ("day 38", []),
        ("my mom is 40", []),
    ],
)
def test_temperatures_are_read_in_fahrenheit_and_celsius(text: str, reaches_threshold: list) -> None:
    assert Temperature(fahrenheit=100.4, celsius=38.0).readings(text) == reaches_threshold


def test_findings_name_the_symptom_families() -> None:
    finding = RULES.find("day 2 after co2: pus, a temp of 101 and my lips are swelling")
    assert finding is not None and finding.tier == EMERGENCY and finding.families == ("airway",)
    finding = RULES.find("day 2 after co2: pus and a temp of 101")
    assert finding is not None and set(finding.families) == {"infection", "fever"}


def test_a_reading_below_the_threshold_is_not_a_fever() -> None:
    assert RULES.tier("had laser yesterday and my temp is 99.1, a bit of a fever?") is None
    assert RULES.tier("had laser yesterday, fever of 38.4") == CLINIC


def _parsed(text: str, intent: str, detector: RedFlagDetector) -> Message:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})
    detector.process([message])
    return message


def _tier(message: Message) -> Optional[str]:
    return urgent_tier(message.as_dict(only_output_properties=False))


def test_detector_sets_urgent_and_the_tier_entity() -> None:
    detector = RedFlagDetector(RULES)
    clinic = _parsed("pus and fever since my laser", "faq", detector)
    emergency = _parsed("my eye hurts", "out_of_scope", detector)
    question = _parsed("does it hurt", "faq", detector)
    assert clinic.get("intent") == {"name": "urgent_symptom", "confidence": 1.0}
    assert clinic.get("intent_ranking")[0]["name"] == "urgent_symptom"
    assert _tier(clinic) == CLINIC and _tier(emergency) == EMERGENCY
    [entity] = emergency.get("entities")
    assert entity["entity"] == TIER_ENTITY and (entity["start"], entity["end"]) == (0, len("my eye hurts"))
    assert question.get("intent")["name"] == "faq" and not question.get("entities")


def test_model_predicted_urgent_gets_the_clinic_tier_unless_the_emergency_rules_match() -> None:
    detector = RedFlagDetector(RULES)
    model_only = _parsed("something is wrong with my face after the laser", "urgent_symptom", detector)
    emergency = _parsed("my vision is blurry since the laser", "urgent_symptom", detector)
    assert model_only.get("intent") == {"name": "urgent_symptom", "confidence": 0.9}
    assert _tier(model_only) == CLINIC and _tier(emergency) == EMERGENCY


def test_no_training_example_of_another_intent_triggers() -> None:
    wrongly = [
        (intent, text)
        for intent, examples in training_examples().items()
        if intent != "urgent_symptom"
        for text in examples
        if RULES.is_urgent(text)
    ]
    assert wrongly == []


def test_no_measured_red_flag_message_is_copied_into_training() -> None:
    # The ordinary set shares a few everyday questions ("is there parking at
    # the clinic") with FAQ training examples written before it; the red flags
    # themselves must never be trained on.
    sets = RedFlagSets.load()
    measured = {normalise(text) for text in [*sets.emergency, *sets.clinic]}
    copied = [text for examples in training_examples().values() for text in examples if normalise(text) in measured]
    ordinary = {normalise(text) for text in sets.ordinary}
    copied += [text for text in training_examples()["urgent_symptom"] if normalise(text) in ordinary]
    assert copied == []


def test_rules_file_is_grouped_by_symptom_family() -> None:
    """Every family says what it is (a comment) and has phrases, body parts x signs, or groups."""
    text = DEFAULT_TERMS_FILE.read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    for tier in (EMERGENCY, CLINIC):
        for name, family in config[tier].items():
            assert set(family) & {"phrases", "parts", "combinations", "all_of"}, name
            after_heading = text.split(f"\n  {name}:\n", 1)[1]
            assert after_heading.lstrip(" ").startswith("#"), f"{name} has no comment saying what it is"


def test_terms_file_is_the_clinical_safety_file() -> None:
    assert Path(__file__).resolve().parents[1] / "clinical_safety" / "red_flags.yml" == DEFAULT_TERMS_FILE
