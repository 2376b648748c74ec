"""REST channel that checks every request before it reaches the assistant.

Same route and reply format as Rasa's stock `rest` channel
(POST /webhooks/rest/webhook, {"sender", "message"} -> list of messages), with
the gaps closed that matter for a public clinic website:

* malformed JSON, wrong types, a missing sender, empty or over-long text get
  a clear 4xx JSON error instead of a stack trace or a shared "default" chat;
* a visitor cannot type `/intent{"slot": "value"}` to set slots (the
  "/intent" part of button payloads keeps working);
* the message text is never written to the logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.understanding_cache import reuse_understanding
from settings import get_settings

logger = logging.getLogger(__name__)

MAX_SENDER_CHARACTERS = 128
# "/intent" or "/intent{...}" typed or sent as a button payload.
_INTENT_PAYLOAD = re.compile(r"^\s*(/[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?)\s*\{.*\}\s*$", re.DOTALL)


class RequestError(Exception):
    """A request the channel refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def conversation_reference(sender_id: str) -> str:
    """A short stable hash of a sender id, for logs that must not identify anyone."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:12]


def strip_payload_entities(text: str) -> str:
    """'/inform{"phone": "1"}' -> '/inform': slots are set only through forms."""
    match = _INTENT_PAYLOAD.match(text)
    return match.group(1) if match else text


def parse_visitor_message(body: bytes, max_characters: int) -> Dict[str, Any]:
    """Validate a webhook body and return its sender, message and metadata."""
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, 'The request body must be JSON like {"sender": "...", "message": "..."}.') from None
    if not isinstance(payload, dict):
        raise RequestError(400, "The request body must be a JSON object with 'sender' and 'message'.")

    sender = payload.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise RequestError(400, "'sender' is required: a non-empty string that identifies the conversation.")
    if len(sender) > MAX_SENDER_CHARACTERS:
        raise RequestError(400, f"'sender' must be at most {MAX_SENDER_CHARACTERS} characters.")

    message = payload.get("message")
    if not isinstance(message, str):
        raise RequestError(400, "'message' is required and must be a string.")
    if "\x00" in message:
        raise RequestError(400, "'message' must be text, not binary data.")
    if not message.strip():
        raise RequestError(400, "'message' is empty: please type a question.")
    if len(message) > max_characters:
        raise RequestError(413, f"'message' is too long: please keep it under {max_characters} characters.")

    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "'metadata' must be a JSON object when given.")
    return {"sender": sender.strip(), "message": strip_payload_entities(message), "metadata": metadata or {}}


class ValidatedRestInput(InputChannel):
    """Rasa's REST webhook with request validation and no message logging."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)
        on_new_message = reuse_understanding(on_new_message)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_message(request, on_new_message)

        return blueprint

    async def handle_message(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """Validate the request, run the assistant, reply with its messages."""
        try:
            visitor = parse_visitor_message(request.body, get_settings().max_message_characters)
        except RequestError as error:
            return response.json({"error": error.message}, status=error.status)

        collector = CollectingOutputChannel()
        user_message = UserMessage(
            visitor["message"],
            collector,
            visitor["sender"],
            input_channel=self.name(),
            metadata=visitor["metadata"],
        )
        try:
            await on_new_message(user_message)
        except asyncio.CancelledError:
            logger.warning("Message handling cancelled (conversation %s)", conversation_reference(visitor["sender"]))
            raise
        except Exception as error:
            logger.error(
                "Could not handle a message (conversation %s): %s",
                conversation_reference(visitor["sender"]),
                type(error).__name__,
            )
            return response.json(
                {"error": "The assistant could not answer just now. Please try again in a moment."},
                status=503,
            )
        return response.json(collector.messages)
