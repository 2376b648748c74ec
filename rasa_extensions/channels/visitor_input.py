"""The one check of what a visitor sends, whatever the channel.

Every channel (REST, widget, Socket.IO, Twilio, Messenger, Telegram) hands
its messages to the assistant through `channel_support.assistant_entry`,
which checks each message's text, sender id and metadata here, so a value
one channel refuses is refused by all of them. A refused message gets a
`RequestRefusedError` with the HTTP status to answer; nothing of it is stored.

Text must be a string of valid Unicode (a JSON "\\udfff" escape decodes to a
lone surrogate, which no database can store), without NUL or other control
characters, not empty, and not longer than MAX_MESSAGE_CHARACTERS.

A conversation id the client chooses (REST, widget, Socket.IO) is the key to
that visitor's conversation, so it must be unguessable: at least 22
URL-safe characters (128 bits when random, e.g. 16 random bytes in
base64url), and not one of the shapes people type (few distinct
characters, one character repeated, a run like "12345678", a word
repeated). Ids the messaging providers assign (phone numbers, account ids)
are checked as text only.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections import Counter
from itertools import pairwise
from typing import Any, Dict, Optional

# Lone UTF-16 surrogates: valid in a Python str, not encodable as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL, except tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_SENDER_CHARACTERS = 128
MIN_CONVERSATION_ID_CHARACTERS = 22
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{%d,%d}" % (MIN_CONVERSATION_ID_CHARACTERS, MAX_SENDER_CHARACTERS))
# Thresholds no random id of 22+ characters reaches in practice (measured:
# none of a million base64url ids, uuid4 hex or uuid4 strings failed).
_MIN_DISTINCT_CHARACTERS = 8
_MAX_SHARE_OF_ONE_CHARACTER = 0.4
_MAX_SEQUENCE = 7
_REPEAT_LENGTH = 8
# The widget sends {"button_title": ...}; nothing legitimate is bigger.
MAX_METADATA_BYTES = 1024
MAX_METADATA_DEPTH = 3


class RequestRefusedError(Exception):
    """A request the assistant refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_clean_text(value: str) -> bool:
    """Whether `value` holds only storable, printable-or-whitespace characters."""
    return not _SURROGATE.search(value) and not _CONTROL.search(value)


def checked_text(value: Any, max_characters: int, field: str = "message") -> str:
    """The visitor's message text, or RequestRefusedError (400, or 413 when too long)."""
    if not isinstance(value, str):
        raise RequestRefusedError(400, f"'{field}' is required and must be a string.")
    if "\x00" in value or not is_clean_text(value):
        raise RequestRefusedError(400, f"'{field}' must be text, not binary data or invalid Unicode.")
    if not value.strip():
        raise RequestRefusedError(400, f"'{field}' is empty: please type a question.")
    if len(value) > max_characters:
        raise RequestRefusedError(413, f"'{field}' is too long: please keep it under {max_characters} characters.")
    return value


def checked_sender(value: Any, field: str = "sender") -> str:
    """A conversation id: a short string of printable characters without spaces."""
    if not isinstance(value, str) or not value.strip():
        raise RequestRefusedError(400, f"'{field}' is required: a non-empty string that identifies the conversation.")
    if len(value) > MAX_SENDER_CHARACTERS:
        raise RequestRefusedError(400, f"'{field}' must be at most {MAX_SENDER_CHARACTERS} characters.")
    if not is_clean_text(value) or not value.isprintable() or any(char.isspace() for char in value):
        raise RequestRefusedError(400, f"'{field}' must be printable text without spaces.")
    return value


def _longest_sequence(value: str) -> int:
    """The longest run of consecutive code points, up or down ('abcd', '9876')."""
    longest = up = down = 1
    for before, after in pairwise(value):
        up = up + 1 if ord(after) == ord(before) + 1 else 1
        down = down + 1 if ord(after) == ord(before) - 1 else 1
        longest = max(longest, up, down)
    return longest


