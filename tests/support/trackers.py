"""Build real rasa_sdk Trackers for action tests."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker


def user_event(text: str, intent: str, confidence: float = 0.95, response_key: Optional[str] = None) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
    }
    if response_key:
        parse_data["response_selector"] = {
            "faq": {"response": {"intent_response_key": response_key, "utter_action": f"utter_{response_key}"}}
        }
    return {"event": "user", "text": text, "parse_data": parse_data}


def bot_action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def completed_form(form: str, confirmation_slot: str, answers: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events of `form` run in a conversation: activated, answered with
    the user events `answers`, confirmed and ended, as Rasa records them."""
    return [
        {"event": "active_loop", "name": form},
        *answers,
        {"event": "slot", "name": confirmation_slot, "value": True},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "active_loop", "name": None},
    ]


def tracker_with(events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None, sender: str = "test") -> Tracker:
    """A tracker whose latest message is the last user event in `events`."""
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )
