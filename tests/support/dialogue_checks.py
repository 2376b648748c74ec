"""Reading a turn of a running conversation and checking it against the dialogue table.

The responses of a turn are read from the stored conversation (each bot
message records the response it came from), so checks never depend on the
wording of a reply. Used by tests/test_dialogue_table.py and the
conversation fuzzer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Set

from tests.support.dialogue_table import ask_action
from tests.support.project_data import domain, faq_responses
from tests.support.servers import AssistantServers

SAFETY_REPLY = ("utter_urgent_symptom", "utter_urgent_call_clinic", "utter_urgent_contact")
HANDOFF_OPENINGS = {"utter_handoff_open", "utter_handoff_closed", "utter_handoff_start"}
PLACE_ANSWERS = {
    "utter_nearest_clinic",
    "utter_far_from_clinics",
    "utter_ambiguous_place",
    "utter_unknown_place",
    "utter_anything_else",
}
# Messages between two or three topics. Which of them the model is unsure
# about, and which topics it then offers, change with the training data, so
# the tests try them in this order and use the first that makes the
# assistant offer an FAQ topic: a few fragments, then every pair of words
# from different topics ("pain insurance", "downtime parking", ...).
_TOPIC_WORDS = ("price", "pain", "downtime", "insurance", "sessions", "numbing", "parking", "results", "sun", "age")
BETWEEN_TOPICS = (
    "talk price",
    "consult price book",
    "appointment cost",
    "cost of the consultation booking",
    *(f"{first} {second}" for first in _TOPIC_WORDS for second in _TOPIC_WORDS if first != second),
)
# Reply groups of docs/dialogue/table.yml -> the responses each accepts.
REPLY_GROUPS: Dict[str, Set[str]] = {
    "handoff_opening": HANDOFF_OPENINGS,
    "topics_or_rephrase": {"utter_did_you_mean", "utter_ask_rephrase"},
    "topics_or_not_understood": {"utter_did_you_mean_in_form", "utter_not_understood_in_form"},
    "nearest_clinic_or_anything_else": PLACE_ANSWERS,
}
# Replies that end with the form's question after any checking messages,
# or with the form's end when the answer finishes it.
FORM_CONTINUES = {"next_question", "answer_checked"}
FORM_ENDINGS = {"utter_consent_declined", "utter_booking_saved", "utter_callback_saved", "utter_request_stopped"}


@dataclass(frozen=True)
class FormState:
    """Which form is running and which question it asked (None: no form)."""

    form: Optional[str]
    requested_slot: Optional[str]

    @property
    def question(self) -> Optional[str]:
        """The response the form asks its current question with."""
        if not self.form or not self.requested_slot:
            return None
        asked = ask_action(self.form, self.requested_slot)
        return asked.replace("action_ask_", "utter_ask_", 1)


@dataclass(frozen=True)
class Turn:
    """One visitor message and what the assistant did with it."""

    text: str
    intent: str
    responses: List[str]
    buttons: List[Dict[str, Any]]
    after: FormState
    # What the channel sent back (REST): each message's text, in order.
    texts: List[str] = field(default_factory=list)


def form_state(tracker: Dict[str, Any]) -> FormState:
    loop = (tracker.get("active_loop") or {}).get("name")
    return FormState(loop or None, (tracker.get("slots") or {}).get("requested_slot") if loop else None)


def latest_turn(tracker: Dict[str, Any]) -> Turn:
    """The last visitor message of a stored conversation and the responses after it."""
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    user = events[last_user] if last_user >= 0 else {}
    bots = [e for e in events[last_user + 1 :] if e.get("event") == "bot"]
    buttons = (bots[-1].get("data") or {}).get("buttons") or [] if bots else []
    return Turn(
        text=user.get("text") or "",
        intent=((user.get("parse_data") or {}).get("intent") or {}).get("name") or "",
        responses=[(e.get("metadata") or {}).get("utter_action") or "" for e in bots],
        buttons=list(buttons),
        after=form_state(tracker),
    )


def accepted(symbol: str, before: FormState) -> List[Set[str]]:
    """The responses a table reply stands for, one set per message."""
    if symbol == "safety_reply":
        return [{name} for name in SAFETY_REPLY]
    if symbol == "faq_answer":
        return [{f"utter_faq/{key}" for key in faq_keys()}]
    if symbol == "question":
        return [{before.question or "?"}]
    if symbol in REPLY_GROUPS:
        return [REPLY_GROUPS[symbol]]
    return [{symbol}]


def faq_keys() -> List[str]:
    return list(faq_responses())


def mismatch(expected: Sequence[str], turn: Turn, before: FormState) -> Optional[str]:
    """Why the turn's responses are not what the table expects, or None."""
    fixed = [names for symbol in expected if symbol not in FORM_CONTINUES for names in accepted(symbol, before)]
    continues = bool(expected) and expected[-1] in FORM_CONTINUES
    responses = turn.responses
    if continues:
        if len(responses) < len(fixed) + 1:
            return f"expected {list(expected)}, got {responses}"
        ended = turn.after.form is None and responses[-1] in FORM_ENDINGS
        if responses[-1] != turn.after.question and not ended:
            return f"expected the form's question {turn.after.question} last, got {responses}"
        responses = responses[: len(fixed)]
    elif len(responses) != len(fixed):
        return f"expected {list(expected)}, got {responses}"
    for names, response in zip(fixed, responses, strict=True):
        if response not in names:
            return f"expected {list(expected)}, got {responses} ({response} is not one of {sorted(names)[:4]})"
    return None


def known_response(name: str) -> bool:
    """Whether `name` is a response of the domain or an FAQ answer."""
    return name in domain()["responses"] or name.removeprefix("utter_faq/") in faq_keys()


class RecordedChat:
    """One conversation, read back from the conversation store after each message."""

    def __init__(self, servers: AssistantServers, sender: str = "") -> None:
        self.servers = servers
        self.sender = sender or f"visitor-{uuid.uuid4().hex}"
        self.turn: Optional[Turn] = None

    def say(self, text: str) -> Turn:
        sent = self.servers.send(self.sender, text)
        turn = latest_turn(self.servers.tracker(self.sender))
        self.turn = replace(turn, texts=[str(message.get("text") or "") for message in sent])
        return self.turn

    def state(self) -> FormState:
        return form_state(self.servers.tracker(self.sender))

    def click(self, title: str) -> Turn:
        assert self.turn and self.turn.buttons, f"no buttons offered: {self.turn}"
        button = next((b for b in self.turn.buttons if b["title"] == title), None)
        assert button, f"no button {title!r} in {self.turn.buttons}"
        return self.say(button["payload"])
