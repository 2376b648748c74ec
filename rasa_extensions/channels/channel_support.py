"""Shared pieces of the messaging channels: configuration from settings.py,
the "not configured" answer, and numbered options for channels without
buttons (SMS, WhatsApp)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.understanding_cache import reuse_understanding
from settings import ChannelCredentials, get_settings

_NUMBER_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def not_configured_blueprint(channel: str) -> Blueprint:
    """Routes for a channel whose credentials are not set: every call is a 404."""
    blueprint = Blueprint(f"{channel}_webhook", __name__)

    async def off(_: Request, **__: Any) -> HTTPResponse:
        return response.json({"error": f"the {channel} channel is not configured (see README, Channels)"}, status=404)

    blueprint.add_route(off, "/", methods=["GET", "POST"])
    blueprint.add_route(off, "/webhook", methods=["GET", "POST"])
    return blueprint


class ConfiguredInputChannel(InputChannel, ABC):
    """A messaging channel whose secrets come from settings.py; off (404) until set."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        # credentials.yml only names the channel: secrets never live in files.
        return cls(get_settings().channels)

    def __init__(self, credentials: ChannelCredentials) -> None:
        self.credentials = credentials

    @abstractmethod
    def is_configured(self) -> bool:
        """Whether every secret the channel needs is set."""

    @abstractmethod
    def add_routes(self, blueprint: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Add the provider's webhook route(s)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.is_configured():
            return not_configured_blueprint(self.name())
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        blueprint.add_route(health, "/", methods=["GET"])
        self.add_routes(blueprint, reuse_understanding(on_new_message))
        return blueprint


def numbered_options(text: str, buttons: List[Dict[str, Any]]) -> str:
    """'Shall I send it?' + buttons -> one message with '1. Yes' lines."""
    lines = [text.strip(), ""] if text.strip() else []
    lines += [f"{index}. {button.get('title', '')}" for index, button in enumerate(buttons, start=1)]
    lines += ["", "Reply with a number."]
    return "\n".join(lines)


def last_offered_buttons(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons of the bot's last message, if the visitor has not replied since."""
    for event in reversed(events):
        if event.get("event") == "user":
            return []
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons")
            if buttons:
                return list(buttons)
    return []


async def resolve_numbered_reply(request: Request, sender_id: str, text: str) -> str:
    """Turn a reply like '2' into the payload of the second option offered."""
    match = _NUMBER_REPLY.match(text or "")
    if not match:
        return text
    tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
    buttons = last_offered_buttons([event.as_dict() for event in tracker.events]) if tracker else []
    index = int(match.group(1))
    if 1 <= index <= len(buttons):
        return str(buttons[index - 1].get("payload") or text)
    return text


def public_url(request: Request, configured: Optional[str]) -> str:
    """The URL the provider called (configured when behind a proxy)."""
    return configured or request.url
