"""Twilio SMS and WhatsApp, with the request signature checked.

Rasa's stock Twilio connector accepts any POST. This one verifies the
X-Twilio-Signature header with Twilio's RequestValidator and answers 403
before anything reaches the assistant. Buttons become numbered options, and
a reply of "2" picks the second one. Off (404) until TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN and TWILIO_NUMBER are set.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from rasa_extensions.channels.channel_support import (
    AssistantUnavailableError,
    ConfiguredInputChannel,
    error_response,
    numbered_options,
    public_url,
    resolve_numbered_reply,
)
from rasa_extensions.channels.visitor_input import RequestRefusedError, checked_sender
from settings import ChannelCredentials

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP_PREFIX = "whatsapp:"


class ClinicTwilioOutput(TwilioOutput):
    """Sends replies through Twilio's API, off the event loop, as numbered options."""

    def __init__(self, credentials: ChannelCredentials) -> None:
        super().__init__(credentials.twilio_account_sid, credentials.twilio_auth_token, credentials.twilio_number)
        self.whatsapp_number = credentials.twilio_whatsapp_number or credentials.twilio_number
        if credentials.twilio_api_url:
            self.api.base_url = credentials.twilio_api_url

    async def _send_message(self, message_data: Dict[str, Any]) -> Any:
        if str(message_data.get("to", "")).startswith(WHATSAPP_PREFIX):
            message_data = {
                **message_data,
                "from_": WHATSAPP_PREFIX + self.whatsapp_number.removeprefix(WHATSAPP_PREFIX),
            }
        # The Twilio client is blocking; keep the server's event loop free.
        return await asyncio.to_thread(self.messages.create, **message_data)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, numbered_options(text, buttons))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # One SMS per message (the stock connector splits on blank lines,
        # which would separate a question from its numbered options).
        await self._send_message({"to": recipient_id, "from_": self.twilio_number, "body": text.strip()})


class VerifiedTwilioInput(ConfiguredInputChannel):
    """Twilio webhook (/webhooks/twilio/webhook) with signature verification."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(self, credentials: ChannelCredentials) -> None:
        super().__init__(credentials)
        # Built once, not on every inbound message.
        self.validator = RequestValidator(credentials.twilio_auth_token)

    def is_configured(self) -> bool:
        return self.credentials.twilio_configured

    def signature_is_valid(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        params = {key: request.form.get(key) for key in request.form}
        url = public_url(request, self.credentials.twilio_webhook_url)
        return bool(signature) and self.validator.validate(url, params, signature)

    def add_routes(self, blueprint: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.signature_is_valid(request):
                logger.warning("Rejected a Twilio webhook with a missing or wrong signature")
                return response.json({"error": "invalid signature"}, status=403)
            sender, text = request.form.get("From"), request.form.get("Body")
            if not sender or text is None:
                return response.json({"error": "From and Body are required"}, status=400)
            if not text.strip():
                return response.text("", status=204)  # a picture alone: nothing to answer
            try:
                text = await resolve_numbered_reply(request, checked_sender(sender, "From"), text.replace("¡", "@"))
                await on_new_message(UserMessage(text, self.get_output_channel(), sender, input_channel=self.name()))
            except (RequestRefusedError, AssistantUnavailableError) as error:
                return error_response(error)
            return response.text("", status=204)

    def get_output_channel(self) -> OutputChannel:
        return ClinicTwilioOutput(self.credentials)
