"""What the booking and hand-off forms share: reading answers, corrections,
re-asking kindly, offering a person after repeated misses, and stopping.

Every form slot uses a `custom` mapping, so this module decides what a
message means for the form: an answer to the question asked, a correction
of an earlier answer ("actually my number is ..."), or an interruption (an
FAQ question, "stop", an urgent symptom) that the dialogue rules handle
before the form asks again.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.runtime import current_clinic
from actions.visitor_details import (
    ContactDetail,
    clean_free_text,
    find_contact,
    find_name,
    looks_like_phone_attempt,
    looks_like_question,
    yes_or_no,
)

logger = logging.getLogger(__name__)

# Messages with these intents are never taken as an answer to a question;
# data/rules/booking.yml and handoff.yml answer each one, then the form asks
# its question again.
ALWAYS_INTERRUPTIONS = frozenset(
    {"stop", "urgent_symptom", "human_handoff", "book_appointment", "bot_challenge", "goodbye", "greet", "thank"}
)
# Requests and small talk that can carry the answer asked for: "call me
# Beth" (a name), "yes you can contact me" (a yes), "hi, it's Dana". When the
# message holds a well-formed answer to the question, it is the answer.
MAY_CARRY_AN_ANSWER = frozenset({"human_handoff", "book_appointment", "greet", "thank"})
YES_OR_NO_SLOTS = frozenset({"contact_consent", "booking_confirmed", "callback_confirmed"})
# These interrupt only when phrased as a question: "boxcar scars on my cheeks"
# may be classified as an FAQ, and "Xochitl Nguyen" may not be understood at
# all, but each is still the answer to the question asked.
QUESTION_INTERRUPTIONS = frozenset({"faq", "out_of_scope", "nlu_fallback"})
MISSES_BEFORE_OFFERING_A_PERSON = 3
MISS_COUNTER_SLOT = "invalid_answers"
VISITOR_DETAIL_SLOTS = (
    "visitor_name",
    "visitor_contact",
    "preferred_clinic",
    "visitor_location",
    "wants_nearest_clinic",
    "preferred_times",
    "treatment_interest",
    "contact_consent",
    "booking_confirmed",
    "callback_time",
    "callback_reason",
    "callback_confirmed",
    MISS_COUNTER_SLOT,
)
_EXPLICIT_NAME_CORRECTION = re.compile(r"\bmy (?:full )?name(?:'s| is)\b", re.IGNORECASE)
_CLINIC_CHANGE = re.compile(r"\b(instead|actually|rather|change|switch|prefer)\b", re.IGNORECASE)


def latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def clinic_from_words(text: str) -> Optional[str]:
    """The clinic location named in `text` ('orland park please'), by name."""
    lowered = text.lower()
    for location in current_clinic().locations:
        if location.name.lower() in lowered or location.name.lower().replace(" ", "") in lowered:
            return location.name
    return None


def answer_as_yes_no(tracker: Tracker) -> Optional[bool]:
    """A yes/no answer from the intent (buttons, 'yep') or the words."""
    intent = latest_intent(tracker)
    if intent == "affirm":
        return True
    if intent in {"deny", "stop"}:
        return False
    return yes_or_no(latest_text(tracker))


def is_correction(tracker: Tracker, slot: str, value: Any) -> bool:
    """Whether `value` changes an answer given earlier, not the one asked for now.

    A form that starts with details already known (a callback request after
    a booking was begun) validates them again unchanged: that is no correction.
    """
    return tracker.get_slot(REQUESTED_SLOT) != slot and tracker.get_slot(slot) != value


class VisitorFormValidation(FormValidationAction, ABC):
    """Extraction and validation shared by the booking and hand-off forms."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>, as Rasa calls it."""

    def is_interruption(self, tracker: Tracker) -> bool:
        """Whether the latest message is not an answer to the question asked."""
        intent, text = latest_intent(tracker), latest_text(tracker)
        if intent in MAY_CARRY_AN_ANSWER and not looks_like_question(text):
            return not self.holds_an_answer(tracker.get_slot(REQUESTED_SLOT), text)
        if intent in ALWAYS_INTERRUPTIONS:
            return True
        return intent in QUESTION_INTERRUPTIONS and looks_like_question(text)

    def holds_an_answer(self, slot: Optional[str], text: str) -> bool:
        """Whether `text` holds a well-formed answer to `slot`: a name, a phone
        number or email, a clear yes or no. Free-text questions (which days,
        what to treat) would take anything, so they never count here."""
        if slot == "visitor_name":
            return find_name(text) is not None
        if slot == "visitor_contact":
            return find_contact(text) is not None
        if slot in YES_OR_NO_SLOTS:
            return yes_or_no(text) is not None
        return False

    def corrections(self, text: str, requested: Optional[str], tracker: Tracker) -> Dict[str, Any]:
        """Earlier answers the visitor changes in passing ('actually my number is ...')."""
        found: Dict[str, Any] = {}
        if requested != "visitor_contact" and tracker.get_slot("visitor_contact") and find_contact(text):
            found["visitor_contact"] = text
        if requested != "visitor_name" and _EXPLICIT_NAME_CORRECTION.search(text) and find_name(text):
            found["visitor_name"] = text
        if (
            requested != "preferred_clinic"
            and tracker.get_slot("preferred_clinic")
            and _CLINIC_CHANGE.search(text)
            and clinic_from_words(text)
        ):
            found["preferred_clinic"] = text
        return found

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Turn the latest message into slot candidates for the validate_ methods."""
        if self.is_interruption(tracker) and latest_intent(tracker) in ALWAYS_INTERRUPTIONS:
            return []
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        text = latest_text(tracker)
        corrections = {
            slot: value for slot, value in self.corrections(text, requested, tracker).items() if slot in required
        }
        if corrections:
            return [SlotSet(slot, value) for slot, value in corrections.items()]
        if requested in required and not self.is_interruption(tracker):
            return [SlotSet(requested, text)]
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        events = await super().run(dispatcher, tracker, domain)
        answered = [e for e in events if e.get("event") == "slot" and e.get("name") == requested]
        next_requested = [
            e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT
        ]
        moved_on = bool(next_requested) and next_requested[-1] != requested
        if not answered:
            return events
        # A clear "no" to the summary is understood (the form asks what to
        # change), not a miss that leads to offering a person.
        declined_summary = requested in YES_OR_NO_SLOTS and answer_as_yes_no(tracker) is False
        if answered[-1].get("value") is not None or moved_on or declined_summary:
            return [*events, SlotSet(MISS_COUNTER_SLOT, 0.0)]
        misses = int(tracker.get_slot(MISS_COUNTER_SLOT) or 0) + 1
        if misses >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_offer_person_in_form")
            misses = 0
        return [*events, SlotSet(MISS_COUNTER_SLOT, float(misses))]

    # Validators for slots both forms ask. Each returns the normalised value, or
    # None after telling the visitor what is needed, so the form asks again.

    def validate_visitor_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        name = find_name(str(value))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_visitor_name")
        elif is_correction(tracker, "visitor_name", name):
            dispatcher.utter_message(response="utter_detail_updated", detail="name")
        return {"visitor_name": name}

    def validate_visitor_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        contact: Optional[ContactDetail] = find_contact(str(value))
        if contact is None:
            if looks_like_phone_attempt(str(value)):
                dispatcher.utter_message(response="utter_invalid_phone_number")
            else:
                dispatcher.utter_message(response="utter_invalid_visitor_contact")
            return {"visitor_contact": None}
        if is_correction(tracker, "visitor_contact", contact.readable):
            dispatcher.utter_message(response="utter_detail_updated", detail="contact details")
        return {"visitor_contact": contact.readable}

    def free_text(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, invalid_response: str
    ) -> Dict[str, Any]:
        cleaned = clean_free_text(str(value))
        if cleaned is None:
            dispatcher.utter_message(response=invalid_response)
        return {slot: cleaned}

    def yes_no(self, slot: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
        answer = answer_as_yes_no(tracker)
        if answer is None:
            dispatcher.utter_message(response="utter_please_answer_yes_or_no")
        return {slot: answer}


class ActionStopRequest(Action):
    """Stops the booking or hand-off form, forgets its answers, sends nothing."""

    def name(self) -> str:
        return "action_stop_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_request_stopped")
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *clear_visitor_details()]


def clear_visitor_details() -> List[EventType]:
    """Forget every personal detail collected by the forms."""
    return [SlotSet(slot, None) for slot in VISITOR_DETAIL_SLOTS]
