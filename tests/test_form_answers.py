"""A request or small talk that carries the answer asked for is the answer.

"call me Beth" is understood as asking for a call back, "yes you can contact
me" as asking for a person; said to the question asked, each is its answer.
"""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ValidateBookingForm
from tests.support.project_data import domain
from tests.support.trackers import tracker_with, user_event


def extracted(slot: str, text: str, intent: str) -> list:
    tracker = tracker_with([user_event(text, intent)], slots={"requested_slot": slot})
    tracker.active_loop = {"name": "booking_form"}
    return ValidateBookingForm().get_extraction_events(CollectingDispatcher(), tracker, domain())


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("visitor_name", "call me Beth", "human_handoff"),
        ("visitor_contact", "thanks, it's 630-555-0142", "thank"),
        ("contact_consent", "yes you can contact me", "human_handoff"),
        ("booking_confirmed", "yes book it", "book_appointment"),
        ("preferred_clinic", "orland park thanks", "thank"),
    ],
)
async def test_a_request_holding_the_answer_is_the_answer(slot: str, text: str, intent: str) -> None:
    events = await extracted(slot, text, intent)
    assert [(e["name"], e["value"]) for e in events] == [(slot, text)]


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("visitor_name", "can i talk to a person instead", "human_handoff"),
        ("visitor_contact", "thank you", "thank"),
        ("contact_consent", "hello?", "greet"),
        ("preferred_times", "thanks so much", "thank"),
    ],
)
async def test_a_request_without_an_answer_interrupts(slot: str, text: str, intent: str) -> None:
    assert await extracted(slot, text, intent) == []
