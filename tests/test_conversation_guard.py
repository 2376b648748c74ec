"""The conversation guard, on real running servers whose dialogue is made to fail.

Rasa reads MAX_NUMBER_OF_PREDICTIONS when it starts; at 1 its circuit
breaker trips on every turn, right after the first action: what a looping
policy would cause. Without the guard such a conversation goes silent for
good, a visitor reporting pus and fever included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import yaml
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.conversation_guard import APOLOGY, SAFETY_REPLY, resume_listening
from tests.conftest import FIXTURE_CLINIC, OPEN_TIME
from tests.support.dialogue_checks import RecordedChat
from tests.support.project_data import PROJECT_DIR
from tests.support.servers import AssistantServers, start_assistant

RED_FLAG = "my face is oozing pus and i have a fever since the laser"


@pytest.fixture(scope="module")
def tripping_servers(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    overrides = {
        "MAX_NUMBER_OF_PREDICTIONS": "1",
        "CLINIC_DATA_FILE": str(FIXTURE_CLINIC),
        "FIXED_TIME": OPEN_TIME,
    }
    with start_assistant(model_path, tmp_path_factory.mktemp("tripping"), overrides) as running:
        yield running


def test_the_guard_sends_the_safety_reply_the_rules_send() -> None:
    rules = yaml.safe_load((PROJECT_DIR / "data" / "rules" / "safety.yml").read_text(encoding="utf-8"))["rules"]
    [rule] = [r for r in rules if {"intent": "urgent_symptom"} in r["steps"]]
    assert tuple(step["action"] for step in rule["steps"] if "action" in step) == SAFETY_REPLY


def test_a_red_flag_gets_the_whole_safety_reply_when_the_dialogue_fails(tripping_servers: AssistantServers) -> None:
    chat = RecordedChat(tripping_servers)
    turn = chat.say(RED_FLAG)
    assert tuple(turn.responses[: len(SAFETY_REPLY)]) == SAFETY_REPLY
    assert all(text.strip() for text in turn.texts[: len(SAFETY_REPLY)])
    assert "911" in " ".join(turn.texts)


def test_other_messages_get_an_apology_and_the_conversation_goes_on(tripping_servers: AssistantServers) -> None:
    chat = RecordedChat(tripping_servers)
    first = chat.say("hello")
    assert APOLOGY in first.responses and first.texts
    # The clinic's contact sentence follows the apology.
    assert "(630) 555-0100" in first.texts[-1]
    for message in ("how much does it cost?", "thanks", RED_FLAG):
        turn = chat.say(message)
        assert turn.texts and all(text.strip() for text in turn.texts), f"{message!r} got no answer"
    assert tuple(turn.responses[: len(SAFETY_REPLY)]) == SAFETY_REPLY


def test_a_stuck_conversation_is_logged_without_identifying_anyone(tripping_servers: AssistantServers) -> None:
    chat = RecordedChat(tripping_servers)
    chat.say("hello, I'm Dana Whitfield")
    recovered = [
        line for line in (tripping_servers.state_dir / "rasa.log").read_text().splitlines() if "resumed" in line
    ]
    assert recovered
    assert not [line for line in recovered if chat.sender in line or "Dana" in line]


def test_a_form_the_policy_gave_up_on_asks_again_next_time() -> None:
    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "someone",
        [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("book", {"name": "book_appointment", "confidence": 1.0}),
            ActionExecuted("booking_form"),
            ActiveLoop("booking_form"),
            SlotSet("requested_slot", "visitor_name"),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("does it hurt?", {"name": "faq", "confidence": 1.0}),
            ActionExecutionRejected("booking_form"),
            ActionExecuted("utter_default"),
        ],
        domain.slots,
    )
    assert tracker.is_active_loop_rejected
    resume_listening(tracker)
    assert tracker.latest_action_name == ACTION_LISTEN_NAME
    assert tracker.active_loop_name == "booking_form" and not tracker.is_active_loop_rejected
    assert tracker.get_slot("requested_slot") == "visitor_name"


@pytest.fixture(scope="module")
def servers_without_actions(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    overrides = {"CLINIC_DATA_FILE": str(FIXTURE_CLINIC), "FIXED_TIME": OPEN_TIME}
    with start_assistant(model_path, tmp_path_factory.mktemp("no-actions"), overrides) as running:
        running.actions.stop()
        yield running


def test_with_the_action_server_down_a_red_flag_still_gets_the_whole_safety_reply(
    servers_without_actions: AssistantServers,
) -> None:
    chat = RecordedChat(servers_without_actions)
    turn = chat.say(RED_FLAG)
    safety = turn.texts[: len(SAFETY_REPLY)]
    assert "911" in " ".join(safety)
    # The clinic's numbers come from the clinic file even though the session
    # start (an action server action) could not run.
    assert "(630) 555-0100" in safety[-1] and "None" not in safety
    assert all(text.strip() and text != "None" for text in turn.texts)
    later = chat.say("how much does it cost?")
    assert later.texts and not [text for text in later.texts if "None" in text]
