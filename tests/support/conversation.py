"""Scripted conversations with the running assistant over the REST channel."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.project_data import domain, faq_responses
from tests.support.servers import AssistantServers


def _opening(text: str) -> str:
    """The fixed start of a text, up to its first {placeholder}."""
    return " ".join(text.split()).split("{", 1)[0].strip()[:60]


def response_openings(name: str) -> Dict[Optional[str], str]:
    """The opening of each variation of a response, keyed by the slot value
    its condition asks for (None for a variation without a condition)."""
    if name.startswith("utter_faq/"):
        return {None: _opening(faq_responses()[name.split("/", 1)[1]])}
    return {
        next((c["value"] for c in variant.get("condition") or []), None): _opening(variant["text"])
        for variant in domain()["responses"][name]
    }


def response_opening(name: str) -> str:
    """The opening of a response's first variation."""
    return next(iter(response_openings(name).values()))


class Conversation:
    """One visitor talking to the assistant."""

    def __init__(self, servers: AssistantServers, sender: str = "") -> None:
        self.servers = servers
        self.sender = sender or new_conversation_id()
        self.last: List[Dict[str, Any]] = []

    def say(self, text: str) -> List[str]:
        self.last = self.servers.send(self.sender, text)
        return self.texts

    @property
    def texts(self) -> List[str]:
        return [" ".join(message.get("text", "").split()) for message in self.last]

    @property
    def buttons(self) -> List[Dict[str, str]]:
        return [button for message in self.last for button in message.get("buttons", [])]

    def replied(self, response_name: str, variation: Optional[str] = None) -> bool:
        """Whether the last replies include the response (any variation, or the one for `variation`)."""
        openings = response_openings(response_name)
        # A response without conditional variations is the same in every tier.
        wanted = [openings[variation]] if variation and len(openings) > 1 else list(openings.values())
        return any(text.startswith(opening) for text in self.texts for opening in wanted)

    def expect(self, *response_names: str, variation: Optional[str] = None) -> None:
        missing = [name for name in response_names if not self.replied(name, variation)]
        assert not missing, f"expected {missing} ({variation or 'any variation'}) in replies {self.texts}"

    def slots(self) -> Dict[str, Any]:
        return self.servers.tracker(self.sender)["slots"]

    def reference(self) -> str:
        match = re.search(r"REQ-[A-Z0-9]{6}", " ".join(self.texts))
        assert match, f"no reference code in {self.texts}"
        return match.group(0)
