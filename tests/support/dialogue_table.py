"""The dialogue table (docs/dialogue/table.yml): loading it, and what is made from it.

    python -m tests.support.dialogue_table --write

rewrites the generated parts: the table in docs/dialogue/README.md and the
end-to-end test stories tests/test_dialogue_table.yml. tests/test_dialogue_table.py
fails when either is out of date.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import yaml

from rasa_extensions.nlu.red_flag_detector import CLINIC, DEFAULT_TERMS_FILE, TIER_ENTITY, RedFlagRules
from tests.support.project_data import PROJECT_DIR, domain

TABLE_FILE = PROJECT_DIR / "docs" / "dialogue" / "table.yml"
README = PROJECT_DIR / "docs" / "dialogue" / "README.md"
E2E_STORIES = PROJECT_DIR / "tests" / "test_dialogue_table.yml"
TABLE_START = "<!-- table: generated from table.yml by `python -m tests.support.dialogue_table --write` -->"
TABLE_END = "<!-- end of table -->"
# The form question the end-to-end stories interrupt (any would do: the rules
# do not depend on which question is asked).
STORY_QUESTION = "visitor_contact"


@dataclass(frozen=True)
class Row:
    """One cell of the table: what a kind of message gets in a state."""

    state: str
    kind: str
    replies: Tuple[str, ...]
    next_state: str
    note: str = ""

    @property
    def cell(self) -> Tuple[str, str]:
        return (self.state, self.kind)


@dataclass
class DialogueTable:
    states: Dict[str, Dict[str, str]]
    kinds: List[str]
    reply_groups: Dict[str, Any]
    rows: List[Row]
    examples: Dict[str, str]
    answers: Dict[str, str]
    _by_cell: Dict[Tuple[str, str], Row] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_cell = {row.cell: row for row in self.rows}

    def row_for(self, state: str, kind: str) -> Optional[Row]:
        """The row that decides `kind` in `state`, following `otherwise`."""
        while state:
            row = self._by_cell.get((state, kind))
            if row is not None:
                return row
            state = self.states[state].get("otherwise", "")
        return None

    def form_of(self, state: str) -> Optional[str]:
        return self.states[state].get("form")


@lru_cache(maxsize=1)
def load_table() -> DialogueTable:
    document = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    rows = [
        Row(
            state=row["state"],
            kind=row["kind"],
            replies=tuple(row["replies"]),
            next_state=row.get("next", row["state"]),
            note=row.get("note", ""),
        )
        for row in document["rows"]
    ]
    return DialogueTable(
        states=document["states"],
        kinds=list(document["kinds"]),
        reply_groups=document["reply_groups"],
        rows=rows,
        examples={kind: str(text) for kind, text in document["examples"].items()},
        answers={slot: str(text) for slot, text in document["answers"].items()},
    )


def render_markdown(table: DialogueTable) -> str:
    """The table as README.md shows it: a section per state, a line per message kind."""
    lines = [TABLE_START]
    for state, spec in table.states.items():
        lines += ["", f"### {state}", "", spec["means"], "", "| message | the assistant | then |", "|---|---|---|"]
        for row in (row for row in table.rows if row.state == state):
            then = "" if row.next_state == row.state else f"*{row.next_state}*"
            note = f" ({row.note})" if row.note else ""
            lines.append(f"| `{row.kind}` | {' + '.join(row.replies)}{note} | {then} |")
        if spec.get("otherwise"):
            lines += ["", f"Any other message: as in *{spec['otherwise']}*."]
    lines += ["", "### What the replies mean", "", "| reply | means |", "|---|---|"]
    for name, meaning in table.reply_groups.items():
        text = " + ".join(meaning) if isinstance(meaning, list) else meaning
        lines.append(f"| `{name}` | {text} |")
    lines += ["", "Other replies are the responses of that name in `domain.yml`.", "", TABLE_END]
    return "\n".join(lines)


def readme_with_table(readme: str, table: DialogueTable) -> str:
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.DOTALL)
    return pattern.sub(lambda _: render_markdown(table), readme)


# ---------------------------------------------------------------------------
# End-to-end test stories (`rasa test --e2e`): the visitor's words, the
# intent they must be understood as, and the actions the rules must predict.


def ask_action(form: str, slot: str) -> str:
    """The action or response a form uses to ask for `slot`."""
    responses = domain()["responses"]
    if f"action_ask_{slot}" in domain().get("actions", []):
        return f"action_ask_{slot}"
    return f"utter_ask_{form}_{slot}" if f"utter_ask_{form}_{slot}" in responses else f"utter_ask_{slot}"


def form_opening(form: str) -> List[Dict[str, Any]]:
    """Steps that start `form` and answer its questions up to STORY_QUESTION."""
    if form == "booking_form":
        steps: List[Dict[str, Any]] = [
            {"user": load_table().examples["book_appointment"], "intent": "book_appointment"},
            {"action": "utter_start_booking"},
        ]
    else:
        steps = [
            {"user": load_table().examples["human_handoff"], "intent": "human_handoff"},
            {"action": "action_start_handoff"},
        ]
    steps += [
        {"action": form},
        {"active_loop": form},
        {"slot_was_set": [{"requested_slot": "visitor_name"}]},
        {"user": load_table().answers["visitor_name"], "intent": "inform"},
        {"action": form},
        {"slot_was_set": [{"visitor_name": load_table().answers["visitor_name"]}]},
        {"slot_was_set": [{"requested_slot": STORY_QUESTION}]},
    ]
    return steps


# The intent each example is understood as in the stories (`faq` needs its key).
STORY_INTENTS = {"faq": "faq/anesthesia_pain"}
# The actions behind a reply. Form questions are asked by the form itself.
STORY_ACTIONS = {
    "safety_reply": ["utter_urgent_symptom", "utter_urgent_call_clinic", "utter_urgent_contact"],
    "faq_answer": ["utter_faq"],
    "handoff_opening": ["action_start_handoff"],
    "topics_or_rephrase": ["action_offer_topics"],
    "topics_or_not_understood": ["action_offer_topics"],
    "nearest_clinic_or_anything_else": ["action_find_nearest_clinic"],
    "utter_request_stopped": ["action_stop_request"],
}
FORM_QUESTION_REPLIES = {"question", "next_question", "answer_checked"}


def story_text(text: str, kind: str) -> str:
    """A message as a test story writes it: an urgent one with the tier the
    red-flag detector marks it with (Rasa's e2e test compares entities too)."""
    if kind != "urgent_symptom":
        return text
    tier = RedFlagRules.from_file(DEFAULT_TERMS_FILE).tier(text) or CLINIC
    return f'[{text}]{{"entity": "{TIER_ENTITY}", "value": "{tier}"}}'


def reply_actions(row: Row) -> List[Dict[str, Any]]:
    names = [
        name
        for reply in row.replies
        if reply not in FORM_QUESTION_REPLIES and not reply.startswith("utter_ask_")
        for name in STORY_ACTIONS.get(reply, [reply])
    ]
    return [{"action": name} for name in names]


def story_for(row: Row) -> Optional[Dict[str, Any]]:
    """A test story for the row, from a new conversation; None for rows whose
    state a story cannot reach without running the action server (after a
    fallback, a summary) and for messages a form takes as its answer."""
    table = load_table()
    if row.state not in {"idle", "booking_question", "handoff_question"}:
        return None
    form = table.form_of(row.state)
    if form and row.kind in {"button", "inform", "affirm", "deny"}:
        return None
    steps: List[Dict[str, Any]] = form_opening(form) if form else []
    steps.append(
        {"user": story_text(table.examples[row.kind], row.kind), "intent": STORY_INTENTS.get(row.kind, row.kind)}
    )
    next_form = table.form_of(row.next_state)
    if form and next_form and next_form != form:
        steps += [{"action": "action_deactivate_loop"}, {"active_loop": None}]
    steps += reply_actions(row)
    if row.kind == "stop" and form:
        steps.append({"active_loop": None})
    elif next_form:
        steps += [{"action": next_form}, {"active_loop": next_form}]
    return {"story": f"{row.state}, {row.kind}", "steps": steps}


def render_stories(table: DialogueTable) -> str:
    stories = [story for story in (story_for(row) for row in table.rows) if story]
    header = (
        "# Generated from docs/dialogue/table.yml by `python -m tests.support.dialogue_table --write`;\n"
        "# run with `rasa test --e2e` (tests/test_conversations.py). Do not edit by hand.\n"
    )
    body = yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False, allow_unicode=True, width=120)
    return header + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated README table and stories")
    args = parser.parse_args()
    table = load_table()
    if args.write:
        README.write_text(readme_with_table(README.read_text(encoding="utf-8"), table), encoding="utf-8")
        E2E_STORIES.write_text(render_stories(table), encoding="utf-8")
    else:
        print(render_markdown(table))


if __name__ == "__main__":
    main()
