"""Session start and fallback actions, with real Trackers and dispatchers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.fallback import ActionOfferTopics, faq_topics, suggestions
from actions.session import ActionSessionStart
from settings import get_settings
from tests.support.project_data import catalogue_faq_keys
from tests.support.trackers import tracker_with

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


def parse_with(intents: Dict[str, float], faq_keys: Dict[str, float]) -> Dict[str, Any]:
    """A parse result as Rasa stores it after the FallbackClassifier declined it."""
    ranking = [{"name": name, "confidence": confidence} for name, confidence in intents.items()]
    return {
        "text": "something unclear",
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, *ranking],
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": f"faq/{key}", "confidence": confidence}
                    for key, confidence in faq_keys.items()
                ]
            }
        },
    }


def test_suggestions_rank_faq_topics_and_requests_by_the_models_belief() -> None:
    parse = parse_with(
        {"faq": 0.6, "book_appointment": 0.3, "greet": 0.1},
        {"recovery_time": 0.5, "session_length": 0.45, "cost": 0.05},
    )
    offered = suggestions(parse, faq_topics())
    assert [s.payload for s in offered] == [
        faq_topics()["recovery_time"]["question"],
        "/book_appointment",
        faq_topics()["session_length"]["question"],
    ]


def test_messages_in_other_languages_get_no_guesses() -> None:
    parse = parse_with({"faq": 0.9}, {"cost": 0.9})
    # The unreadable-message guard's entry, below the FallbackClassifier's.
    parse["intent_ranking"].insert(1, {"name": "nlu_fallback", "confidence": 1.0})
    assert suggestions(parse, faq_topics()) == []


def test_nothing_likely_means_no_suggestions() -> None:
    parse = parse_with({"faq": 0.2, "out_of_scope": 0.5}, {"cost": 0.3, "hours": 0.3})
    assert suggestions(parse, faq_topics()) == []


async def test_offer_topics_adds_something_else_outside_forms() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with([])
    tracker.latest_message = parse_with({"faq": 0.9}, {"cost": 0.6, "insurance": 0.3})
    await ActionOfferTopics().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["response"] == "utter_did_you_mean"
    assert [b["title"] for b in message["buttons"]] == ["Cost", "Insurance", "Something else"]


async def test_offer_topics_in_a_form_leaves_the_answer_to_the_form() -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with([])
    tracker.active_loop = {"name": "booking_form"}
    tracker.latest_message = parse_with({"faq": 0.9}, {"cost": 0.6})
    await ActionOfferTopics().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_did_you_mean_in_form"]
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Cost"]

    dispatcher = CollectingDispatcher()
    tracker.latest_message = parse_with({"out_of_scope": 0.9}, {})
    await ActionOfferTopics().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_not_understood_in_form"]


def test_every_catalogue_key_has_a_topic_button() -> None:
    assert set(faq_topics()) == set(catalogue_faq_keys())
    assert all(topic["title"] and topic["question"].endswith("?") for topic in faq_topics().values())
