"""Hand-off to staff: the clinic's number, and a callback request that goes
through the same outbox as bookings, with a summary of the conversation."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import current_clinic, now
from actions.visitor_forms import VisitorFormValidation, clear_visitor_details
from actions.visitor_requests import submit_request, verified_free_text


class ActionStartHandoff(Action):
    """Says whether the team is in right now and how to reach them, before the callback form."""

    def name(self) -> str:
        return "action_start_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        is_open = current_clinic().is_open(now())
        response = {True: "utter_handoff_open", False: "utter_handoff_closed", None: "utter_handoff_start"}[is_open]
        dispatcher.utter_message(response=response)
        return []


class ValidateHandoffForm(VisitorFormValidation):
    """Reads and checks the callback request's answers."""

    def name(self) -> str:
        return "validate_handoff_form"

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.free_text("callback_time", value, dispatcher, "utter_invalid_callback_time")

    def validate_callback_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.free_text("callback_reason", value, dispatcher, "utter_invalid_callback_reason")

    def validate_callback_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.yes_no("callback_confirmed", tracker, dispatcher)


class ActionSubmitCallback(Action):
    """Stores the callback request in the outbox and gives the reference code."""

    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if tracker.get_slot("callback_confirmed") is not True:
            dispatcher.utter_message(response="utter_request_stopped")
            return clear_visitor_details()

        def details() -> Dict[str, Any]:
            return {
                "callback": {
                    "best_time": verified_free_text(tracker, "callback_time"),
                    "reason": verified_free_text(tracker, "callback_reason"),
                },
                "contact_consent": True,
            }

        return submit_request(
            dispatcher, tracker, "callback", "handoff_form", "callback_confirmed", details, "utter_callback_saved"
        )
