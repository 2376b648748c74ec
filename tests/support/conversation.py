"""Scripted conversations with the running assistant over the REST channel."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.project_data import domain, faq_responses
from tests.support.servers import AssistantServers


def response_opening(name: str) -> str:
    """The fixed start of a response's text, up to its first {placeholder}."""
    if name.startswith("utter_faq/"):
        text = faq_responses()[name.split("/", 1)[1]]
    else:
        text = domain()["responses"][name][0]["text"]
    opening = " ".join(text.split()).split("{", 1)[0].strip()
    return opening[:60]


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

    def replied(self, response_name: str) -> bool:
        opening = response_opening(response_name)
        return any(text.startswith(opening) for text in self.texts)

    def expect(self, *response_names: str) -> None:
        missing = [name for name in response_names if not self.replied(name)]
        assert not missing, f"expected {missing} in replies {self.texts}"

    def slots(self) -> Dict[str, Any]:
        return self.servers.tracker(self.sender)["slots"]

    def reference(self) -> str:
        match = re.search(r"REQ-[A-Z0-9]{6}", " ".join(self.texts))
        assert match, f"no reference code in {self.texts}"
        return match.group(0)
