"""Socket.IO for custom front ends, open only to the configured web origins.

Rasa's stock connector disables the origin check (`cors_allowed_origins=[]`),
so any website could open a socket to the assistant from a visitor's
browser. This one applies the same CORS_ORIGINS list as the HTTP routes.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from rasa_extensions.understanding_cache import reuse_understanding
from settings import get_settings


class OriginCheckedSocketIOInput(SocketIOInput):
    """Rasa's Socket.IO channel with the browser origin checked."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(reuse_understanding(on_new_message))
        # Engine.IO reads this on every handshake; requests without an Origin
        # header (servers, apps) are not affected.
        self.sio.eio.cors_allowed_origins = list(get_settings().cors_origins)
        return blueprint
