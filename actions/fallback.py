"""'Did you mean...?': offers the likeliest topics when a message was not understood.

Rasa's two-stage fallback asks about the single likeliest intent; visitors'
questions often sit between two or three FAQ topics, so this offers up to
three of them as buttons (docs/dialogue/README.md has where it fits in the
conversation). A button sends the topic's own question
(data/responses/faq_topics.yml), which the assistant answers like a typed
one; "Something else" leads to a request to rephrase, and a miss after that
to the offer of a person (data/rules/fallback.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

FAQ_TOPICS_FILE = Path(__file__).resolve().parent.parent / "data" / "responses" / "faq_topics.yml"
FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
# Conversation intents worth offering by name: the others ("yes", "thanks",
# an urgent symptom...) either need no guess or are never guessed at.
OFFERED_INTENTS = {
    "book_appointment": {"title": "Book a consultation", "payload": "/book_appointment"},
    "human_handoff": {"title": "Talk to a person", "payload": "/human_handoff"},
}
# A topic is offered when the model gives it at least this share of its
# belief. Set by reasoning, not tuned on any test set: an eighth is well
# above the one-in-twenty-six of a topic the model knows nothing about, and
# low enough that an ambiguous message between two topics offers both.
MIN_SCORE = 0.125
MAX_OFFERED = 3
SOMETHING_ELSE = {"title": "Something else", "payload": "/deny"}
# The unreadable-message guard (emoji only, another language) ranks its
# nlu_fallback as certain; the FallbackClassifier's carries its threshold
# (config.yml, below 1), and can be ranked above the guard's when it runs after it.
# Guessing topics from a Spanish question helps no one: ask in English.


@dataclass(frozen=True)
class Suggestion:
    """One 'did you mean' option: a button and how likely the model thought it."""

    title: str
    payload: str
    score: float


@lru_cache(maxsize=1)
def faq_topics() -> Dict[str, Dict[str, str]]:
    """FAQ key -> {title, question}, from data/responses/faq_topics.yml."""
    return yaml.safe_load(FAQ_TOPICS_FILE.read_text(encoding="utf-8"))


def suggestions(parse: Mapping[str, Any], topics: Mapping[str, Mapping[str, str]]) -> List[Suggestion]:
    """The likeliest topics of a parsed message, best first, at most MAX_OFFERED.

    A FAQ key scores the model's confidence in the FAQ intent times the
    answer selector's confidence in that key.
    """
    ranking = parse.get("intent_ranking") or []
    unreadable = [r for r in ranking if r.get("name") == FALLBACK_INTENT and float(r.get("confidence") or 0.0) >= 1.0]
    if unreadable:
        return []
    intent_confidence = {
        ranked.get("name"): float(ranked.get("confidence") or 0.0) for ranked in parse.get("intent_ranking") or []
    }
    found: List[Suggestion] = []
    faq_ranking = (((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("ranking")) or []
    for ranked in faq_ranking:
        key = str(ranked.get("intent_response_key", "")).split("/", 1)[-1]
        if key in topics:
            score = intent_confidence.get(FAQ_INTENT, 0.0) * float(ranked.get("confidence") or 0.0)
            found.append(Suggestion(topics[key]["title"], topics[key]["question"], score))
    for intent, button in OFFERED_INTENTS.items():
        found.append(Suggestion(button["title"], button["payload"], intent_confidence.get(intent, 0.0)))
    likely = sorted((s for s in found if s.score >= MIN_SCORE), key=lambda s: s.score, reverse=True)
    return likely[:MAX_OFFERED]


class ActionOfferTopics(Action):
    """Offers the likeliest topics as buttons, or asks to rephrase when none is likely."""

    def name(self) -> str:
        return "action_offer_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        offered = suggestions(tracker.latest_message or {}, faq_topics())
        in_form = bool((tracker.active_loop or {}).get("name"))
        if not offered:
            # In a form, the form's question follows: no need to ask for more.
            dispatcher.utter_message(response="utter_not_understood_in_form" if in_form else "utter_ask_rephrase")
            return []
        buttons = [{"title": s.title, "payload": s.payload} for s in offered]
        if in_form:
            # "Something else" would read as an answer to the form's question,
            # which the form asks again right after this.
            dispatcher.utter_message(response="utter_did_you_mean_in_form", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_did_you_mean", buttons=[*buttons, SOMETHING_ELSE])
        return []
