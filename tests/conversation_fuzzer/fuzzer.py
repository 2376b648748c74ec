"""Random whole conversations against the running servers, checked on every turn.

A seeded random walk over message kinds and dialogue states: FAQ questions,
bookings and call-back requests started, answered, interrupted at any
question, corrected, confirmed, stopped; buttons clicked; the same message
twice; symptom reports anywhere; long messages. The visitors' words come from
visitor_messages.yml (written independently of the training data and of the
blind test set). Every turn is checked:

* the reply is not empty, and no text is repeated within it;
* no raw `{placeholder}` is shown;
* a red-flag message gets the safety reply first;
* "stop" in a form stops it;
* the turn does what docs/dialogue/table.yml says for that state and kind of
  message (which covers "after an interruption, the form asks its question
  again");
* Rasa's circuit breaker never trips (from the server's log, when the
  fuzzer started the servers).

A failing conversation is reported with its seed and as a Rasa test story.
"""

from __future__ import annotations

import json
import random
import re
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import yaml

from actions.booking import ValidateBookingForm
from actions.handoff import ValidateHandoffForm
from actions.visitor_details import looks_like_question
from actions.visitor_forms import MAY_CARRY_AN_ANSWER
from tests.support.dialogue_checks import (
    SAFETY_REPLY,
    FormState,
    Turn,
    form_state,
    latest_turn,
    mismatch,
)
from tests.support.dialogue_table import DialogueTable, load_table
from tests.support.project_data import blind_examples, normalise, training_examples
from tests.support.servers import AssistantServers

MESSAGES_FILE = Path(__file__).resolve().parent / "visitor_messages.yml"
RAW_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# Messages a form declines only when they are asked as questions
# (actions/visitor_forms.py); stated, they are its answer.
ANSWER_UNLESS_A_QUESTION = {"faq", "out_of_scope", "nlu_fallback"}
SLOT_ANSWERS = {"contact_consent": "yes", "booking_confirmed": "yes", "callback_confirmed": "yes"}
# The states after a bot action that waits for a particular answer.
STATE_AFTER_ACTION = {
    "action_offer_topics": "after_topics_offered",
    "utter_ask_rephrase": "after_rephrase",
    "utter_offer_person": "after_offer_person",
    "utter_bot_challenge": "after_bot_challenge",
}
# How each form reads a request that may carry its answer ("call me Beth").
FORM_VALIDATIONS = {"booking_form": ValidateBookingForm(), "handoff_form": ValidateHandoffForm()}
WIDGET_WEBHOOK = "/webhooks/widget/webhook"
REST_WEBHOOK = "/webhooks/rest/webhook"


@lru_cache(maxsize=1)
def visitor_messages() -> Dict[str, Dict[str, List[str]]]:
    """The pools of visitor_messages.yml, without any message that is also a
    training example or in the blind test set: the fuzzer tests the dialogue
    on words the model was not trained on, and never spends the blind set."""
    known = {normalise(text) for examples in training_examples().values() for text in examples}
    known |= {normalise(text) for examples in blind_examples().values() for text in examples}
    written = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {
        group: {name: [text for text in pool if normalise(text) not in known] for name, pool in pools.items()}
        for group, pools in written.items()
    }


@dataclass
class Step:
    """One message of a conversation and what became of it."""

    text: str
    drawn_as: str  # the pool it came from: an intent, an answer slot, "button", "repeat"...
    state: str
    kind: str = ""
    turn: Optional[Turn] = None
    problems: List[str] = field(default_factory=list)


@dataclass
class Conversation:
    seed: int
    channel: str
    sender: str
    steps: List[Step] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return any(step.problems for step in self.steps)


