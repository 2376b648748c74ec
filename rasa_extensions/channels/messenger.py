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
from typing import Any, Awaitable, Callable

from fbmessenger import MessengerClient
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import ConfiguredInputChannel

logger = logging.getLogger(__name__)


def signature_is_valid(app_secret: str, body: bytes, sha256_header: str, sha1_header: str) -> bool:
    """Check X-Hub-Signature-256 (or, failing that, the older X-Hub-Signature)."""
    for header, algorithm in ((sha256_header, hashlib.sha256), (sha1_header, hashlib.sha1)):
        if header and "=" in header:
            expected = hmac.new(app_secret.encode("utf-8"), body, algorithm).hexdigest()
            return hmac.compare_digest(header.split("=", 1)[1], expected)
    return False


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

    def add_routes(self, blueprint: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @blueprint.route("/webhook", methods=["GET"])
        async def verify_subscription(request: Request) -> HTTPResponse:
            supplied = request.args.get("hub.verify_token") or ""
            if hmac.compare_digest(supplied, self.credentials.facebook_verify_token):
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
            messenger = Messenger(self.credentials.facebook_page_access_token, on_new_message)
            messenger.client = self.messenger_client()
            await messenger.handle(request.json, self.get_metadata(request))
            return response.text("success")

    def get_output_channel(self) -> OutputChannel:
        return MessengerBot(self.messenger_client())
