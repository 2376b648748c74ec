"""Telegram, authenticated with the webhook's secret token.

Rasa's stock connector calls Telegram's API when the server starts (to set
the webhook) and again on every message (to compare the bot's username), and
it checks nothing about who sent the request. This one makes no call at
start-up, and accepts a webhook only when it carries the
X-Telegram-Bot-Api-Secret-Token given to setWebhook (README, Channels), else
403. Buttons are sent as Telegram inline buttons. Off (404) until
TELEGRAM_ACCESS_TOKEN and TELEGRAM_SECRET_TOKEN are set.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

from aiogram.bot.api import TelegramAPIServer
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import (
    AssistantUnavailableError,
    ConfiguredInputChannel,
    OnNewMessage,
    error_response,
)
from rasa_extensions.channels.visitor_input import RequestRefusedError, parse_json_object, require_json, secrets_match
from settings import ChannelCredentials

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ClinicTelegramOutput(TelegramOutput):
    """Telegram's Bot API client, pointed at TELEGRAM_API_URL when set (tests)."""

    def __init__(self, credentials: ChannelCredentials) -> None:
        super().__init__(credentials.telegram_access_token)
        if credentials.telegram_api_url:
            self.server = TelegramAPIServer.from_base(credentials.telegram_api_url)


def chat_and_text(update: Dict[str, Any]) -> Tuple[Optional[int], Optional[str]]:
    """The chat id and text of an Update: a message, an edited message or a
    button press (callback query); (None, None) for anything else."""
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        message, text = callback.get("message"), callback.get("data")
    else:
        message = update.get("message") or update.get("edited_message")
        text = message.get("text") if isinstance(message, dict) else None
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not isinstance(text, str):
        return None, None
    return chat_id, text


class VerifiedTelegramInput(ConfiguredInputChannel):
    """Telegram webhook (/webhooks/telegram/webhook) checked by secret token."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def is_configured(self) -> bool:
        return self.credentials.telegram_configured

    def add_routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            supplied = request.headers.get(SECRET_HEADER, "")
            if not secrets_match(supplied, self.credentials.telegram_secret_token):
                logger.warning("Rejected a Telegram webhook with a missing or wrong secret token")
                return response.json({"error": "invalid secret token"}, status=403)
            try:
                require_json(request.headers.get("Content-Type", ""))
                chat_id, text = chat_and_text(parse_json_object(request.body, '{"update_id": 1, "message": {...}}'))
                if chat_id is None or not text or not text.strip():
                    return response.text("success")  # stickers, photos: nothing to answer
                output = ClinicTelegramOutput(self.credentials)
                try:
                    await on_new_message(UserMessage(text, output, str(chat_id), input_channel=self.name()))
                finally:
                    await output.close()
            except (RequestRefusedError, AssistantUnavailableError) as error:
                return error_response(error)
            return response.text("success")

    def get_output_channel(self) -> ClinicTelegramOutput:
        return ClinicTelegramOutput(self.credentials)
