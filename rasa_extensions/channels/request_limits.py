"""Rate limits: messages per conversation and requests per client address.

A visitor types a message every few seconds at most; a script posting in a
loop does not. Each Rasa server process counts, over the last minute, the
messages of each conversation (CONVERSATION_MESSAGES_PER_MINUTE, every
channel) and the requests of each client address
(CLIENT_REQUESTS_PER_MINUTE, the routes browsers call: REST, widget,
Socket.IO), and answers 429 beyond them. The messaging providers' webhooks
have no per-address limit: all their messages come from the provider.

The client address is the connection's peer, or, when the peer is one of
TRUSTED_PROXIES, the last address in X-Forwarded-For that is not itself a
trusted proxy. From anyone else the header is ignored, so a client cannot
pick the address it is counted under.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque
from functools import lru_cache
from typing import Deque, Iterable, Optional

from sanic.request import Request

from rasa_extensions.channels.visitor_input import RequestRefusedError
from settings import IpNetwork, get_settings

WINDOW_SECONDS = 60.0
# Beyond this many conversations or addresses, the least recently seen are
# forgotten, so the counters cannot grow without bound.
MAX_TRACKED_KEYS = 100_000


class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, Deque[float]] = OrderedDict()
        # Socket.IO and HTTP handlers share one loop, but keep it safe anyway.
        self._lock = threading.Lock()

    def allow(self, key: str, now: Optional[float] = None) -> bool:
        """Count one event for `key` if it is within the limit; whether it was."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None:
                events = self._events[key] = deque()
                if len(self._events) > self.max_keys:
                    self._events.popitem(last=False)
            else:
                self._events.move_to_end(key)
            while events and events[0] <= moment - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(moment)
            return True


def _is_trusted(address: str, trusted: Iterable[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str, forwarded_for: str, trusted: Iterable[IpNetwork]) -> str:
    """Who sent a request: `peer`, or the client a trusted proxy names."""
    trusted = tuple(trusted)
    if not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed header: count the proxy itself
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def request_client_address(request: Request) -> str:
    return client_address(request.ip, request.headers.get("X-Forwarded-For", ""), get_settings().trusted_proxies)


@lru_cache(maxsize=1)
def _conversation_limiter() -> RateLimiter:
    return RateLimiter(get_settings().conversation_messages_per_minute)


@lru_cache(maxsize=1)
def _client_limiter() -> RateLimiter:
    return RateLimiter(get_settings().client_requests_per_minute)


def check_conversation_rate(sender_id: str) -> None:
    """RequestRefusedError (429) when the conversation sent too many messages this minute."""
    if not _conversation_limiter().allow(sender_id):
        raise RequestRefusedError(429, "Too many messages at once: please wait a minute before sending another.")


def check_client_rate(address: str) -> None:
    """RequestRefusedError (429) when this client address made too many requests this minute."""
    if not _client_limiter().allow(address):
        raise RequestRefusedError(429, "Too many requests from your network: please wait a minute and try again.")
