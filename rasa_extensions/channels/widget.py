"""The website chat widget's channel: messages, history and the widget files.

Routes (under /webhooks/widget/):
* POST webhook            {"sender", "message"} -> the bot's replies (as REST)
* POST history            {"sender", "key"} -> the conversation so far, to
                          redraw it after a reload
* GET  chat-widget.js|css the widget itself, so a clinic page needs one tag

The widget keeps a random conversation id in the visitor's browser. The
reply to the message that starts a conversation carries its history key in
the X-Conversation-Key header (an HMAC of the id with CONVERSATION_SECRET);
the history route needs both, so knowing an id (from a log, a proxy, a
shoulder) is not enough to read what the visitor wrote, and the key is never
handed out for a conversation that already exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any, Dict, List

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.channel_support import AssistantUnavailableError, OnNewMessage, error_response
from rasa_extensions.channels.request_limits import check_client_rate, request_client_address
from rasa_extensions.channels.rest import ValidatedRestInput, read_visitor_message
from rasa_extensions.channels.visitor_input import (
    RequestRefusedError,
    checked_conversation_id,
    parse_json_object,
    require_json,
    secrets_match,
)
from settings import SettingsError, get_settings

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
WIDGET_FILES = {"chat-widget.js": "application/javascript", "chat-widget.css": "text/css"}
KEY_HEADER = "X-Conversation-Key"


def history_key(sender_id: str) -> str:
    """The key that, with the id, opens a conversation's history."""
    secret = get_settings().conversation_secret.encode()
    digest = hmac.new(secret, b"widget-history:" + sender_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


async def conversation_exists(request: Request, sender_id: str) -> bool:
    return await request.app.ctx.agent.tracker_store.retrieve(sender_id) is not None


def history_messages(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The visible messages of a conversation, oldest first."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        if event.get("event") == "user":
            # A button click is shown as the button's title, which the widget
            # sends along as metadata; other "/intent" payloads stay hidden.
            title = (event.get("metadata") or {}).get("button_title")
            text = title if isinstance(title, str) and title else event.get("text") or ""
            if text.startswith("/"):
                continue
            messages.append({"from": "user", "text": text})
        elif event.get("event") == "bot":
            data = event.get("data") or {}
            message: Dict[str, Any] = {"from": "bot", "text": event.get("text") or ""}
            if data.get("buttons"):
                message["buttons"] = data["buttons"]
            if data.get("image"):
                message["image"] = data["image"]
            messages.append(message)
    return messages


class WidgetInput(ValidatedRestInput):
    """The REST channel plus history and static files for the website widget."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    async def handle_message(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """As the REST channel, plus the history key with a new conversation's first reply."""
        try:
            visitor = read_visitor_message(request)
            starts_conversation = not await conversation_exists(request, visitor["sender"])
            messages = await self.run_visitor_message(visitor, on_new_message)
        except (RequestRefusedError, AssistantUnavailableError) as error:
            return error_response(error)
        headers = {}
        if starts_conversation:
            headers = {KEY_HEADER: history_key(visitor["sender"]), "Access-Control-Expose-Headers": KEY_HEADER}
        return response.json(messages, headers=headers)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        if not get_settings().conversation_secret:
            raise SettingsError(
                "CONVERSATION_SECRET is not set (`python settings.py --create-secrets` stores one for this "
                "installation); the widget's history keys are made with it."
            )
        blueprint = super().blueprint(on_new_message)

        @blueprint.route("/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            try:
                check_client_rate(request_client_address(request))
                require_json(request.headers.get("Content-Type", ""))
                payload = parse_json_object(request.body, '{"sender": "...", "key": "..."}')
                sender_id = checked_conversation_id(payload.get("sender"))
                key = payload.get("key")
            except RequestRefusedError as error:
                return error_response(error)
            if not secrets_match(key, history_key(sender_id)):
                return response.json({"error": "unknown conversation or wrong key"}, status=403)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            events = [event.as_dict() for event in tracker.events] if tracker else []
            return response.json({"messages": history_messages(events)})

        @blueprint.route("/<filename>", methods=["GET"])
        async def widget_file(_: Request, filename: str) -> HTTPResponse:
            if filename not in WIDGET_FILES:
                return response.json({"error": "not found"}, status=404)
            return await response.file(
                WIDGET_DIR / filename,
                mime_type=WIDGET_FILES[filename],
                headers={"Cache-Control": "public, max-age=300"},
            )

        return blueprint
