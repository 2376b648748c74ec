"""Socket.IO for custom front ends, open only to the configured web origins.

Rasa's stock connector disables the origin check (`cors_allowed_origins=[]`),
so any website could open a socket to the assistant from a visitor's
browser, and hands whatever a client emits to the assistant unchecked. This
one applies the same CORS_ORIGINS list as the HTTP routes and sends every
message through the same checks as the other channels
(`channel_support.assistant_entry`); a refused or failed message is answered
with an `error` event ({"status": 400, "error": "..."}) on that socket only.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, Optional

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from rasa_extensions.channels.channel_support import (
    UNAVAILABLE_MESSAGE,
    AssistantUnavailableError,
    OnNewMessage,
    assistant_entry,
)
from rasa_extensions.channels.request_limits import check_client_rate, client_address
from rasa_extensions.channels.visitor_input import RequestRefusedError
from settings import get_settings

ERROR_EVENT = "error"


class OriginCheckedSocketIOInput(SocketIOInput):
    """Rasa's Socket.IO channel with the browser origin and every message checked."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        handle = assistant_entry(on_new_message)
        settings = get_settings()
        # Engine.IO reads the origins on every handshake; requests without an
        # Origin header (servers, apps) are not affected.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(settings.cors_origins),
            max_http_buffer_size=settings.max_request_bytes,
        )
        self.sio = sio
        # The client address of each connection, for the per-client rate limit.
        addresses: Dict[str, str] = {}
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]]) -> bool:
            request = environ["sanic.request"]
            address = client_address(request.ip, request.headers.get("X-Forwarded-For", ""), settings.trusted_proxies)
            try:
                check_client_rate(address)
            except RequestRefusedError:
                return False
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                if not token or decode_bearer_token(token, self.jwt_key, self.jwt_algorithm) is None:
                    return False
            addresses[sid] = address
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            addresses.pop(sid, None)

        def within_rate(sid: str) -> None:
            check_client_rate(addresses.get(sid, sid))

        async def refuse(sid: str, status: int, message: str) -> None:
            await sio.emit(ERROR_EVENT, {"status": status, "error": message}, room=sid, namespace=self.namespace)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Optional[Dict[str, Any]]) -> None:
            try:
                within_rate(sid)
            except RequestRefusedError as error:
                await refuse(sid, error.status, error.message)
                return
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if session_id is None:
                session_id = uuid.uuid4().hex
            if not isinstance(session_id, str) or not session_id:
                await refuse(sid, 400, "'session_id' must be a string.")
                return
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                await refuse(sid, 400, 'Send a JSON object like {"message": "...", "session_id": "..."}.')
                return
            sender_id = data.get("session_id") if self.session_persistence else sid
            if not isinstance(sender_id, str) or not sender_id:
                await refuse(sid, 400, "Send a session_request first and include its session_id.")
                return
            text = data.get("message")
            if not isinstance(text, str):
                await refuse(sid, 400, "'message' is required and must be a string.")
                return
            message = UserMessage(
                text,
                SocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=data.get(self.metadata_key),
            )
            try:
                within_rate(sid)
                await handle(message)
            except RequestRefusedError as error:
                await refuse(sid, error.status, error.message)
            except AssistantUnavailableError:
                await refuse(sid, 503, UNAVAILABLE_MESSAGE)

        return socketio_webhook