class Walker:
    """Chooses each next message from the state the conversation is in."""

    # How often each kind of visitor message comes up when nothing is asked.
    OPENING_WEIGHTS = {
        "faq": 28, "book_appointment": 10, "human_handoff": 8, "urgent_symptom": 8, "out_of_scope": 6,
        "not_understood": 7, "greet": 5, "goodbye": 4, "thank": 5, "affirm": 3, "deny": 3, "bot_challenge": 5,
        "stop": 3,
    }  # fmt: skip
    # States that wait for a yes or a no.
    YES_OR_NO_STATES = {"after_bot_challenge", "after_offer_person"}
    SUMMARY_SLOTS = {"booking_confirmed", "callback_confirmed", "contact_consent"}

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = visitor_messages()

    def pick(self, group: str, pool: str) -> Tuple[str, str]:
        return self.rng.choice(self.pools[group][pool]), pool

    def any_intent(self) -> Tuple[str, str]:
        weights = self.OPENING_WEIGHTS
        return self.pick("intents", self.rng.choices(list(weights), list(weights.values()))[0])

    def next_message(self, state: str, form: FormState, last: Optional[Turn], previous_text: str) -> Tuple[str, str]:
        """The next visitor message, and the pool it was drawn from."""
        roll = self.rng.random()
        if last and last.buttons and roll < (0.45 if state == "after_topics_offered" else 0.15):
            return self.rng.choice(last.buttons)["payload"], "button"
        if previous_text and roll < 0.2:
            return previous_text, "repeat"
        if roll < 0.23:
            question, _ = self.pick("intents", "faq")
            background = "I have had acne since I was 14 and tried lots of creams. " * self.rng.randint(3, 12)
            return background + question, "long"
        if state in self.YES_OR_NO_STATES and roll < 0.6:
            return self.pick("answers", self.rng.choice(["yes", "no"]))
        if state in {"after_topics_offered", "after_rephrase"} and roll < 0.45:
            return self.pick("intents", "not_understood")
        if form.form and form.requested_slot:
            slot = form.requested_slot
            if roll < 0.7:
                if slot in self.SUMMARY_SLOTS:
                    return self.pick("answers", "no" if self.rng.random() < 0.2 else "yes")
                return self.pick("answers", slot) if slot in self.pools["answers"] else self.pick("answers", "yes")
            if roll < 0.75:
                return self.pick("answers", "correction")
            if roll < 0.8:
                return self.pick("answers", self.rng.choice(sorted(set(self.pools["answers"]) - {slot})))
        return self.any_intent()


def dialogue_state(tracker: Dict[str, Any], table: DialogueTable) -> str:
    """The table's name for the state a stored conversation is in now."""
    now = form_state(tracker)
    if now.form:
        summary = now.requested_slot in {"booking_confirmed", "callback_confirmed"}
        return f"{'booking' if now.form == 'booking_form' else 'handoff'}_{'confirmation' if summary else 'question'}"
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "action" and event.get("name") != "action_listen":
            return STATE_AFTER_ACTION.get(event.get("name") or "", "idle")
    return "idle"


def message_kind(step: Step, before: FormState, table: DialogueTable) -> str:
    """The table's kind of message for this step: its understood intent (a
    button's too: "Stop" is `stop`), or an answer when a form takes it as one."""
    intent = step.turn.intent if step.turn else ""
    if before.form and intent in ANSWER_UNLESS_A_QUESTION and not looks_like_question(step.text):
        return "inform"
    if before.form and intent in MAY_CARRY_AN_ANSWER and not looks_like_question(step.text):
        validation = FORM_VALIDATIONS[before.form]
        if validation.holds_an_answer(before.requested_slot, step.text):
            return "inform"
    return intent if intent in table.kinds else "inform"


