"""Booking, hand-off and clinic-locator conversations with the running assistant.

These go through the real REST channel, Rasa server and action server, with
the fixture clinic (tests/fixtures/clinic_complete.yml), a fixed clock and a
local HTTP receiver playing the clinic's booking system.
"""

from __future__ import annotations

import time
from typing import Callable

import pytest

from actions.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from actions.outbox import DELIVERED, PENDING, Outbox
from tests.conftest import WEBHOOK_SECRET
from tests.support.conversation import Conversation
from tests.support.servers import AssistantServers
from tests.support.webhook_receiver import ReceivedDelivery, WebhookReceiver

NAME, PHONE, PHONE_E164 = "Dana Whitfield", "630-555-0142", "+16305550142"


def wait_for(condition: Callable[[], object], timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the condition")


def outbox_of(servers: AssistantServers) -> Outbox:
    return Outbox.from_url(servers.env["BOOKING_OUTBOX_URL"])


def delivered(receiver: WebhookReceiver, reference: str) -> ReceivedDelivery:
    def find() -> object:
        return next((d for d in receiver.booked.values() if d.payload["reference"] == reference), None)

    return wait_for(find)  # type: ignore[return-value]


def book_until_summary(chat: Conversation) -> None:
    chat.say("I'd like to book a consultation please")
    chat.expect("utter_ask_booking_form_visitor_name")
    chat.say(NAME)
    chat.expect("utter_ask_visitor_contact")
    chat.say(PHONE)
    chat.expect("utter_ask_preferred_clinic")
    assert {"Oak Brook", "Orland Park", "Whichever is closer"} <= {b["title"] for b in chat.buttons}
    chat.say("whichever is closer")
    chat.expect("utter_ask_visitor_location")
    chat.say("I live in Naperville")
    chat.expect("utter_nearest_clinic", "utter_ask_preferred_times")
    assert any("Oak Brook" in text and "Naperville, IL" in text and "miles" in text for text in chat.texts)
    chat.say("tuesday afternoons")
    chat.expect("utter_ask_treatment_interest")
    chat.say("rolling scars on my cheeks")
    chat.expect("utter_ask_contact_consent")
    chat.say("yes")
    chat.expect("utter_ask_booking_confirmed")


def test_happy_path_booking_is_delivered_signed_and_forgotten(
    servers: AssistantServers, webhook_receiver: WebhookReceiver
) -> None:
    chat = Conversation(servers)
    book_until_summary(chat)
    summary = " ".join(chat.texts)
    for detail in (NAME, "(630) 555-0142", "Oak Brook", "tuesday afternoons", "rolling scars on my cheeks"):
        assert detail in summary
    chat.say("yes, send it")
    chat.expect("utter_booking_saved")
    reference = chat.reference()

    arrived = delivered(webhook_receiver, reference)
    payload = arrived.payload
    assert payload["kind"] == "consultation_booking"
    assert payload["visitor"] == {"name": NAME, "phone": PHONE_E164, "email": None}
    assert payload["clinic"] == {"id": "oak_brook", "name": "Oak Brook"}
    assert payload["visitor_location"] == "Naperville, IL"
    assert payload["preferred_times"] == "tuesday afternoons"
    assert payload["treatment_interest"] == "rolling scars on my cheeks"
    assert payload["contact_consent"] is True
    assert verify_signature(
        WEBHOOK_SECRET,
        arrived.headers[TIMESTAMP_HEADER.lower()],
        arrived.body,
        arrived.headers[SIGNATURE_HEADER.lower()],
    )
    slots = chat.slots()
    assert all(slots[s] is None for s in ("visitor_name", "visitor_contact", "preferred_times", "treatment_interest"))
    logs = (servers.state_dir / "action-server.log").read_text() + (servers.state_dir / "rasa.log").read_text()
    assert NAME not in logs and "555-0142" not in logs and "555 0142" not in logs


def test_correction_faq_interruption_and_email_contact(
    servers: AssistantServers, webhook_receiver: WebhookReceiver
) -> None:
    chat = Conversation(servers)
    chat.say("can i book an appointment")
    chat.say("Sam Okafor")
    chat.expect("utter_ask_visitor_contact")
    chat.say("wait, does the laser hurt?")
    chat.expect("utter_faq/anesthesia_pain", "utter_ask_visitor_contact")
    chat.say("sam.okafor@example.com")
    chat.say("Orland Park")
    chat.expect("utter_ask_preferred_times")
    chat.say("actually my number is 708-555-0199")
    chat.expect("utter_detail_updated", "utter_ask_preferred_times")
    chat.say("weekday mornings")
    chat.say("not sure yet")
    chat.say("yes")
    assert "(708) 555-0199" in " ".join(chat.texts) and "Orland Park" in " ".join(chat.texts)
    chat.say("yes")
    payload = delivered(webhook_receiver, chat.reference()).payload
    assert payload["visitor"]["phone"] == "+17085550199"
    assert payload["clinic"]["id"] == "orland_park"
    assert "anesthesia_pain" in payload["conversation_summary"]["faq_topics_asked"]


def test_changing_a_detail_at_the_summary(servers: AssistantServers, webhook_receiver: WebhookReceiver) -> None:
    chat = Conversation(servers)
    book_until_summary(chat)
    chat.say("no")
    chat.expect("utter_which_detail_to_change")
    chat.say("change the times")
    chat.expect("utter_ask_preferred_times")
    chat.say("saturday mornings")
    chat.expect("utter_ask_booking_confirmed")
    assert "saturday mornings" in " ".join(chat.texts)
    chat.say("yes")
    assert delivered(webhook_receiver, chat.reference()).payload["preferred_times"] == "saturday mornings"


def test_stopping_sends_nothing_and_forgets_the_details(servers: AssistantServers) -> None:
    before = len(outbox_of(servers).list())
    chat = Conversation(servers)
    chat.say("i want to schedule a consultation")
    chat.say("Lee Park")
    chat.say(PHONE)
    chat.say("stop")
    chat.expect("utter_request_stopped")
    slots = chat.slots()
    assert slots["visitor_name"] is None and slots["visitor_contact"] is None and slots["requested_slot"] is None
    assert len(outbox_of(servers).list()) == before
    chat.say("how long is the recovery?")
    chat.expect("utter_faq/recovery_time")


def test_three_invalid_phone_numbers_offer_a_person(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("book a consult")
    chat.say("Ana Ruiz")
    chat.say("555-01")
    chat.expect("utter_invalid_phone_number", "utter_ask_visitor_contact")
    chat.say("12345")
    chat.expect("utter_invalid_phone_number")
    chat.say("99-99-999")
    chat.expect("utter_offer_person_in_form")
    assert {"Talk to a person", "Stop"} <= {b["title"] for b in chat.buttons}
    chat.say("/human_handoff")
    chat.expect("utter_handoff_open")


def test_declining_consent_sends_nothing(servers: AssistantServers) -> None:
    before = len(outbox_of(servers).list())
    chat = Conversation(servers)
    chat.say("i'd like to make an appointment")
    for answer in ("Chris Novak", PHONE, "Oak Brook", "evenings", "boxcar scars"):
        chat.say(answer)
    chat.expect("utter_ask_contact_consent")
    chat.say("no")
    chat.expect("utter_consent_declined")
    assert len(outbox_of(servers).list()) == before
    assert chat.slots()["visitor_name"] is None


def test_urgent_symptom_during_booking_gets_the_safety_reply_first(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("book me in please")
    chat.say("my face is blistering and oozing since my laser on monday")
    chat.expect("utter_urgent_symptom", "utter_urgent_call_clinic")
    assert any("911" in text for text in chat.texts)


def test_handoff_during_opening_hours_gives_the_number_and_takes_a_callback(
    servers: AssistantServers, webhook_receiver: WebhookReceiver
) -> None:
    chat = Conversation(servers)
    chat.say("how much does it cost?")
    chat.say("can i talk to a real person")
    chat.expect("utter_handoff_open", "utter_ask_handoff_form_visitor_name")
    assert any("(630) 555-0100" in text for text in chat.texts)
    chat.say("Jordan Miles")
    chat.say("jordan@example.com")
    chat.expect("utter_ask_callback_time")
    chat.say("after 4pm today")
    chat.say("questions about payment plans")
    chat.expect("utter_ask_callback_confirmed")
    chat.say("yes")
    chat.expect("utter_callback_saved")
    payload = delivered(webhook_receiver, chat.reference()).payload
    assert payload["kind"] == "callback"
    assert payload["callback"] == {"best_time": "after 4pm today", "reason": "questions about payment plans"}
    assert payload["visitor"]["email"] == "jordan@example.com"
    summary = payload["conversation_summary"]
    assert summary["faq_topics_asked"] == ["cost"] and "how much does it cost?" in summary["recent_messages"]


def test_handoff_outside_opening_hours_says_when_the_team_calls_back(servers: AssistantServers) -> None:
    servers.actions.env["FIXED_TIME"] = "2026-11-29T11:00:00-06:00"  # a Sunday
    servers.actions.restart()
    try:
        chat = Conversation(servers)
        chat.say("i need to speak to someone from the clinic")
        chat.expect("utter_handoff_closed")
        assert any("Mon-Wed 9am-5pm" in text for text in chat.texts)
    finally:
        servers.actions.env["FIXED_TIME"] = servers.env["FIXED_TIME"]
        servers.actions.restart()


def test_closest_clinic_question(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("which of your clinics is closest to me?")
    chat.expect("utter_faq/locations")
    chat.say("I live in Joliet")
    chat.expect("utter_nearest_clinic")
    assert any("Orland Park" in text and "Joliet, IL" in text for text in chat.texts)


@pytest.mark.timeout(240)
def test_request_stored_before_a_restart_is_delivered_after_it(
    servers: AssistantServers, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.script[:] = ["503"] * 10_000  # the booking system is down
    try:
        chat = Conversation(servers)
        book_until_summary(chat)
        chat.say("yes")
        reference = chat.reference()
        stored = next(r for r in outbox_of(servers).list() if r.reference == reference)
        wait_for(lambda: outbox_of(servers).get(stored.id).attempts >= 1)
        servers.actions.stop()
        assert outbox_of(servers).get(stored.id).status == PENDING
    finally:
        webhook_receiver.script.clear()  # the booking system is back
    servers.actions.start()
    assert delivered(webhook_receiver, reference).payload["id"] == stored.id
    wait_for(lambda: outbox_of(servers).get(stored.id).status == DELIVERED)
    assert sum(1 for d in webhook_receiver.booked.values() if d.payload["reference"] == reference) == 1


def test_a_conversation_survives_a_rasa_server_restart(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("i'd like to book a consultation")
    chat.say("Morgan Lee")
    chat.expect("utter_ask_visitor_contact")
    servers.rasa.restart()
    chat.say("morgan@example.com")
    chat.expect("utter_ask_preferred_clinic")
    assert chat.slots()["visitor_name"] == "Morgan Lee"
    chat.say("stop")