def _has_repeat(value: str, length: int) -> bool:
    pieces = [value[start : start + length] for start in range(len(value) - length + 1)]
    return len(set(pieces)) < len(pieces)


def looks_random(conversation_id: str) -> bool:
    """Whether a conversation id has the shape of a random one (see the module docstring)."""
    if not _CONVERSATION_ID.fullmatch(conversation_id):
        return False
    counts = Counter(conversation_id)
    return (
        len(counts) >= _MIN_DISTINCT_CHARACTERS
        and max(counts.values()) <= _MAX_SHARE_OF_ONE_CHARACTER * len(conversation_id)
        and _longest_sequence(conversation_id) <= _MAX_SEQUENCE
        and not _has_repeat(conversation_id, _REPEAT_LENGTH)
    )


def new_conversation_id() -> str:
    """A conversation id as clients should make them: 24 random bytes, base64url."""
    return secrets.token_urlsafe(24)


def checked_conversation_id(value: Any, field: str = "sender") -> str:
    """A conversation id chosen by the client: a string that looks random."""
    checked = checked_sender(value, field)
    if not looks_random(checked):
        raise RequestRefusedError(
            400,
            f"'{field}' must be a random conversation id: at least {MIN_CONVERSATION_ID_CHARACTERS} "
            "letters, digits, '-' or '_' (e.g. 16 random bytes in base64url). Anyone who knows or "
            "guesses it can read the conversation.",
        )
    return checked


def _check_metadata_value(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if not is_clean_text(value):
            raise RequestRefusedError(400, "'metadata' must hold text, not binary data or invalid Unicode.")
    elif isinstance(value, dict):
        if depth >= MAX_METADATA_DEPTH:
            raise RequestRefusedError(400, f"'metadata' may be nested at most {MAX_METADATA_DEPTH} levels deep.")
        for key, item in value.items():
            _check_metadata_value(key, depth + 1)
            _check_metadata_value(item, depth + 1)
    elif isinstance(value, list):
        if depth >= MAX_METADATA_DEPTH:
            raise RequestRefusedError(400, f"'metadata' may be nested at most {MAX_METADATA_DEPTH} levels deep.")
        for item in value:
            _check_metadata_value(item, depth + 1)


def checked_metadata(value: Any) -> Dict[str, Any]:
    """Optional metadata: a small JSON object of text, numbers and flags."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestRefusedError(400, "'metadata' must be a JSON object when given.")
    _check_metadata_value(value, 0)
    try:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise RequestRefusedError(400, "'metadata' must be a JSON object of text, numbers and flags.") from None
    if size > MAX_METADATA_BYTES:
        raise RequestRefusedError(413, f"'metadata' must be at most {MAX_METADATA_BYTES} bytes.")
    return value


def secrets_match(supplied: Any, expected: str) -> bool:
    """Whether a secret from a request (token, key, signature) is `expected`,
    in constant time; any other type or text, however odd, is just a mismatch
    (hmac.compare_digest raises on non-ASCII str)."""
    if not isinstance(supplied, str):
        return False
    return hmac.compare_digest(supplied.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def require_json(content_type: str) -> None:
    """Refuse (415) a body not sent as application/json.

    A web page may POST text/plain to any site without asking first; a JSON
    content type makes the browser ask (CORS preflight), which only
    CORS_ORIGINS pass, so no other site can make a visitor's browser talk
    to the assistant.
    """
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise RequestRefusedError(415, "Send the body as JSON, with the header Content-Type: application/json.")


def parse_json_object(body: Optional[bytes], example: str) -> Dict[str, Any]:
    """The request body as a JSON object, or RequestRefusedError (400) naming `example`."""
    try:
        payload = json.loads(body or b"")
    # RecursionError: deeply nested arrays exhaust the parser's stack.
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestRefusedError(400, f"The request body must be JSON like {example}.") from None
    if not isinstance(payload, dict):
        raise RequestRefusedError(400, f"The request body must be a JSON object like {example}.")
    return payload
