"""Socket.IO for custom front ends, open only to the configured web origins.

Rasa's stock connector disables the origin check (`cors_allowed_origins=[]`),
takes the conversation id from every message (so any connection could talk
in, and with session persistence listen to, any conversation whose id it
knows) and hands whatever a client emits to the assistant unchecked. This
one:

* applies the same CORS_ORIGINS list as the HTTP routes;
* binds a conversation to the connection that asked for it
  (`session_request` with a random id, or a new one): while that connection
  is open no other may take it, and a connection's messages always go to
  its own conversation;
* sends every message through the same checks as the other channels
  (`channel_support.assistant_entry`) and the per-client rate limit.

A refused or failed message is answered with an `error` event
({"status": 400, "error": "..."}) on that socket only.
"""

from __future__ import annotations

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
from rasa_extensions.channels.visitor_input import RequestRefusedError, checked_conversation_id, new_conversation_id
from settings import get_settings

ERROR_EVENT = "error"


class Connections:
    """The conversation each open connection is bound to, and its client address."""

    def __init__(self) -> None:
        self.address: Dict[str, str] = {}
        self.conversation: Dict[str, str] = {}
        self._connection: Dict[str, str] = {}

    def bind(self, sid: str, conversation: str) -> None:
        """Bind `conversation` to connection `sid`, unless another connection holds it."""
        holder = self._connection.get(conversation)
        if holder is not None and holder != sid:
            raise RequestRefusedError(409, "This conversation is open in another connection.")
        self.release(sid)
        self.conversation[sid] = conversation
        self._connection[conversation] = sid

    def release(self, sid: str) -> Optional[str]:
        """Unbind the connection's conversation (returned, if it had one)."""
        conversation = self.conversation.pop(sid, None)
        if conversation is not None:
            self._connection.pop(conversation, None)
        return conversation


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
        connections = self.connections = Connections()
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
            connections.address[sid] = address
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            connections.address.pop(sid, None)
            conversation = connections.release(sid)
            if conversation is not None:
                sio.leave_room(sid, conversation, namespace=self.namespace)

        async def refuse(sid: str, error: Exception) -> None:
            status, text = 503, UNAVAILABLE_MESSAGE
            if isinstance(error, RequestRefusedError):
                status, text = error.status, error.message
            await sio.emit(ERROR_EVENT, {"status": status, "error": text}, room=sid, namespace=self.namespace)

        @sio.on("session_request", namespace=self.namespace)
        # An event may come without data: Socket.IO then calls with the sid alone.
        async def session_request(sid: str, data: Any = None) -> None:
            try:
                check_client_rate(connections.address.get(sid, sid))
                requested = data.get("session_id") if isinstance(data, dict) else None
                conversation = new_conversation_id() if requested is None else checked_conversation_id(requested)
                self.bind(sid, conversation)
            except RequestRefusedError as error:
                await refuse(sid, error)
                return
            await sio.emit("session_confirm", conversation, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            try:
                check_client_rate(connections.address.get(sid, sid))
                message = self.user_message(sid, data)
                await handle(message)
            except (RequestRefusedError, AssistantUnavailableError) as error:
                await refuse(sid, error)

        return socketio_webhook

    def bind(self, sid: str, conversation: str) -> None:
        """Bind `conversation` to connection `sid` and put the connection in its room."""
        assert self.sio is not None
        previous = self.connections.conversation.get(sid)
        self.connections.bind(sid, conversation)
        if previous is not None and previous != conversation:
            self.sio.leave_room(sid, previous, namespace=self.namespace)
        # Replies go to the conversation's room, which only this connection is in.
        self.sio.enter_room(sid, conversation, namespace=self.namespace)

    def user_message(self, sid: str, data: Any) -> UserMessage:
        """The message `sid` emitted, for the conversation bound to it."""
        assert self.sio is not None
        if not isinstance(data, dict):
            raise RequestRefusedError(400, 'Send a JSON object like {"message": "...", "session_id": "..."}.')
        conversation = self.connections.conversation.get(sid)
        if conversation is None:
            if self.session_persistence:
                raise RequestRefusedError(400, "Send a session_request first.")
            conversation = new_conversation_id()
            self.bind(sid, conversation)
        claimed = data.get("session_id")
        if claimed is not None and claimed != conversation:
            raise RequestRefusedError(403, "This connection is bound to another conversation.")
        text = data.get("message")
        if not isinstance(text, str):
            raise RequestRefusedError(400, "'message' is required and must be a string.")
        return UserMessage(
            text,
            SocketIOOutput(self.sio, self.bot_message_evt),
            conversation,
            input_channel=self.name(),
            metadata=data.get(self.metadata_key),
        )
