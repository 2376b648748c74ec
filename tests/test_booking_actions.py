"""Booking, hand-off and locator actions with real Trackers and dispatchers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.booking import ActionAskPreferredClinic, ActionSubmitBooking, ValidateBookingForm
from actions.clinic_locator import ActionFindNearestClinic
from actions.handoff import ActionStartHandoff, ActionSubmitCallback, ValidateHandoffForm
from actions.visitor_forms import ActionStopRequest
from settings import get_settings
from tests.support.project_data import domain
from tests.support.trackers import completed_form, tracker_with, user_event

FIXTURE = Path(__file__).parent / "fixtures" / "clinic_complete.yml"
THURSDAY_MORNING, SUNDAY = "2026-11-26T11:00:00-06:00", "2026-11-29T11:00:00-06:00"


@pytest.fixture(autouse=True)
def action_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("CLINIC_DATA_FILE", str(FIXTURE))
    monkeypatch.setenv("BOOKING_OUTBOX_URL", f"sqlite:///{tmp_path / 'outbox.db'}")
    monkeypatch.setenv("FIXED_TIME", THURSDAY_MORNING)
    for cache in (get_settings, runtime.clinic_source, runtime.outbox):
        cache.cache_clear()
    yield
    for cache in (get_settings, runtime.clinic_source, runtime.outbox):
        cache.cache_clear()


def tracker(text: str, intent: str = "inform", requested: Optional[str] = None, **slots: Any):
    return tracker_with([user_event(text, intent)], slots={"requested_slot": requested, **slots})


async def run(action: Any, tracker_: Any) -> tuple:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, domain())
    return events, [message.get("response") for message in dispatcher.messages], dispatcher.messages


def slot_values(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_a_name_is_taken_and_the_next_question_follows() -> None:
    events, responses, _ = await run(ValidateBookingForm(), tracker("my name is Priya Patel", requested="visitor_name"))
    slots = slot_values(events)
    assert slots["visitor_name"] == "Priya Patel" and slots["invalid_answers"] == 0.0
    assert responses == []


async def test_an_invalid_phone_is_re_asked_kindly_and_counted() -> None:
    events, responses, _ = await run(ValidateBookingForm(), tracker("555-01", requested="visitor_contact"))
    assert slot_values(events)["visitor_contact"] is None
    assert slot_values(events)["invalid_answers"] == 1.0
    assert responses == ["utter_invalid_phone_number"]


async def test_the_third_miss_offers_a_person() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(), tracker("not telling", requested="visitor_contact", invalid_answers=2.0)
    )
    assert responses == ["utter_invalid_visitor_contact", "utter_offer_person_in_form"]
    assert slot_values(events)["invalid_answers"] == 0.0


async def test_a_no_to_the_summary_is_not_a_miss() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(), tracker("no", intent="deny", requested="booking_confirmed", invalid_answers=2.0)
    )
    assert responses == ["utter_which_detail_to_change"]
    assert slot_values(events)["invalid_answers"] == 0.0


async def test_a_question_during_the_form_is_left_to_the_faq_rules() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(), tracker("wait, does it hurt?", intent="faq", requested="visitor_contact")
    )
    assert slot_values(events) == {} and responses == []


async def test_an_faq_like_answer_that_is_not_a_question_is_still_the_answer() -> None:
    events, _, _ = await run(
        ValidateBookingForm(),
        tracker("rolling scars on my cheeks", intent="faq", requested="treatment_interest"),
    )
    assert slot_values(events)["treatment_interest"] == "rolling scars on my cheeks"


@pytest.mark.parametrize("intent", ["stop", "urgent_symptom", "human_handoff"])
async def test_interruptions_are_never_taken_as_answers(intent: str) -> None:
    events, _, _ = await run(ValidateBookingForm(), tracker("stop it", intent=intent, requested="preferred_times"))
    assert slot_values(events) == {}


async def test_a_correction_in_passing_updates_the_earlier_answer() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(),
        tracker(
            "actually my number is 708-555-0199",
            requested="preferred_times",
            visitor_contact="(630) 555-0142",
        ),
    )
    slots = slot_values(events)
    assert slots["visitor_contact"] == "(708) 555-0199" and "preferred_times" not in slots
    assert responses == ["utter_detail_updated"]


async def test_whichever_is_closer_asks_for_a_town() -> None:
    events, _, _ = await run(
        ValidateBookingForm(),
        tracker("whichever is closer", requested="preferred_clinic", visitor_name="A", visitor_contact="a@b.com"),
    )
    slots = slot_values(events)
    assert slots["wants_nearest_clinic"] is True and slots["requested_slot"] == "visitor_location"


async def test_a_town_instead_of_a_clinic_picks_the_nearer_one() -> None:
    events, responses, messages = await run(
        ValidateBookingForm(), tracker("i live in naperville", requested="preferred_clinic")
    )
    slots = slot_values(events)
    assert slots["preferred_clinic"] == "Oak Brook" and slots["visitor_location"] == "Naperville, IL"
    assert responses == ["utter_nearest_clinic"] and messages[0]["miles"] == "10"


async def test_an_ambiguous_town_asks_which_state() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(), tracker("portland", requested="visitor_location", wants_nearest_clinic=True)
    )
    assert slot_values(events)["visitor_location"] is None and responses == ["utter_ambiguous_place"]


async def test_declining_consent_ends_the_form_without_confirmation() -> None:
    events, _, _ = await run(
        ValidateBookingForm(),
        tracker("no", intent="deny", requested="contact_consent", visitor_name="A", visitor_contact="x@y.com",
                preferred_clinic="Oak Brook", preferred_times="am", treatment_interest="scars"),
    )  # fmt: skip
    slots = slot_values(events)
    assert slots["contact_consent"] is False and slots["requested_slot"] is None


async def test_changing_a_detail_at_the_summary_asks_it_again() -> None:
    events, _, _ = await run(
        ValidateBookingForm(), tracker("change the times", intent="deny", requested="booking_confirmed")
    )
    slots = slot_values(events)
    assert slots["preferred_times"] is None and slots["booking_confirmed"] is None


async def test_refusing_contact_at_the_summary_does_not_ask_for_contact_details_again() -> None:
    events, responses, _ = await run(
        ValidateBookingForm(),
        tracker("no please don't contact me", intent="deny", requested="booking_confirmed", visitor_contact="x@y.com"),
    )
    slots = slot_values(events)
    assert "visitor_contact" not in slots and slots["booking_confirmed"] is None
    assert responses == ["utter_which_detail_to_change"]


async def test_preferred_clinic_question_has_a_button_per_location() -> None:
    _, responses, messages = await run(ActionAskPreferredClinic(), tracker("", requested="preferred_clinic"))
    assert responses == ["utter_ask_preferred_clinic"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Oak Brook", "Orland Park", "Whichever is closer"]
    assert messages[0]["clinic_choices"] == "Oak Brook or Orland Park"


BOOKING_SLOTS = {
    "visitor_name": "Dana Whitfield",
    "visitor_contact": "(630) 555-0142",
    "preferred_clinic": "Orland Park",
    "preferred_times": "tuesday afternoons",
    "treatment_interest": "boxcar scars",
    "contact_consent": True,
    "booking_confirmed": True,
}


def booking_tracker(**slots: Any) -> Any:
    """A conversation whose booking form the visitor answered and confirmed."""
    answers = [user_event(text, "inform") for text in ("Dana Whitfield", "630-555-0142", "Orland Park")]
    events = completed_form("booking_form", "booking_confirmed", [*answers, user_event("yes", "affirm")])
    return tracker_with(events, slots={**BOOKING_SLOTS, **slots})


async def test_submitting_stores_the_request_and_clears_personal_data() -> None:
    events, responses, messages = await run(ActionSubmitBooking(), booking_tracker())
    assert responses == ["utter_booking_saved"]
    [stored] = runtime.outbox().list()
    assert messages[0]["reference"] == stored.reference
    assert stored.payload["visitor"] == {"name": "Dana Whitfield", "phone": "+16305550142", "email": None}
    assert stored.payload["clinic"] == {"id": "orland_park", "name": "Orland Park"}
    assert all(value is None for value in slot_values(events).values())


async def test_no_consent_means_nothing_is_stored() -> None:
    _, responses, _ = await run(ActionSubmitBooking(), tracker("no", **{**BOOKING_SLOTS, "contact_consent": False}))
    assert responses == ["utter_consent_declined"] and runtime.outbox().list() == []


async def test_a_storage_failure_is_told_and_keeps_the_details(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKING_OUTBOX_URL", "postgresql://nobody@127.0.0.1:1/none")
    runtime.outbox.cache_clear()
    get_settings.cache_clear()
    events, responses, _ = await run(ActionSubmitBooking(), booking_tracker())
    assert responses == ["utter_request_not_saved"] and events == []


async def test_a_booking_without_its_form_in_the_conversation_is_not_stored() -> None:
    """What a hand-made action call (or slots posted through Rasa's API) looks like."""
    events, responses, _ = await run(ActionSubmitBooking(), tracker("yes", intent="affirm", **BOOKING_SLOTS))
    assert responses == ["utter_request_not_saved"] and events == []
    assert runtime.outbox().list() == []


@pytest.mark.parametrize(
    "bad_slots",
    [
        {"visitor_name": "=HYPERLINK(1)"},
        {"visitor_contact": "call me maybe"},
        {"visitor_contact": None},
        {"preferred_clinic": "Nowhere"},
        {"preferred_times": "!!!"},
        {"treatment_interest": ["not", "text"]},
        {"visitor_location": "   "},
    ],
)
async def test_a_detail_its_form_would_not_accept_is_not_stored(bad_slots: Dict[str, Any]) -> None:
    events, responses, _ = await run(ActionSubmitBooking(), booking_tracker(**bad_slots))
    assert responses == ["utter_request_not_saved"] and events == []
    assert runtime.outbox().list() == []


async def test_stop_clears_the_form_and_its_details() -> None:
    events, responses, _ = await run(ActionStopRequest(), tracker("stop", intent="stop", **BOOKING_SLOTS))
    assert responses == ["utter_request_stopped"]
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert all(value is None for value in slot_values(events).values())


@pytest.mark.parametrize(
    ("clock", "clinic_file", "response"),
    [
        (THURSDAY_MORNING, FIXTURE, "utter_handoff_open"),
        (SUNDAY, FIXTURE, "utter_handoff_closed"),
        (
            THURSDAY_MORNING,
            Path(__file__).resolve().parents[1] / "clinic" / "clinic.yml",
            "utter_handoff_start",
        ),
    ],
)
async def test_handoff_depends_on_opening_hours(
    monkeypatch: pytest.MonkeyPatch, clock: str, clinic_file: Path, response: str
) -> None:
    monkeypatch.setenv("FIXED_TIME", clock)
    monkeypatch.setenv("CLINIC_DATA_FILE", str(clinic_file))
    get_settings.cache_clear()
    runtime.clinic_source.cache_clear()
    _, responses, _ = await run(ActionStartHandoff(), tracker("can i talk to someone", intent="human_handoff"))
    assert responses == [response]


async def test_callback_form_and_submission() -> None:
    events, _, _ = await run(ValidateHandoffForm(), tracker("after 5 today", requested="callback_time"))
    assert slot_values(events)["callback_time"] == "after 5 today"
    slots = {"visitor_name": "Jo", "visitor_contact": "jo@example.com", "callback_time": "after 5",
             "callback_reason": "prices", "callback_confirmed": True}  # fmt: skip
    answers = [user_event("Jo", "inform"), user_event("yes", "affirm")]
    form = completed_form("handoff_form", "callback_confirmed", answers)
    history = [user_event("how much is it", "faq", response_key="faq/cost"), *form]
    events, responses, _ = await run(ActionSubmitCallback(), tracker_with(history, slots=slots))
    [stored] = runtime.outbox().list()
    assert responses == ["utter_callback_saved"] and stored.kind == "callback"
    assert stored.payload["callback"] == {"best_time": "after 5", "reason": "prices"}
    assert stored.payload["conversation_summary"]["faq_topics_asked"] == ["cost"]
    assert all(value is None for value in slot_values(events).values())


@pytest.mark.parametrize(
    ("text", "response"),
    [("i live in tinley park", "utter_nearest_clinic"), ("90210", "utter_far_from_clinics"),
     ("portland", "utter_ambiguous_place"), ("my email is a@b.com", "utter_anything_else")],
)  # fmt: skip
async def test_nearest_clinic_answers(text: str, response: str) -> None:
    _, responses, _ = await run(ActionFindNearestClinic(), tracker(text))
    assert responses == [response]
