"""What patients read: every FAQ answer and the safety and contact replies.

Plain (US grade 8 or below by Flesch-Kincaid, computed with textstat), short,
US English, jargon explained, no promises, and saying what the medical facts
(docs/content/medical_facts.md) say. Answers are checked as written and as a
patient sees them, with the clinic's sentences filled in from the shipped
clinic file and from a fully configured one.
"""

from __future__ import annotations

import re
from typing import Dict, List

import pytest
import textstat
import yaml

from actions.clinic_data import load_clinic
from actions.clinic_sentences import chosen_clinic_values, template_values
from tests.support.project_data import PROJECT_DIR, domain, faq_responses

MAX_GRADE = 8.0
CLINIC_FILES = {
    "shipped": PROJECT_DIR / "clinic" / "clinic.yml",
    "complete": PROJECT_DIR / "tests" / "fixtures" / "clinic_complete.yml",
}
CANDIDACY_KEYS = ("good_candidate", "dark_skin", "active_acne", "isotretinoin", "pregnancy", "age_limits")
SAFETY_RESPONSES = ("utter_urgent_symptom", "utter_urgent_call_clinic", "utter_urgent_contact")
# Replies that carry the clinic's contact sentence.
CONTACT_RESPONSES = (
    "utter_handoff_open",
    "utter_handoff_closed",
    "utter_handoff_start",
    "utter_consent_declined",
    "utter_request_not_saved",
)
# British spellings and UK references (the clinic is in Illinois).
NOT_US = re.compile(
    r"\b(colour\w*|centre\w*|anaesthe\w*|favour\w*|behaviour\w*|programme|ageing|oedema|paediatric\w*|"
    r"haem\w*|whilst|mum|(organis|minimis|recognis|realis|specialis|personalis|apologis|optimis|prioritis)"
    r"(e|ed|es|ing|ation)|"
    r"nhs|chemist)\b",
    re.IGNORECASE,
)
# Terms a patient may not know: used only with a plain explanation nearby.
EXPLAINED_TERMS = {
    r"\bnon-ablative\b": r"gentler|under the surface|top layer",
    r"(?<!non-)\bablative\b": r"stronger|strongest|top layer",
    r"\bfractional\b": r"tiny dots",
    r"\bsubcision\b": r"needle",
    r"\bpunch excision\b": r"\bcut",
    r"\bTCA CROSS\b": r"acid",
    r"\bkeloid\b": r"raised",
    r"\bisotretinoin\b": r"Accutane",
    r"\bcollagen\b": r"protein|heal|new collagen",
    r"\bmicroneedling\b": r"needles",
    r"\bsedative\b": r"relax|ride|drive",
    r"\bobstetrician\b": r"\bOB\b",
    r"\bdermatologist\b": r"skin doctor|Accutane|acne|experience",
}
UNEXPLAINED_JARGON = re.compile(
    r"erbium:YAG|\bYAG\b|hypertrophic|\bPIH\b|ectropion|milia|Fitzpatrick|atrophic|epidermis|\bdermis\b|"
    r"prophylaxis|periocular|hyperpigmentation|hypopigmentation|photoaging|contraindicat\w*",
    re.IGNORECASE,
)
PROMISES = re.compile(
    r"\b(get rid of|cures?|100 ?%|guarantee\w*|risk-free|painless|no downtime|scar-free|"
    r"permanent results|removes? (your |the |all )?scars)\b",
    re.IGNORECASE,
)
MEDICINE_ORDERS = re.compile(
    r"\b(stop|start|quit|discontinue|begin)\b[^.;]{0,40}\b(medicine|medication|isotretinoin|accutane|antiviral|"
    r"antibiotic|retinoids?|tretinoin|pills?)\b",
    re.IGNORECASE,
)
# The finding in issue 23 each answer must now cover, as words it must contain.
REQUIRED_STATEMENTS = {
    "dark_skin": ["permanent", "not to use laser", "less research"],
    "side_effects": ["911", "eye pain", "vision", "100.4 °F (38 °C)", "cold sores", "call the clinic that treated you"],
    "aftercare": ["4 weeks", "about 6 weeks", "hot tubs", "pools"],
    "recovery_time": ["a few weeks of downtime"],
    "anesthesia_pain": ["can be painful", "not routine"],
    "results_timeline": ["does not remove", "come back", "new acne can cause new scars"],
    "other_uses": ["Red or brown marks", "not true scars"],
    "consultation": ["questions to ask", "test spot"],
    "preparation": ["tanned or sunburned", "wait until it has healed", "reschedule"],
    "scar_types": ["improvement, not removal"],
    "how_it_works": ["rather than erasing"],
}


def sentences(text: str) -> List[str]:
    # "Dr. Jane Doe" does not end a sentence.
    return [s for s in re.split(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<=[.!?])\s+", text.strip()) if s]


def readable_text(text: str) -> str:
    """The text as Flesch-Kincaid should read it: each line of a list is a sentence."""
    lines = [line.strip().lstrip("-").strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if re.search(r"[.!?:]$", line) else f"{line}." for line in lines)


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(readable_text(text))


def clinic_values() -> Dict[str, Dict[str, str]]:
    """The {clinic_...} sentences for each clinic file, and for a visitor who chose a clinic."""
    values = {name: template_values(load_clinic(path)) for name, path in CLINIC_FILES.items()}
    complete = load_clinic(CLINIC_FILES["complete"])
    values["complete, clinic chosen"] = {
        **values["complete"],
        **chosen_clinic_values(complete, complete.locations[0].name),
    }
    return values


def as_patients_see_it(text: str) -> Dict[str, str]:
    """The text with the clinic's sentences filled in from each clinic file."""
    return {name: text.format(**values) for name, values in clinic_values().items()}


def domain_texts(name: str) -> List[str]:
    return [variant["text"] for variant in domain()["responses"][name]]


@pytest.fixture(scope="module", autouse=True)
def print_grades(request: pytest.FixtureRequest) -> None:
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    lines = [f"  {key:24s} {max(grade(t) for t in as_patients_see_it(text).values()):4.1f}"
             for key, text in faq_responses().items()]  # fmt: skip
    reporter.write_line("\nFlesch-Kincaid grade of each FAQ answer (highest as patients see it)\n" + "\n".join(lines))


@pytest.mark.parametrize("key", sorted(faq_responses()))
def test_every_answer_reads_at_grade_8_or_below(key: str) -> None:
    grades = {name: grade(text) for name, text in as_patients_see_it(faq_responses()[key]).items() if text.strip()}
    assert max(grades.values()) <= MAX_GRADE, grades


@pytest.mark.parametrize("name", SAFETY_RESPONSES + CONTACT_RESPONSES)
def test_safety_and_contact_replies_read_at_grade_8_or_below(name: str) -> None:
    for text in domain_texts(name):
        grades = {seen: grade(filled) for seen, filled in as_patients_see_it(text).items() if filled.strip()}
        assert max(grades.values()) <= MAX_GRADE, (text[:60], grades)


@pytest.mark.parametrize("key", sorted(faq_responses()))
def test_every_answer_has_two_to_four_sentences(key: str) -> None:
    for seen, text in as_patients_see_it(faq_responses()[key]).items():
        assert 2 <= len(sentences(text)) <= 4, (seen, sentences(text))


def test_answers_and_replies_use_us_english() -> None:
    texts = list(faq_responses().values())
    texts += [variant.get("text", "") for variants in domain()["responses"].values() for variant in variants]
    texts += [sentence for values in clinic_values().values() for sentence in values.values()]
    assert [(match, text[:50]) for text in texts for match in NOT_US.findall(text)] == []


@pytest.mark.parametrize("key", sorted(faq_responses()))
def test_jargon_is_explained_or_avoided(key: str) -> None:
    answer = faq_responses()[key]
    assert not UNEXPLAINED_JARGON.findall(answer)
    unexplained = [
        term
        for term, explanation in EXPLAINED_TERMS.items()
        if re.search(term, answer, re.IGNORECASE) and not re.search(explanation, answer, re.IGNORECASE)
    ]
    assert unexplained == []


@pytest.mark.parametrize("key", sorted(faq_responses()))
def test_no_promise_and_no_order_to_start_or_stop_a_medicine(key: str) -> None:
    answer = faq_responses()[key]
    assert not PROMISES.findall(answer)
    assert not MEDICINE_ORDERS.findall(answer)


@pytest.mark.parametrize("key", CANDIDACY_KEYS)
def test_candidacy_answers_end_in_a_consultation_decides(key: str) -> None:
    assert "a consultation decides" in sentences(faq_responses()[key])[-1].lower()


@pytest.mark.parametrize("key", sorted(REQUIRED_STATEMENTS))
def test_answers_say_what_the_facts_say(key: str) -> None:
    answer = " ".join(faq_responses()[key].split())
    assert [phrase for phrase in REQUIRED_STATEMENTS[key] if phrase not in answer] == []


def test_dark_skin_answer_does_not_reassure() -> None:
    answer = faq_responses()["dark_skin"].lower()
    assert "can be treated" not in answer and "preferred" not in answer


def test_age_policy_comes_from_the_clinic_file() -> None:
    faq_text = (PROJECT_DIR / "data" / "responses" / "faq.yml").read_text(encoding="utf-8")
    assert "under 18" not in faq_text.lower()
    assert "{clinic_minors_policy}" in faq_responses()["age_limits"]
    policy = yaml.safe_load(CLINIC_FILES["complete"].read_text(encoding="utf-8"))["minors_policy"]
    assert policy in faq_responses()["age_limits"].format(**clinic_values()["complete"])


def safety_variations(name: str) -> Dict[object, str]:
    """Tier ("emergency", "clinic", or None for the default) -> text."""
    return {
        next((c["value"] for c in variant.get("condition") or []), None): variant["text"]
        for variant in domain()["responses"][name]
    }


def test_safety_reply_differs_by_tier_and_names_the_right_place_to_call() -> None:
    first, second = safety_variations("utter_urgent_symptom"), safety_variations("utter_urgent_call_clinic")
    assert set(first) == set(second) == {"emergency", "clinic", None}
    assert first["emergency"].startswith("Please call 911 or go to the nearest emergency room now.")
    assert first["clinic"].startswith("Please call the clinic that treated you")
    assert "911" not in first["clinic"].split("\n")[0]
    # The clinic tier still says when to call 911 instead.
    assert "For eye pain, a change in your vision or trouble breathing, call 911 now." in second["clinic"]
    assert "100.4 °F (38 °C)" in second["clinic"] and "100.4 °F (38 °C)" in second[None]
    # With no tier known (a button, an old conversation), both lists are given.
    assert "911" in first[None] and "Call the clinic that treated you" in second[None]


def test_911_message_is_short_plain_lines_without_expected_swelling() -> None:
    texts = [variant["text"] for name in SAFETY_RESPONSES for variant in domain()["responses"][name]]
    assert all(len(line.split()) <= 14 for text in texts for line in text.splitlines()), texts
    first = safety_variations("utter_urgent_symptom")
    for text in (first["emergency"], first[None]):
        assert len(text.splitlines()) >= 5
        assert "swelling of your tongue, lips or throat" in text
    # Facial swelling is expected after treatment: never a 911 item, and the
    # clinic is called for a lot of swelling, mostly around the eyes.
    assert not [t for t in texts if re.search(r"swelling of (your|the) face|face or throat", t)]
    assert all("a lot of swelling, mostly around the eyes" in t for t in safety_variations("utter_urgent_call_clinic")
               .values() if "Call" in t.split("\n")[0])  # fmt: skip


def test_safety_reply_is_static_and_chosen_by_the_tier_slot() -> None:
    """Rasa sends it without the action server: no clinic placeholder but the contact line."""
    for name in ("utter_urgent_symptom", "utter_urgent_call_clinic"):
        assert not [t for t in domain_texts(name) if "{" in t]
    slot = domain()["slots"]["urgent_tier"]
    assert slot["influence_conversation"] is False
    assert slot["mappings"] == [{"type": "from_entity", "entity": "urgent_tier"}]
    rules = yaml.safe_load((PROJECT_DIR / "data" / "rules" / "safety.yml").read_text(encoding="utf-8"))
    steps = [step.get("action") for rule in rules["rules"] for step in rule["steps"] if "action" in step]
    assert steps[:3] == list(SAFETY_RESPONSES)


@pytest.mark.parametrize(("tier", "opening"), [("emergency", "Please call 911"), ("clinic", "Please call the clinic"),
                                               (None, "Call 911 or go to the nearest emergency room")])  # fmt: skip
async def test_rasa_picks_the_variation_for_the_tier(tier: object, opening: str) -> None:
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    tracker = DialogueStateTracker.from_events("visitor", [SlotSet("urgent_tier", tier)], rasa_domain.slots)
    generator = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    reply = await generator.generate("utter_urgent_symptom", tracker, "rest")
    assert reply["text"].startswith(opening)
