"""Forgetting what a visitor typed once their request is sent (or dropped).

After action_submit_booking or action_submit_callback has stored a request
(or the visitor stopped, or declined to be contacted), the action clears
the detail slots, but the conversation store still holds every message the
visitor typed and every slot value the form set. The Rasa server's tracker
store (stores.py) rewrites the stored conversation at the end of that turn:

* every visitor and bot message from the message that opened the form to
  the end (answers, corrections, the summary read back, the confirmation
  naming the contact);
* any other message of the conversation that names one of the visitor's
  details (the name, contact, town, concern or reason the form stored) or
  holds a phone number or an email address (the forms' own validators find
  them), and the assistant's replies to such a message;
* the values of the detail slots, in every event that set them.

Messages become REDACTED_TEXT (their intent stays, so the dialogue reads the
same); entities are emptied, and so are the values a bot message's response
was filled with. Rasa's action server cannot do this: it sees
the conversation, it cannot rewrite the stored past.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence, Set

from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from actions.booking import ActionSubmitBooking
from actions.handoff import ActionSubmitCallback
from actions.visitor_details import find_contact
from actions.visitor_forms import VISITOR_DETAIL_SLOTS, ActionStopRequest

REDACTED_TEXT = "[removed for privacy]"
# Actions after which, when they clear the details, the details are forgotten.
FORGETTING_ACTIONS = frozenset(
    action().name() for action in (ActionSubmitBooking, ActionSubmitCallback, ActionStopRequest)
)
# Detail slots whose values say who the visitor is or what they told about
# themselves; other messages naming them are redacted too (a clinic's name or
# a yes/no is not looked for elsewhere).
IDENTIFYING_SLOTS = ("visitor_name", "visitor_contact", "visitor_location", "treatment_interest", "callback_reason")
# What a bot message's stored metadata may keep; the rest are the values its
# response was filled with (the contact, the town, ...).
_BOT_METADATA_KEPT = frozenset({"utter_action", "template", "model_id", "assistant_id"})
# Stored values shorter than this are not looked for in other messages.
_MIN_DETAIL_CHARACTERS = 3


def forgets_visitor_details(events: Sequence[Event]) -> bool:
    """Whether the last turn (the events since the visitor's last message) ran
    one of FORGETTING_ACTIONS and that action cleared the visitor's details."""
    turn: List[Event] = []
    for event in reversed(events):
        if isinstance(event, UserUttered):
            break
        turn.append(event)
    ran = False
    for event in reversed(turn):
        if isinstance(event, ActionExecuted) and event.action_name in FORGETTING_ACTIONS:
            ran = True
        elif ran and isinstance(event, SlotSet) and event.key in VISITOR_DETAIL_SLOTS and event.value is None:
            return True
    return False


def _details(events: Sequence[Dict[str, Any]]) -> Set[str]:
    """The text values the identifying slots held, lowercased."""
    return {
        str(event["value"]).lower()
        for event in events
        if event.get("event") == "slot"
        and event.get("name") in IDENTIFYING_SLOTS
        and isinstance(event.get("value"), str)
        and len(event["value"].strip()) >= _MIN_DETAIL_CHARACTERS
    }


def _names_a_detail(text: str, details: Set[str]) -> bool:
    lowered = text.lower()
    return any(detail in lowered for detail in details) or find_contact(text) is not None


def _start_of_last_form(events: Sequence[Dict[str, Any]]) -> int:
    """The position of the visitor message that opened the last form run (len
    when no form ran). Rasa records the form's activation again after each
    interruption, so the run starts after the deactivation before it."""
    loops = [(at, event.get("name")) for at, event in enumerate(events) if event.get("event") == "active_loop"]
    if not any(name for _, name in loops):
        return len(events)
    last_active = max(position for position, name in loops if name)
    ended_before = max((position for position, name in loops if not name and position < last_active), default=-1)
    first_active = min(position for position, name in loops if name and position > ended_before)
    for before in range(first_active, -1, -1):
        if events[before].get("event") == "user":
            return before
    return first_active


def _redact_message(event: Dict[str, Any]) -> None:
    event["text"] = REDACTED_TEXT
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict):
        parse_data["text"] = REDACTED_TEXT
        parse_data["entities"] = []
    metadata = event.get("metadata")
    if event.get("event") == "bot" and isinstance(metadata, dict):
        event["metadata"] = {key: value for key, value in metadata.items() if key in _BOT_METADATA_KEPT}


def redact_events(events: List[Dict[str, Any]]) -> List[int]:
    """Redact, in place, the stored events of a conversation (oldest first) as
    the module docstring says; the positions of the events changed."""
    details = _details(events)
    form_start = _start_of_last_form(events)
    changed = []
    # The replies to a redacted message may echo it ("the closer clinic to <town>").
    turn_redacted = False
    for position, event in enumerate(events):
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text") and event["text"] != REDACTED_TEXT:
            said = f"{event['text']} {json.dumps(event.get('metadata') or {})}"
            redact = position >= form_start or _names_a_detail(said, details)
            if kind == "user":
                turn_redacted = redact
            if redact or turn_redacted:
                _redact_message(event)
                changed.append(position)
        elif kind == "slot" and event.get("name") in VISITOR_DETAIL_SLOTS and event.get("value") is not None:
            event["value"] = None
            changed.append(position)
    return changed
