"""Shared pieces of the channels: the one way every channel hands a message
to the assistant (`assistant_entry`), configuration from settings.py, the
"not configured" answer, and numbered options for channels without buttons
(SMS, WhatsApp)."""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.request_limits import check_conversation_rate
from rasa_extensions.channels.visitor_input import (
    RequestRefusedError,
    checked_conversation_id,
    checked_metadata,
    checked_sender,
    checked_text,
)
from rasa_extensions.log_privacy import about_message, conversation_reference
from rasa_extensions.understanding_cache import reuse_understanding, running_agent
from settings import ChannelCredentials, get_settings

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
_NUMBER_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
# Rasa reads a message starting with "/" as an intent ("/restart",
# "/affirm@0.99", '/inform{"slot": "x"}'), skipping understanding.
_INTENT_PREFIX = re.compile(r"^\s*/+\s*")
UNAVAILABLE_MESSAGE = "The assistant could not answer just now. Please try again in a moment."
# Channels whose clients choose the conversation id (the others get it from
# the provider: a phone number, an account id).
CLIENT_CHOSEN_IDS = frozenset({"rest", "widget", "socketio"})


class AssistantUnavailableError(Exception):
    """The assistant failed on one message; the channel answers 503 and the
    server goes on serving everyone else."""


def check_user_message(message: UserMessage) -> None:
    """Refuse (RequestRefusedError) a message whose text, sender id or metadata the
    visitor_input rules do not accept, whichever channel built it, or whose
    conversation is over its rate limit (request_limits.py)."""
    if message.input_channel in CLIENT_CHOSEN_IDS:
        checked_conversation_id(message.sender_id)
    else:
        checked_sender(message.sender_id)
    checked_text(message.text, get_settings().max_message_characters)
    message.metadata = checked_metadata(message.metadata)
    check_conversation_rate(message.sender_id)


async def offered_payloads(sender_id: str) -> List[str]:
    """The payloads of the buttons the assistant's last turn offered this conversation."""
    agent = running_agent()
    if agent is None or agent.tracker_store is None:
        return []
    tracker = await agent.tracker_store.retrieve(sender_id)
    events = [event.as_dict() for event in tracker.events] if tracker else []
    return [str(button.get("payload")) for button in last_offered_buttons(events)]


async def plain_text_unless_offered(message: UserMessage) -> None:
    """Make a typed "/intent..." plain text, unless it is exactly the payload of
    a button the assistant just offered (what a button click or a numbered
    SMS reply sends): a visitor must not force intents, confidences or slots
    ("/restart", "/affirm@0.01", '/inform{"phone": "1"}')."""
    text = message.text or ""
    if not _INTENT_PREFIX.match(text) or text.strip() in await offered_payloads(message.sender_id):
        return
    message.text = _INTENT_PREFIX.sub("", text) or text


def assistant_entry(on_new_message: OnNewMessage) -> OnNewMessage:
    """`on_new_message` as every channel uses it: the message is checked (and
    typed "/intent" text made plain), understood through the cache, and an
    error inside Rasa for this one conversation becomes
    AssistantUnavailableError instead of reaching the server.

    Rasa turns some errors into SystemExit (its SQL tracker store exits the
    process on any ValueError, see rasa_extensions/stores.py); one visitor's
    message must never stop the server, so that is contained here too.
    """
    understand = reuse_understanding(on_new_message)

    async def handle(message: UserMessage) -> None:
        check_user_message(message)
        try:
            await plain_text_unless_offered(message)
            with about_message(message.sender_id, message.text or ""):
                await understand(message)
        except asyncio.CancelledError:
            raise
        except (Exception, SystemExit) as error:
            logger.error(
                "The assistant failed on a %s message (conversation %s): %s",
                message.input_channel,
                conversation_reference(message.sender_id),
                type(error).__name__,
            )
            raise AssistantUnavailableError(UNAVAILABLE_MESSAGE) from None

    return handle


def error_response(error: Exception) -> HTTPResponse:
    """The JSON answer to a refused message (its status) or a failed one (503)."""
    if isinstance(error, RequestRefusedError):
        return response.json({"error": error.message}, status=error.status)
    return response.json({"error": UNAVAILABLE_MESSAGE}, status=503)


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
        self.add_routes(blueprint, assistant_entry(on_new_message))
        return blueprint


def numbered_options(text: str, buttons: List[Dict[str, Any]]) -> str:
    """'Shall I send it?' + buttons -> one message with '1. Yes' lines."""
    lines = [text.strip(), ""] if text.strip() else []
    lines += [f"{index}. {button.get('title', '')}" for index, button in enumerate(buttons, start=1)]
    lines += ["", "Reply with a number."]
    return "\n".join(lines)


def last_offered_buttons(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons of the bot's last message with buttons, if the visitor has
    not replied since."""
    for event in reversed(events):
        if event.get("event") == "user":
            return []
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons")
            if buttons:
                return [button for button in buttons if isinstance(button, dict)]
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
