"""A visitor's details leave the stored conversation once their request is
sent (rasa_extensions/redaction.py, done by the tracker store)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.redaction import REDACTED_TEXT, forgets_visitor_details, redact_events
from rasa_extensions.stores import ConfiguredSQLTrackerStore
from settings import get_settings
from tests.support.conversation import Conversation
from tests.support.databases import outbox_database
from tests.support.project_data import PROJECT_DIR
from tests.support.servers import AssistantServers
from tests.test_booking_conversations import NAME, book_until_summary

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))
# The fixture clinic's own numbers are (630) 555-0100 and -0199: not details.
DETAILS = ("Dana", "Whitfield", "555-0142", "555 0142", "5550142", "dana@example.com", "Naperville", "rolling scars")


def booking_turns(submitted: bool = True) -> List[Any]:
    """A conversation that mentions a phone number, books, and (maybe) sends it."""
    events = [
        UserUttered("hi, text me on 630-555-0142 later", {"name": "greet", "confidence": 0.9}),
        BotUttered("Hi! I'll note 630-555-0142."),
        UserUttered("where are you?", {"name": "faq", "confidence": 0.9}),
        BotUttered("Our Oak Brook clinic is open today."),
        UserUttered("I'd like to book", {"name": "book_appointment", "confidence": 0.9}),
        ActiveLoop("booking_form"),
        BotUttered("What's your name?"),
        UserUttered("Dana Whitfield", {"name": "inform", "confidence": 0.9}),
        SlotSet("visitor_name", "Dana Whitfield"),
        SlotSet("visitor_contact", "(630) 555-0142"),
        SlotSet("treatment_interest", "rolling scars on my cheeks"),
        SlotSet("preferred_clinic", "Oak Brook"),
        BotUttered("Is this right? Dana Whitfield, (630) 555-0142, rolling scars on my cheeks"),
        UserUttered("yes", {"name": "affirm", "confidence": 0.9}),
        SlotSet("booking_confirmed", True),
        ActiveLoop(None),
        ActionExecuted("action_submit_booking"),
        BotUttered(
            "Your reference is REQ-AAAAAA. We'll contact you at (630) 555-0142.",
            metadata={"utter_action": "utter_booking_saved", "contact": "(630) 555-0142"},
        ),
    ]
    if submitted:
        events += [SlotSet("visitor_name", None), SlotSet("visitor_contact", None)]
    return events


def test_the_turn_that_sends_a_request_and_clears_the_details_triggers_it() -> None:
    assert forgets_visitor_details(booking_turns(submitted=True))
    # Not stored (the action told the visitor and kept the details for a retry).
    assert not forgets_visitor_details(booking_turns(submitted=False))
    # A later turn of the same conversation.
    assert not forgets_visitor_details([*booking_turns(), UserUttered("thanks"), BotUttered("You're welcome")])
    stopped = [UserUttered("stop"), ActionExecuted("action_stop_request"), SlotSet("visitor_name", None)]
    assert forgets_visitor_details(stopped)


def test_what_is_redacted_and_what_stays() -> None:
    events: List[Dict[str, Any]] = [event.as_dict() for event in booking_turns()]
    changed = redact_events(events)
    assert changed and redact_events(events) == []  # idempotent
    texts = [event.get("text") for event in events if event["event"] in ("user", "bot")]
    assert texts == [
        REDACTED_TEXT,  # names a phone number, though before the form,
        REDACTED_TEXT,  # and so may the reply to it
        "where are you?",
        "Our Oak Brook clinic is open today.",  # the clinic is not the visitor's detail
        *[REDACTED_TEXT] * 6,  # from the message that opened the form on
    ]
    assert all(event.get("value") is None for event in events if event["event"] == "slot")
    assert [event["parse_data"]["intent"]["name"] for event in events if event["event"] == "user"] == [
        "greet", "faq", "book_appointment", "inform", "affirm",
    ]  # fmt: skip
    assert not [detail for detail in DETAILS if detail in json.dumps(events)]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_the_store_rewrites_the_stored_conversation(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    with outbox_database(kind, tmp_path) as url:
        monkeypatch.setenv("TRACKER_STORE_URL", url)
        get_settings.cache_clear()
        store = ConfiguredSQLTrackerStore(domain=DOMAIN)
        events = booking_turns()
        # Saved in two turns, as Rasa does: the redaction reaches the earlier one.
        await store.save(DialogueStateTracker.from_events("visitor", events[:12], DOMAIN.slots))
        await store.save(DialogueStateTracker.from_events("visitor", events, DOMAIN.slots))
        with store.session_scope() as session:
            stored = [row.data for row in session.query(store.SQLEvent).filter_by(sender_id="visitor")]
        assert len(stored) == len(events)
        assert not [detail for detail in DETAILS if any(detail in data for data in stored)]
        restored = await store.retrieve("visitor")
        assert restored is not None and restored.get_slot("visitor_name") is None
        store.engine.dispose()


def test_a_sent_booking_leaves_no_detail_in_the_conversation(servers: AssistantServers) -> None:
    chat = Conversation(servers)
    chat.say("hi, my email is dana@example.com")
    book_until_summary(chat)
    assert NAME in " ".join(chat.texts)
    chat.say("yes")
    chat.reference()  # stored
    tracker = json.dumps(servers.tracker(chat.sender))
    assert not [detail for detail in DETAILS if detail in tracker]
    database = servers.env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        rows = [data for (data,) in connection.execute("SELECT data FROM events WHERE sender_id = ?", (chat.sender,))]
    assert rows and not [detail for detail in DETAILS if any(detail in data for data in rows)]
    # The conversation goes on.
    chat.say("how long is the recovery?")
    chat.expect("utter_faq/recovery_time")
