"""Builds and stores the requests staff receive (bookings and callbacks).

The payload is the documented webhook body (README "Booking webhook"): the
visitor's details, what they asked for, and a short summary of the
conversation so staff do not have to ask again.

Nothing is stored on the slots' word alone: the form must have run in this
conversation and ended with the visitor's confirmation, and every detail is
checked again with the validator the form used when the visitor typed it
(a hand-made action call or conversation cannot store a request).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.outbox import StoredRequest
from actions.runtime import current_clinic, outbox
from actions.visitor_details import clean_free_text, find_contact, find_email, find_name, find_phone
from actions.visitor_forms import clear_visitor_details

logger = logging.getLogger(__name__)

SCHEMA = "clinic-assistant.visitor-request.v1"
RECENT_MESSAGES_IN_SUMMARY = 6


def contact_fields(readable_contact: str) -> Dict[str, Optional[str]]:
    """{'phone': E.164 or None, 'email': ... or None} from the stored contact."""
    email = find_email(readable_contact)
    return {"phone": None if email else find_phone(readable_contact), "email": email}


def conversation_summary(tracker: Tracker) -> Dict[str, Any]:
    """What the visitor asked about, whether they reported an urgent symptom,
    and their last few messages outside the forms (the form answers are in
    the request already)."""
    topics: List[str] = []
    urgent = False
    messages: List[str] = []
    in_form = False
    for event in tracker.events:
        if event.get("event") == "active_loop":
            in_form = bool(event.get("name"))
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent == "faq":
            key = (((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}).get(
                "intent_response_key"
            )
            if key and key.split("/", 1)[-1] not in topics:
                topics.append(key.split("/", 1)[-1])
        urgent = urgent or intent == "urgent_symptom"
        text = (event.get("text") or "").strip()
        if text and not text.startswith("/") and not in_form:
            messages.append(text[:200])
    return {
        "faq_topics_asked": topics,
        "reported_urgent_symptom": urgent,
        "recent_messages": messages[-RECENT_MESSAGES_IN_SUMMARY:],
    }


def clinic_reference(location_name: Optional[str]) -> Optional[Dict[str, str]]:
    for location in current_clinic().locations:
        if location.name == location_name:
            return {"id": location.id, "name": location.name}
    return None


class UnverifiedRequestError(ValueError):
    """The conversation does not show a request the visitor made and confirmed."""


def form_completed(tracker: Tracker, form: str, confirmation_slot: str) -> bool:
    """Whether `form` ran in this conversation, the visitor answered it, and it
    ended with `confirmation_slot` set to True by the form."""
    active = confirmed = completed = False
    answers = 0
    for event in tracker.events:
        kind = event.get("event")
        if kind == "active_loop":
            if event.get("name") == form:
                active, confirmed, completed, answers = True, False, False, 0
            elif event.get("name") is None:
                completed = active and confirmed and answers > 0
                active = False
        elif active and kind == "user":
            answers += 1
        elif active and kind == "slot" and event.get("name") == confirmation_slot:
            confirmed = event.get("value") is True
    return completed


def _readable_contact(text: str) -> Optional[str]:
    contact = find_contact(text)
    return contact.readable if contact else None


def verified_slot(tracker: Tracker, slot: str, check: Callable[[str], Optional[str]], required: bool = True) -> Any:
    """The slot's value as `check` (the form's own validator) reads it again."""
    value = tracker.get_slot(slot)
    if value is None and not required:
        return None
    checked = check(value) if isinstance(value, str) else None
    if checked is None:
        raise UnverifiedRequestError(f"{slot} is missing or not what its form accepts")
    return checked


def verified_free_text(tracker: Tracker, slot: str, required: bool = True) -> Optional[str]:
    return verified_slot(tracker, slot, clean_free_text, required)


def verified_clinic(tracker: Tracker) -> Dict[str, str]:
    clinic = clinic_reference(tracker.get_slot("preferred_clinic"))
    if clinic is None:
        raise UnverifiedRequestError("preferred_clinic is not one of the clinic's locations")
    return clinic


def submit_request(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    kind: str,
    form: str,
    confirmation_slot: str,
    details: Callable[[], Dict[str, Any]],
    saved_response: str,
) -> List[EventType]:
    """Store the request, give the visitor its reference, forget their details.

    `details()` builds the request's own fields from verified slots. If the
    conversation does not show the completed form, or a detail fails its
    check, nothing is stored. If it cannot be stored the visitor is told, and
    the details stay in the conversation so that asking again submits them
    without retyping.
    """
    try:
        if not form_completed(tracker, form, confirmation_slot):
            raise UnverifiedRequestError(f"{form} was not completed and confirmed in this conversation")
        visitor = {
            "name": verified_slot(tracker, "visitor_name", find_name),
            **contact_fields(verified_slot(tracker, "visitor_contact", _readable_contact)),
        }
        request_details = details()
    except UnverifiedRequestError as error:
        # Only slot and form names: the values are personal.
        logger.warning("Refused to store a %s request: %s", kind, error)
        dispatcher.utter_message(response="utter_request_not_saved")
        return []
    try:
        stored = save_request(kind, tracker, visitor, request_details)
    except Exception:
        logger.exception("Could not store a %s request", kind)
        dispatcher.utter_message(response="utter_request_not_saved")
        return []
    dispatcher.utter_message(
        response=saved_response, reference=stored.reference, contact=tracker.get_slot("visitor_contact")
    )
    return clear_visitor_details()


def save_request(kind: str, tracker: Tracker, visitor: Dict[str, Any], details: Dict[str, Any]) -> StoredRequest:
    """Write the request to the outbox; raises if it could not be stored."""
    payload = {
        "schema": SCHEMA,
        "channel": (tracker.get_latest_input_channel() or "unknown"),
        "visitor": visitor,
        **details,
        "conversation_summary": conversation_summary(tracker),
    }
    stored = outbox().store(kind, payload)
    # Only the reference is logged: names and numbers never reach the logs.
    logger.info("Stored %s request %s", kind, stored.reference)
    return stored
