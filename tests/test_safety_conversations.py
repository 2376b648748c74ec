"""The safety reply with the running assistant: the wording follows the tier,
the fixture clinic's numbers follow, and it is sent with the action server down."""

from __future__ import annotations

from tests.support.conversation import Conversation
from tests.support.servers import AssistantServers

MAIN, AFTER_HOURS, ORLAND_PARK = "(630) 555-0100", "(630) 555-0199", "(708) 555-0102"


def test_an_emergency_question_gets_the_911_reply(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("should i worry that my eye hurts? i had laser at another clinic")
    chat.expect("utter_urgent_symptom", "utter_urgent_call_clinic", variation="emergency")
    assert chat.texts[0].startswith("Please call 911 or go to the nearest emergency room now.")
    assert any(MAIN in text and AFTER_HOURS in text for text in chat.texts)
    assert chat.slots()["urgent_tier"] == "emergency"


def test_a_clinic_tier_symptom_gets_the_call_the_clinic_reply(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("day 3 after my laser and there's yellow pus on my chin")
    chat.expect("utter_urgent_symptom", "utter_urgent_call_clinic", variation="clinic")
    assert chat.texts[0].startswith("Please call the clinic that treated you")
    assert not chat.replied("utter_urgent_symptom", variation="emergency")
    # A later emergency in the same conversation gets the 911 reply.
    chat.say("now my lips and tongue are swelling")
    chat.expect("utter_urgent_symptom", variation="emergency")


def test_the_nearer_clinic_number_is_given_once_known(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("which of your clinics is closest to me?")
    chat.say("I live in Joliet")
    chat.expect("utter_nearest_clinic")
    chat.say("there's pus on my cheek since my laser on monday")
    assert any(f"Our Orland Park clinic's number is {ORLAND_PARK}" in text for text in chat.texts), chat.texts


def test_the_safety_reply_is_sent_with_the_action_server_down(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("hi")  # the conversation starts, with the clinic's details, while the action server is up
    servers.actions.stop()
    try:
        chat.say("my throat is closing up")
        chat.expect("utter_urgent_symptom", "utter_urgent_call_clinic", "utter_urgent_contact", variation="emergency")
        assert any(MAIN in text for text in chat.texts)
    finally:
        servers.actions.start()
