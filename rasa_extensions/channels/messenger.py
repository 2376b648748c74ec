"""Facebook Messenger, with the X-Hub-Signature checked and a real 403.

Rasa's stock connector answers a bad signature with HTTP 200 "not validated";
this one answers 403 and prefers Meta's SHA-256 signature header. Off (404)
until FACEBOOK_VERIFY_TOKEN, FACEBOOK_APP_SECRET and
FACEBOOK_PAGE_ACCESS_TOKEN are set.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Dict, Iterator, Optional, Tuple

from fbmessenger import MessengerClient
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import (
    AssistantUnavailableError,
    ConfiguredInputChannel,
    OnNewMessage,
    error_response,
)
from rasa_extensions.channels.visitor_input import (
    RequestRefusedError,
    checked_sender,
    parse_json_object,
    require_json,
    secrets_match,
)

logger = logging.getLogger(__name__)


def signature_is_valid(app_secret: str, body: bytes, sha256_header: str, sha1_header: str) -> bool:
    """Check X-Hub-Signature-256 (or, failing that, the older X-Hub-Signature)."""
    for header, algorithm in ((sha256_header, hashlib.sha256), (sha1_header, hashlib.sha1)):
        if header and "=" in header:
            expected = hmac.new(app_secret.encode("utf-8"), body, algorithm).hexdigest()
            return secrets_match(header.split("=", 1)[1], expected)
    return False


def _text_of(event: Dict[str, Any]) -> Optional[str]:
    """A quick reply's payload, a typed text or a postback's payload; None for
    attachments, echoes and receipts."""
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        quick_reply = message.get("quick_reply")
        if isinstance(quick_reply, dict) and quick_reply.get("payload"):
            return quick_reply["payload"]
        if not message.get("is_echo"):
            return message.get("text")
    if isinstance(postback, dict):
        return postback.get("payload")
    return None


def visitor_messages(payload: Dict[str, Any]) -> Iterator[Tuple[Any, Any]]:
    """(sender PSID, text) for every visitor message in a webhook payload."""
    entries = payload.get("entry")
    if payload.get("object") != "page" or not isinstance(entries, list):
        raise RequestRefusedError(400, "Expected a Messenger 'page' webhook with 'entry'.")
    for entry in entries:
        events = entry.get("messaging") if isinstance(entry, dict) else None
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            text = _text_of(event)
            sender = event.get("sender")
            if text is not None:
                yield (sender.get("id") if isinstance(sender, dict) else None), text


class VerifiedMessengerInput(ConfiguredInputChannel):
    """Messenger webhook (/webhooks/facebook/webhook) with a strict signature check."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def is_configured(self) -> bool:
        return self.credentials.facebook_configured

    def messenger_client(self) -> MessengerClient:
        client = MessengerClient(self.credentials.facebook_page_access_token)
        if self.credentials.facebook_api_url:
            client.graph_url = self.credentials.facebook_api_url
        return client

    async def answer(self, sender: Any, text: Any, on_new_message: OnNewMessage) -> None:
        """Hand one visitor message to the assistant, with Messenger's typing indicator."""
        if not isinstance(text, str):
            raise RequestRefusedError(400, "A Messenger message text must be a string.")
        sender_id = checked_sender(sender, "sender.id")
        if not text.strip():
            return
        output = MessengerBot(self.messenger_client())
        await output.send_action(sender_id, sender_action="typing_on")
        try:
            await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name()))
        finally:
            await output.send_action(sender_id, sender_action="typing_off")

    def add_routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        @blueprint.route("/webhook", methods=["GET"])
        async def verify_subscription(request: Request) -> HTTPResponse:
            supplied = request.args.get("hub.verify_token") or ""
            if secrets_match(supplied, self.credentials.facebook_verify_token):
                return response.text(request.args.get("hub.challenge") or "")
            return response.json({"error": "wrong verify token"}, status=403)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not signature_is_valid(
                self.credentials.facebook_app_secret,
                request.body,
                request.headers.get("X-Hub-Signature-256", ""),
                request.headers.get("X-Hub-Signature", ""),
            ):
                logger.warning("Rejected a Messenger webhook with a missing or wrong signature")
                return response.json({"error": "invalid signature"}, status=403)
            # Every message of a batch is answered; the request's status is the
            # worst outcome (Meta retries a batch that got a 5xx).
            failure: Optional[Exception] = None
            try:
                require_json(request.headers.get("Content-Type", ""))
                messages = list(visitor_messages(parse_json_object(request.body, '{"object": "page", "entry": [...]}')))
            except RequestRefusedError as error:
                return error_response(error)
            for sender, text in messages:
                try:
                    await self.answer(sender, text, on_new_message)
                except (RequestRefusedError, AssistantUnavailableError) as error:
                    if failure is None or isinstance(error, AssistantUnavailableError):
                        failure = error
            return error_response(failure) if failure else response.text("success")

    def get_output_channel(self) -> OutputChannel:
        return MessengerBot(self.messenger_client())
