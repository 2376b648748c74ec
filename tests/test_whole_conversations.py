"""Conversations that used to break, through the REST channel of the running servers.

Before the dialogue redesign each of these went silent: a second request
inside a form was declined by the form, no rule answered it, and the fallback
was predicted until Rasa's circuit breaker stopped the conversation for good.
"""

from __future__ import annotations

from tests.support.dialogue_checks import SAFETY_REPLY, RecordedChat
from tests.support.servers import AssistantServers


def assert_answered(turn_texts: list) -> None:
    assert turn_texts and all(text.strip() for text in turn_texts)
    assert len(set(turn_texts)) == len(turn_texts), f"a text repeated within one reply: {turn_texts}"


def test_asking_to_book_again_then_a_symptom_then_stop(servers: AssistantServers) -> None:
    chat = RecordedChat(servers)
    first = chat.say("i want to book an appointment")
    assert "utter_ask_booking_form_visitor_name" in first.responses
    again = chat.say("how do i book")
    assert_answered(again.texts)
    assert again.responses[-1] == "utter_ask_booking_form_visitor_name"
    symptom = chat.say("my face is oozing pus and i have a fever since the laser")
    assert_answered(symptom.texts)
    assert tuple(symptom.responses[:3]) == SAFETY_REPLY
    assert symptom.responses[-1] == "utter_ask_booking_form_visitor_name"
    stopped = chat.say("stop")
    assert stopped.responses == ["utter_request_stopped"] and stopped.after.form is None
    assert_answered(chat.say("how much does it cost?").texts)
    log = (servers.state_dir / "rasa.log").read_text()
    assert "Circuit breaker" not in log


def test_asking_for_a_person_twice_carries_on(servers: AssistantServers) -> None:
    chat = RecordedChat(servers)
    chat.say("can i talk to a real person")
    again = chat.say("can i talk to a real person")
    assert_answered(again.texts)
    assert again.responses == ["utter_already_handing_off", "utter_ask_handoff_form_visitor_name"]
    assert chat.say("Maria Lopez").responses == ["utter_ask_visitor_contact"]
