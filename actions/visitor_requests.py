"""Builds and stores the requests staff receive (bookings and callbacks).

The payload is the documented webhook body (README "Booking webhook"): the
visitor's details, what they asked for, and a short summary of the
conversation so staff do not have to ask again.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.outbox import StoredRequest
from actions.runtime import current_clinic, outbox
from actions.visitor_details import find_email, find_phone
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


def submit_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, details: Dict[str, Any], saved_response: str
) -> List[EventType]:
    """Store the request, give the visitor its reference, forget their details.

    If it cannot be stored the visitor is told, and the details stay in the
    conversation so that asking again submits them without retyping.
    """
    try:
        stored = save_request(kind, tracker, details)
    except Exception:
        logger.exception("Could not store a %s request", kind)
        dispatcher.utter_message(response="utter_request_not_saved")
        return []
    dispatcher.utter_message(
        response=saved_response, reference=stored.reference, contact=tracker.get_slot("visitor_contact")
    )
    return clear_visitor_details()


def save_request(kind: str, tracker: Tracker, details: Dict[str, Any]) -> StoredRequest:
    """Write the request to the outbox; raises if it could not be stored."""
    payload = {
        "schema": SCHEMA,
        "channel": (tracker.get_latest_input_channel() or "unknown"),
        "visitor": {
            "name": tracker.get_slot("visitor_name"),
            **contact_fields(tracker.get_slot("visitor_contact") or ""),
        },
        **details,
        "conversation_summary": conversation_summary(tracker),
    }
    stored = outbox().store(kind, payload)
    # Only the reference is logged: names and numbers never reach the logs.
    logger.info("Stored %s request %s", kind, stored.reference)
    return stored
