"""Starts each conversation with the clinic's current details in slots."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import clinic_template_values


class ActionSessionStart(Action):
    """Fills the {clinic_...} slots that responses use, from the clinic data file.

    Responses such as utter_faq/hours read these slots, so the FAQ answers stay
    plain Rasa responses while the facts come from clinic/clinic.yml. Every new
    session reads the file again, so staff edits reach new conversations
    without retraining.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        events.extend(SlotSet(name, value) for name, value in clinic_template_values().items())
        events.append(ActionExecuted("action_listen"))
        return events
