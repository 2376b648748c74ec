"""REST channel that checks every request before it reaches the assistant.

Same route and reply format as Rasa's stock `rest` channel
(POST /webhooks/rest/webhook, {"sender", "message"} -> list of messages), with
the gaps closed that matter for a public clinic website:

* malformed JSON, wrong types, a missing sender, invalid Unicode, empty or
  over-long text get a clear 4xx JSON error (visitor_input.py) instead of a
  stack trace, a shared "default" chat or a stopped server; a body not sent
  as application/json gets 415 (another site cannot post text/plain from a
  visitor's browser without CORS asking first);
* a conversation id must be random and long (visitor_input.py), and typed
  "/intent" text is plain text unless it is a button the assistant offered
  (channel_support.py), both for every channel;
* a client over its rate limit gets 429 (request_limits.py);
* an error inside the assistant answers 503 for that message only;
* the message text is never written to the logs.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import (
    AssistantUnavailableError,
    OnNewMessage,
    assistant_entry,
    error_response,
)
from rasa_extensions.channels.request_limits import check_client_rate, request_client_address
from rasa_extensions.channels.visitor_input import (
    RequestRefusedError,
    checked_metadata,
    checked_sender,
    checked_text,
    parse_json_object,
    require_json,
)
from settings import get_settings

EXAMPLE_BODY = '{"sender": "...", "message": "..."}'


def parse_visitor_message(body: bytes, max_characters: int) -> Dict[str, Any]:
    """Validate a webhook body and return its sender, message and metadata."""
    payload = parse_json_object(body, EXAMPLE_BODY)
    sender = checked_sender(payload.get("sender"))
    message = checked_text(payload.get("message"), max_characters)
    metadata = checked_metadata(payload.get("metadata"))
    return {"sender": sender, "message": message, "metadata": metadata}


def read_visitor_message(request: Request) -> Dict[str, Any]:
    """The request's sender, message and metadata, once its client is within
    its rate limit and the body passes the checks."""
    check_client_rate(request_client_address(request))
    require_json(request.headers.get("Content-Type", ""))
    return parse_visitor_message(request.body, get_settings().max_message_characters)


class ValidatedRestInput(InputChannel):
    """Rasa's REST webhook with request validation and no message logging."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)
        on_new_message = assistant_entry(on_new_message)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_message(request, on_new_message)

        return blueprint

    async def handle_message(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Validate the request, run the assistant, reply with its messages."""
        try:
            messages = await self.run_visitor_message(read_visitor_message(request), on_new_message)
        except (RequestRefusedError, AssistantUnavailableError) as error:
            return error_response(error)
        return response.json(messages)

    async def run_visitor_message(self, visitor: Dict[str, Any], on_new_message: OnNewMessage) -> List[Dict[str, Any]]:
        """The assistant's replies to a validated message."""
        collector = CollectingOutputChannel()
        message = UserMessage(visitor["message"], collector, visitor["sender"], input_channel=self.name())
        message.metadata = visitor["metadata"]
        await on_new_message(message)
        return collector.messages
