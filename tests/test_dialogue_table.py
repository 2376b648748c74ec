"""Every row of the dialogue table, through the REST channel of the running servers.

docs/dialogue/table.yml says what the assistant does with each kind of
message in each dialogue state; here each row is played: a new conversation
is brought to the state (at every question of each form), the row's example
message is sent, and the responses the conversation records must be the
row's, in order. The generated parts made from the table (the README's
table, the end-to-end stories) must be current.
"""

from __future__ import annotations

from typing import Any, List, Optional

import pytest

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.dialogue_checks import (
    BETWEEN_TOPICS,
    FORM_CONTINUES,
    FORM_ENDINGS,
    FormState,
    RecordedChat,
    mismatch,
)
from tests.support.dialogue_table import (
    E2E_STORIES,
    README,
    Row,
    load_table,
    readme_with_table,
    render_stories,
)
from tests.support.servers import AssistantServers

TABLE = load_table()
QUESTIONS = {
    "booking_question": [
        "visitor_name",
        "visitor_contact",
        "preferred_clinic",
        "visitor_location",
        "preferred_times",
        "treatment_interest",
        "contact_consent",
    ],
    "handoff_question": ["visitor_name", "visitor_contact", "callback_time", "callback_reason"],
    "booking_confirmation": ["booking_confirmed"],
    "handoff_confirmation": ["callback_confirmed"],
}
# Questions that offer buttons (the `button` kind is played only there).
BUTTON_QUESTIONS = {"preferred_clinic", "contact_consent", "booking_confirmed", "callback_confirmed"}


def reach(chat: RecordedChat, state: str, slot: Optional[str]) -> FormState:
    """Bring a new conversation to `state` (at question `slot` of a form)."""
    if state == "after_bot_challenge":
        chat.say(TABLE.examples["bot_challenge"])
    elif state in {"after_topics_offered", "after_rephrase"}:
        offer_topics(chat)
        if state == "after_rephrase":
            chat.click("Something else")
    elif state == "after_offer_person":
        chat.say(TABLE.examples["nlu_fallback"])
        assert chat.say(TABLE.examples["nlu_fallback"]).responses == ["utter_offer_person"]
    elif slot is not None:
        form = TABLE.form_of(state)
        chat.say(TABLE.examples["book_appointment" if form == "booking_form" else "human_handoff"])
        for _ in range(10):
            now = chat.state()
            if now.requested_slot == slot:
                return now
            assert now.form == form and now.requested_slot, f"the form stopped on the way to {slot}: {chat.turn}"
            chat.say(TABLE.answers[now.requested_slot])
        raise AssertionError(f"could not reach {slot}")
    return chat.state()


def offer_topics(chat: RecordedChat) -> None:
    """Bring the conversation to "Did you mean...?" with an FAQ topic among the offers."""
    for text in BETWEEN_TOPICS:
        chat.sender = new_conversation_id()
        turn = chat.say(text)
        if "utter_did_you_mean" in turn.responses and any(not b["payload"].startswith("/") for b in turn.buttons):
            return
    raise AssertionError(f"none of {BETWEEN_TOPICS} made the assistant offer topics")


def message_for(row: Row, slot: Optional[str], chat: RecordedChat) -> str:
    """The text to send for the row: a button's payload for `button` (a topic's
    question rather than "/book_appointment" when topics are offered)."""
    if row.kind == "button":
        buttons = chat.turn.buttons if chat.turn else []
        typed = [b for b in buttons if not b["payload"].startswith("/")]
        return (typed or buttons)[0]["payload"]
    if row.kind == "inform" and slot is not None:
        return TABLE.answers[slot]
    return TABLE.examples[row.kind]


def cases() -> List[Any]:
    found = []
    for row in TABLE.rows:
        slots = QUESTIONS.get(row.state, [None])
        for slot in slots:
            if row.kind == "button" and slot is not None and slot not in BUTTON_QUESTIONS:
                continue
            found.append(pytest.param(row, slot, id=f"{row.state}-{slot or ''}-{row.kind}".replace("--", "-")))
    return found


@pytest.mark.parametrize(("row", "slot"), cases())
def test_row(servers: AssistantServers, row: Row, slot: Optional[str]) -> None:
    chat = RecordedChat(servers)
    before = reach(chat, row.state, slot)
    text = message_for(row, slot, chat)
    turn = chat.say(text)
    problem = mismatch(row.replies, turn, before)
    assert problem is None, f"{row.state} at {slot}, {row.kind} {text!r} (understood as {turn.intent}): {problem}"
    expected_form = TABLE.form_of(row.next_state)
    # An answer can finish the form ("no" to being contacted ends it, unsent).
    finished = row.replies[-1] in FORM_CONTINUES and turn.after.form is None and turn.responses[-1] in FORM_ENDINGS
    assert (
        finished or turn.after.form == expected_form
    ), f"then {row.next_state}, but the running form is {turn.after.form}"


def test_every_state_and_kind_has_a_row_or_falls_back_to_one() -> None:
    missing = [(state, kind) for state in TABLE.states for kind in TABLE.kinds if TABLE.row_for(state, kind) is None]
    # Buttons exist only where the assistant offered some.
    assert [cell for cell in missing if cell[1] != "button"] == []


def test_generated_parts_are_current() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_with_table(readme, TABLE) == readme, "run: python -m tests.support.dialogue_table --write"
    assert E2E_STORIES.read_text(encoding="utf-8") == render_stories(
        TABLE
    ), "run: python -m tests.support.dialogue_table --write"
