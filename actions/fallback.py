"""Counts misunderstood messages for the two-stage fallback rules."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

LOW_CONFIDENCE_INTENT = "nlu_fallback"


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != LOW_CONFIDENCE_INTENT:
            break
        misses += 1
    return misses


class ActionCheckRepeatedMisunderstanding(Action):
    """Sets `repeated_misunderstanding` so the rules can ask to rephrase once, then offer a person."""

    def name(self) -> str:
        return "action_check_repeated_misunderstanding"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return [SlotSet("repeated_misunderstanding", consecutive_misses(tracker) >= 2)]
