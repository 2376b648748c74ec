"""Slot values with braces and brackets fill responses as typed
(rasa_extensions/response_templates.py)."""

from __future__ import annotations

import re

import pytest
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from rasa_extensions.response_templates import PlainValueResponseGenerator, fill_text
from tests.support.conversation import Conversation
from tests.support.project_data import PROJECT_DIR
from tests.support.servers import AssistantServers

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))
SUMMARY_SLOTS = {
    "visitor_name": "Dana Whitfield",
    "visitor_contact": "(630) 555-0142",
    "preferred_clinic": "Oak Brook",
    "preferred_times": "mornings 0[ after ten",
    "treatment_interest": "scars {visitor_name} on [x] {{ }}",
}
RAW_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def shows_a_template(text: str, *typed: str) -> bool:
    """Whether `text` has a placeholder other than in what the visitor typed."""
    for value in typed:
        text = text.replace(value, "")
    return bool(RAW_PLACEHOLDER.search(text))


@pytest.mark.parametrize(
    ("generator", "shows_raw_template"),
    [(TemplatedNaturalLanguageGenerator(DOMAIN.responses), True), (PlainValueResponseGenerator(domain=DOMAIN), False)],
)
def test_the_booking_summary_with_brackets_in_an_answer(generator: object, shows_raw_template: bool) -> None:
    """Rasa's own generator shows the raw template (the finding); this one does not."""
    filled = generator.generate_from_slots("utter_ask_booking_confirmed", SUMMARY_SLOTS, "rest")  # type: ignore[attr-defined]
    assert filled is not None
    assert shows_a_template(filled["text"], *SUMMARY_SLOTS.values()) is shows_raw_template
    if not shows_raw_template:
        for value in SUMMARY_SLOTS.values():
            assert value in filled["text"]


def test_placeholders_are_filled_once_and_escapes_kept() -> None:
    assert fill_text("{a} {{b}} {c}", {"a": "{c}", "c": 0}) == "{c} {b} 0"
    assert fill_text("no placeholders [0] {{", {}) == "no placeholders [0] {"


def test_a_missing_value_leaves_the_template_as_rasa_does() -> None:
    generator = PlainValueResponseGenerator(domain=DOMAIN)
    filled = generator._fill_response({"text": "Your reference is {reference}."}, {})
    assert filled["text"] == "Your reference is {reference}."


def test_brackets_in_form_answers_never_show_a_template(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    replies = []
    for text in ("I'd like to book a consultation please", "Dana Whitfield", "630-555-0142", "Oak Brook",
                 "mornings 0[ after ten", "scars {visitor_name} on [x] 0[0]", "yes"):  # fmt: skip
        replies += chat.say(text)
    summary = " ".join(replies)
    assert "mornings 0[ after ten" in summary and "scars {visitor_name} on [x] 0[0]" in summary
    assert not shows_a_template(summary, "scars {visitor_name} on [x] 0[0]"), summary
    chat.say("stop")