def check_turn(step: Step, before: FormState, status: int, texts: List[str], table: DialogueTable) -> List[str]:
    """Everything wrong with one turn."""
    turn = step.turn
    problems: List[str] = []
    if status != 200:
        return [f"HTTP {status}"]
    if not texts or not all(text.strip() for text in texts):
        problems.append("empty reply")
    repeated = [text for text, count in Counter(texts).items() if count > 1]
    if repeated:
        problems.append(f"repeated in one reply: {repeated[0][:60]!r}")
    shown = [match for text in texts for match in RAW_PLACEHOLDER.findall(text)]
    if shown:
        problems.append(f"raw template {shown[0]}")
    if turn is None:
        return problems
    if step.drawn_as == "urgent_symptom" and tuple(turn.responses[: len(SAFETY_REPLY)]) != SAFETY_REPLY:
        problems.append(f"red flag without the safety reply first (understood as {turn.intent}): {turn.responses}")
    if before.form and turn.intent == "stop" and turn.after.form is not None:
        problems.append("stop did not stop the form")
    row = table.row_for(step.state, step.kind)
    if row is not None:
        wrong = mismatch(row.replies, turn, before)
        if wrong:
            problems.append(f"table row {step.state}/{step.kind}: {wrong}")
    return problems


def post(servers: AssistantServers, path: str, sender: str, text: str) -> Tuple[int, List[Dict[str, Any]]]:
    status, body = servers.post_raw(json.dumps({"sender": sender, "message": text}).encode(), path=path)
    try:
        replies = json.loads(body) if status == 200 else []
    except ValueError:
        replies = []
    return status, replies if isinstance(replies, list) else []


def run_conversation(servers: AssistantServers, seed: int, turns: int, widget_share: float) -> Conversation:
    """One random conversation of `turns` messages, checked turn by turn."""
    rng = random.Random(seed)
    table = load_table()
    walker = Walker(rng)
    channel = "widget" if rng.random() < widget_share else "rest"
    conversation = Conversation(seed, channel, f"fuzz-{uuid.UUID(int=rng.getrandbits(128)).hex}")
    path = WIDGET_WEBHOOK if channel == "widget" else REST_WEBHOOK
    tracker: Dict[str, Any] = {}
    last: Optional[Turn] = None
    previous_text = ""
    for _ in range(turns):
        before = form_state(tracker)
        state = dialogue_state(tracker, table) if tracker else "idle"
        text, drawn_as = walker.next_message(state, before, last, previous_text)
        if drawn_as == "repeat":
            # The same message again is still what it was (a red flag stays one).
            drawn_as = conversation.steps[-1].drawn_as
        step = Step(text=text, drawn_as=drawn_as, state=state)
        status, replies = post(servers, path, conversation.sender, text)
        try:
            tracker = servers.tracker(conversation.sender)
            step.turn = latest_turn(tracker)
        except (urllib.error.URLError, ValueError) as error:
            step.problems.append(f"conversation unreadable: {error}")
        texts = [str(reply.get("text") or "") for reply in replies]
        step.kind = message_kind(step, before, table)
        step.problems += check_turn(step, before, status, texts, table)
        conversation.steps.append(step)
        last, previous_text = step.turn, text
    return conversation


def as_test_story(conversation: Conversation) -> str:
    """The conversation as a Rasa test story: what was said, understood and done."""
    steps: List[Dict[str, Any]] = []
    for step in conversation.steps:
        turn = step.turn
        steps.append({"user": step.text, "intent": turn.intent if turn else "?"})
        steps += [{"action": name or "?"} for name in (turn.responses if turn else [])]
    story = {"story": f"fuzzed conversation, seed {conversation.seed}", "steps": steps}
    return yaml.safe_dump({"version": "3.1", "stories": [story]}, sort_keys=False, allow_unicode=True, width=120)


