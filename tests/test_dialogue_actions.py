"""Session start and fallback actions, with real Trackers and dispatchers."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.fallback import ActionCheckRepeatedMisunderstanding
from actions.session import ActionSessionStart
from settings import get_settings
from tests.support.trackers import bot_action, tracker_with, user_event

FIXTURE = Path(__file__).parent / "fixtures" / "clinic_complete.yml"


@pytest.fixture
def fixture_clinic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINIC_DATA_FILE", str(FIXTURE))
    get_settings.cache_clear()
    runtime.clinic_source.cache_clear()
    yield
    get_settings.cache_clear()
    runtime.clinic_source.cache_clear()


async def test_session_start_fills_clinic_slots_from_the_clinic_file(fixture_clinic: None) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker_with([]), {})
    assert events[0] == {"event": "session_started", "timestamp": None}
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["clinic_name"] == "Test Skin Clinic"
    assert "(630) 555-0100" in slots["clinic_contact"]
    assert "(630) 555-0199" in slots["clinic_urgent_contact"]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("intents", "repeated"),
    [
        (["nlu_fallback"], False),
        (["greet", "nlu_fallback"], False),
        (["nlu_fallback", "nlu_fallback"], True),
        (["nlu_fallback", "faq", "nlu_fallback"], False),
        (["nlu_fallback", "nlu_fallback", "nlu_fallback"], True),
    ],
)
async def test_repeated_misunderstanding_counts_consecutive_misses(intents: list, repeated: bool) -> None:
    events = []
    for index, intent in enumerate(intents):
        events += [user_event(f"message {index}", intent), bot_action("action_listen")]
    result = await ActionCheckRepeatedMisunderstanding().run(CollectingDispatcher(), tracker_with(events[:-1]), {})
    assert result == [{"event": "slot", "timestamp": None, "name": "repeated_misunderstanding", "value": repeated}]
