"""The website chat widget's channel: messages, history and the widget files.

Routes (under /webhooks/widget/):
* POST webhook            {"sender", "message"} -> the bot's replies (as REST)
* GET  history/<sender>   the conversation so far, to redraw it after a reload
* GET  chat-widget.js|css the widget itself, so a clinic page needs one tag

The sender id is a random UUID the widget keeps in the visitor's browser; it
is the only thing stored there, and it is what gives access to the history.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_extensions.channels.request_limits import check_client_rate, request_client_address
from rasa_extensions.channels.rest import ValidatedRestInput
from rasa_extensions.channels.visitor_input import RequestRefusedError

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
WIDGET_FILES = {"chat-widget.js": "application/javascript", "chat-widget.css": "text/css"}
# The widget makes its ids with crypto.randomUUID(); anything else is refused.
_SENDER_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        @blueprint.route("/history/<sender_id>", methods=["GET"])
        async def history(request: Request, sender_id: str) -> HTTPResponse:
            try:
                check_client_rate(request_client_address(request))
            except RequestRefusedError as error:
                return response.json({"error": error.message}, status=error.status)
            if not _SENDER_ID.match(sender_id):
                return response.json({"error": "unknown conversation id"}, status=400)
            tracker_store = request.app.ctx.agent.tracker_store
            tracker = await tracker_store.retrieve(sender_id)
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
