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

import hmac
import logging
from typing import Any, Awaitable, Callable

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Update
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import ConfiguredInputChannel
from rasa_extensions.channels.rest import conversation_reference
from settings import ChannelCredentials

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ClinicTelegramOutput(TelegramOutput):
    """Telegram's Bot API client, pointed at TELEGRAM_API_URL when set (tests)."""

    def __init__(self, credentials: ChannelCredentials) -> None:
        super().__init__(credentials.telegram_access_token)
        if credentials.telegram_api_url:
            self.server = TelegramAPIServer.from_base(credentials.telegram_api_url)


class VerifiedTelegramInput(ConfiguredInputChannel):
    """Telegram webhook (/webhooks/telegram/webhook) checked by secret token."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def is_configured(self) -> bool:
        return self.credentials.telegram_configured

    def add_routes(self, blueprint: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            supplied = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(supplied, self.credentials.telegram_secret_token):
                logger.warning("Rejected a Telegram webhook with a missing or wrong secret token")
                return response.json({"error": "invalid secret token"}, status=403)
            update = Update(**(request.json or {}))
            if update.callback_query is not None:
                message, text = update.callback_query.message, update.callback_query.data
            else:
                message = update.message or update.edited_message
                text = message.text if message is not None else None
            if message is None or not text:
                return response.text("success")  # stickers, photos: nothing to answer
            sender = str(message.chat.id)
            output = ClinicTelegramOutput(self.credentials)
            try:
                await on_new_message(UserMessage(text, output, sender, input_channel=self.name()))
            except Exception as error:
                logger.error("Telegram message failed (conversation %s): %s",
                             conversation_reference(sender), type(error).__name__)  # fmt: skip
            finally:
                await output.close()
            return response.text("success")

    def get_output_channel(self) -> ClinicTelegramOutput:
        return ClinicTelegramOutput(self.credentials)
