"""The consultation booking form and its hand-off to the clinic."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clinic_locator import clinic_coordinates, describe_nearest
from actions.clinic_sentences import chosen_clinic_values
from actions.geocoder import find_place
from actions.runtime import current_clinic
from actions.visitor_forms import (
    VisitorFormValidation,
    answer_as_yes_no,
    clear_visitor_details,
    clinic_from_words,
    is_correction,
    latest_text,
)
from actions.visitor_requests import submit_request, verified_clinic, verified_free_text

_NEAREST = re.compile(
    r"\b(clos\w*|near\w*|either|any|whichever|doesn'?t matter|don'?t mind|no preference|not sure)\b",
    re.IGNORECASE,
)
# Words in "no, change ..." that say which detail to ask again.
_DETAIL_WORDS = {
    "visitor_name": re.compile(r"\bname\b", re.IGNORECASE),
    "visitor_contact": re.compile(r"\b(contact|phone|number|email|e-mail)\b", re.IGNORECASE),
    "preferred_clinic": re.compile(r"\b(clinic|location|office)\b", re.IGNORECASE),
    "preferred_times": re.compile(r"\b(time|times|day|days|when)\b", re.IGNORECASE),
    "treatment_interest": re.compile(r"\b(treat\w*|scar\w*|concern)\b", re.IGNORECASE),
}
# "No, don't contact me" at the summary refuses contact: it does not name the
# contact details as the detail to change.
_REFUSES_CONTACT = re.compile(r"\b(don'?t|do not|never)\s+(contact|call|phone|email|e-mail|text)\b", re.IGNORECASE)


class ValidateBookingForm(VisitorFormValidation):
    """Reads and checks each booking answer; asks for a town when 'whichever is closer'."""

    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        slots = list(domain_slots)
        if tracker.get_slot("wants_nearest_clinic") and not tracker.get_slot("preferred_clinic"):
            slots.insert(slots.index("preferred_clinic"), "visitor_location")
        if tracker.get_slot("contact_consent") is False:
            # No permission to contact: the form ends and nothing is sent.
            slots.remove("booking_confirmed")
        return slots

    def holds_an_answer(self, slot: Optional[str], text: str) -> bool:
        if slot == "preferred_clinic":
            return bool(clinic_from_words(text) or _NEAREST.search(text))
        if slot == "visitor_location":
            return find_place(text, near=clinic_coordinates()).place is not None
        return super().holds_an_answer(slot, text)

    def validate_preferred_clinic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = str(value)
        named = clinic_from_words(text)
        if named:
            if is_correction(tracker, "preferred_clinic", named):
                dispatcher.utter_message(response="utter_detail_updated", detail="clinic")
            return {
                "preferred_clinic": named,
                "wants_nearest_clinic": False,
                "visitor_location": None,
                **chosen_clinic_values(current_clinic(), named),
            }
        lookup = find_place(text, near=clinic_coordinates())
        if lookup.place or lookup.is_ambiguous:
            chosen = describe_nearest(dispatcher, lookup)
            return {**(chosen or {"preferred_clinic": None}), "wants_nearest_clinic": True}
        if _NEAREST.search(text):
            return {"preferred_clinic": None, "wants_nearest_clinic": True}
        dispatcher.utter_message(response="utter_invalid_preferred_clinic")
        return {"preferred_clinic": None}

    def validate_visitor_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        named = clinic_from_words(str(value))
        if named:
            return {
                "preferred_clinic": named,
                "wants_nearest_clinic": False,
                "visitor_location": None,
                **chosen_clinic_values(current_clinic(), named),
            }
        return describe_nearest(dispatcher, find_place(str(value), near=clinic_coordinates())) or {
            "visitor_location": None
        }

    def validate_preferred_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.free_text("preferred_times", value, dispatcher, "utter_invalid_preferred_times")

    def validate_treatment_interest(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.free_text("treatment_interest", value, dispatcher, "utter_invalid_treatment_interest")

    def validate_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.yes_no("contact_consent", tracker, dispatcher)

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        answer = answer_as_yes_no(tracker)
        if answer is True:
            return {"booking_confirmed": True}
        text = latest_text(tracker)
        named = [slot for slot, words in _DETAIL_WORDS.items() if words.search(text)]
        to_change = [] if _REFUSES_CONTACT.search(text) else named
        if to_change:
            # Ask that detail again, then show the summary again.
            cleared: Dict[str, Any] = {slot: None for slot in to_change}
            if "preferred_clinic" in to_change:
                cleared.update(wants_nearest_clinic=False, visitor_location=None)
            return {**cleared, "booking_confirmed": None}
        dispatcher.utter_message(
            response="utter_which_detail_to_change" if answer is False else "utter_please_answer_yes_or_no"
        )
        return {"booking_confirmed": None}


class ActionAskPreferredClinic(Action):
    """Asks which clinic suits the visitor, with one button per location."""

    def name(self) -> str:
        return "action_ask_preferred_clinic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        locations = current_clinic().locations
        buttons = [{"title": loc.name, "payload": loc.name} for loc in locations]
        buttons.append({"title": "Whichever is closer", "payload": "whichever is closer"})
        dispatcher.utter_message(
            response="utter_ask_preferred_clinic",
            buttons=buttons,
            clinic_choices=" or ".join(loc.name for loc in locations),
        )
        return []


class ActionSubmitBooking(Action):
    """Stores the confirmed booking in the outbox and gives the reference code."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if tracker.get_slot("contact_consent") is not True or tracker.get_slot("booking_confirmed") is not True:
            dispatcher.utter_message(response="utter_consent_declined")
            return clear_visitor_details()

        def details() -> Dict[str, Any]:
            return {
                "clinic": verified_clinic(tracker),
                "visitor_location": verified_free_text(tracker, "visitor_location", required=False),
                "preferred_times": verified_free_text(tracker, "preferred_times"),
                "treatment_interest": verified_free_text(tracker, "treatment_interest"),
                "contact_consent": True,
            }

        return submit_request(
            dispatcher, tracker, "consultation_booking", "booking_form", "booking_confirmed", details,
            "utter_booking_saved",
        )  # fmt: skip