@dataclass
class FuzzReport:
    conversations: List[Conversation]
    circuit_breaker_trips: Optional[int]
    table: DialogueTable

    @property
    def broken(self) -> List[Conversation]:
        return [c for c in self.conversations if c.broken]

    @property
    def steps(self) -> List[Step]:
        return [step for c in self.conversations for step in c.steps]

    def red_flags(self) -> Tuple[int, int]:
        flags = [s for s in self.steps if s.drawn_as == "urgent_symptom"]
        safe = [s for s in flags if s.turn and tuple(s.turn.responses[: len(SAFETY_REPLY)]) == SAFETY_REPLY]
        return len(safe), len(flags)

    def fallback_rate(self) -> float:
        steps = [s for s in self.steps if s.turn]
        return sum(s.turn.intent == "nlu_fallback" for s in steps if s.turn) / len(steps) if steps else 0.0

    def cells_covered(self) -> Set[Tuple[str, str]]:
        cells = {(s.state, s.kind) for s in self.steps}
        cells |= {(s.state, "button") for s in self.steps if s.drawn_as == "button"}
        return {cell for cell in cells if self.table.row_for(*cell) is not None}

    def all_cells(self) -> Set[Tuple[str, str]]:
        table = self.table
        return {(state, kind) for state in table.states for kind in table.kinds if table.row_for(state, kind)}

    def problem_counts(self) -> Counter:
        return Counter(problem.split(":", 1)[0] for s in self.steps for problem in s.problems)

    def figures(self) -> Dict[str, Any]:
        safe, flags = self.red_flags()
        return {
            "conversations": len(self.conversations),
            "turns": len(self.steps),
            "unbroken_share": 1 - len(self.broken) / len(self.conversations) if self.conversations else 0.0,
            "broken_conversations": len(self.broken),
            "red_flags_answered_safely": safe,
            "red_flag_messages": flags,
            "fallback_rate": round(self.fallback_rate(), 4),
            "table_cells_covered": len(self.cells_covered()),
            "table_cells": len(self.all_cells()),
            "circuit_breaker_trips": self.circuit_breaker_trips,
            "problems": dict(self.problem_counts()),
        }

    def summary(self, first_seed: int) -> str:
        figures = self.figures()
        lines = [
            f"Conversation fuzzer: {figures['conversations']} conversations, {figures['turns']} turns, "
            f"seeds {first_seed}..{first_seed + len(self.conversations) - 1} "
            f"(rerun: FUZZ_SEED={first_seed})",
            f"  unbroken: {figures['conversations'] - figures['broken_conversations']}/{figures['conversations']}",
            f"  red flags answered safely: {figures['red_flags_answered_safely']}/{figures['red_flag_messages']}",
            f"  fallback rate: {figures['fallback_rate']:.1%} of turns",
            f"  table cells covered: {figures['table_cells_covered']}/{figures['table_cells']}",
            f"  circuit breaker trips: {figures['circuit_breaker_trips']}",
        ]
        lines += [f"  {count} x {problem}" for problem, count in self.problem_counts().most_common()]
        uncovered = sorted(self.all_cells() - self.cells_covered())
        if uncovered:
            lines.append("  not reached: " + ", ".join(f"{state}/{kind}" for state, kind in uncovered))
        return "\n".join(lines)

    def failures(self, limit: int = 5) -> str:
        parts = []
        for conversation in self.broken[:limit]:
            wrong = [
                f"    turn {index + 1} ({step.state}, {step.drawn_as} -> {step.kind}) {step.text[:80]!r}: "
                + "; ".join(step.problems)
                for index, step in enumerate(conversation.steps)
                if step.problems
            ]
            parts.append(
                f"--- seed {conversation.seed} ({conversation.channel}):\n" + "\n".join(wrong) + "\n"
                + as_test_story(conversation)
            )  # fmt: skip
        return "\n".join(parts)


def circuit_breaker_trips(log: Optional[Path]) -> Optional[int]:
    if log is None or not log.exists():
        return None
    return log.read_text(errors="replace").count("Circuit breaker tripped")


def fuzz(
    servers: AssistantServers,
    first_seed: int,
    conversations: int,
    turns: int = 12,
    widget_share: float = 0.2,
    log: Optional[Path] = None,
) -> FuzzReport:
    """Run `conversations` random conversations with consecutive seeds."""
    trips_before = circuit_breaker_trips(log)
    played = [run_conversation(servers, first_seed + index, turns, widget_share) for index in range(conversations)]
    trips_after = circuit_breaker_trips(log)
    trips = None if trips_before is None or trips_after is None else trips_after - trips_before
    return FuzzReport(played, trips, load_table())
