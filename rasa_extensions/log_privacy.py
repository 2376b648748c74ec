"""No personal data in the logs, whichever library writes them.

`install()` (called once by each server: rasa_command.py and actions/server.py)
replaces the log record factory, so every record of every logger, Rasa's
own warnings included (warnings are routed through logging), is cleaned
when it is created, before any handler or format sees it:

* the conversation id and the text of the message being handled
  (`about_message`, set by channel_support.assistant_entry) become
  "conversation <keyed hash>" and "[message]";
* the values Rasa's structured logs carry under text-like keys (user_text,
  parse_data_text, rasa_event, ...) become "[redacted]";
* SQL parameters quoted in database errors, email addresses and phone
  numbers (the same library the forms validate them with) are removed;
* a traceback is formatted and cleaned the same way.

Conversation ids appear in logs only as `conversation_reference(id)`: a
keyed hash (CONVERSATION_SECRET), so a phone number used as an id cannot be
recovered by hashing every phone number.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import traceback
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Callable, Iterator, Optional, Tuple

import phonenumbers

from settings import get_settings

# Keys under which Rasa's structured logs (structlog) put what visitors typed
# (rasa/utils/log_utils.py lists them for its own anonymization plugin), and
# conversation ids.
_TEXT_KEYS = frozenset(
    "text response_text user_text slot_values parse_data_text parse_data_entities prediction_events "
    "tracker_latest_message prefilled_slots message response slot_candidates rasa_event rasa_events "
    "tracker_states current_states old_states successes current_entity next_entity states entity "
    "token_text user_message json_message".split()
)
_ID_KEYS = frozenset({"sender_id", "conversation_id"})
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\(|\[|$))", re.DOTALL)
_EMAIL = re.compile(r"[^\s<>()\[\],;:'\"]+@[^\s<>()\[\],;:'\"]+\.[A-Za-z]{2,}")
_SEVEN_DIGITS = re.compile(r"(?:\d\D{0,3}){7}")
DEFAULT_PHONE_REGION = "US"

_current: ContextVar[Optional[Tuple[str, str]]] = ContextVar("message_being_handled", default=None)


@lru_cache(maxsize=1)
def _reference_key() -> bytes:
    # Without a configured secret (a process that never logs ids across
    # restarts), a random key still keeps the hash from being reversed.
    return get_settings().conversation_secret.encode() or secrets.token_bytes(32)


def conversation_reference(sender_id: str) -> str:
    """A short keyed hash of a conversation id, the only form ids take in logs."""
    digest = hmac.new(_reference_key(), sender_id.encode("utf-8", errors="replace"), hashlib.sha256)
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def about_message(sender_id: str, text: str) -> Iterator[None]:
    """Log records created inside the block name this conversation and message
    only in cleaned form."""
    token = _current.set((sender_id, text))
    try:
        yield
    finally:
        _current.reset(token)


def _without_phone_numbers(text: str) -> str:
    if not _SEVEN_DIGITS.search(text):
        return text
    # VALID, as the forms read numbers: timestamps and ids are not taken for phones.
    found = phonenumbers.PhoneNumberMatcher(text, DEFAULT_PHONE_REGION, leniency=phonenumbers.Leniency.VALID)
    for match in sorted(found, key=lambda match: match.start, reverse=True):
        text = text[: match.start] + "[phone]" + text[match.end :]
    return text


def _without_structured_values(text: str) -> str:
    """A structlog JSON line with its text-like values redacted."""
    if not text.startswith("{"):
        return text
    try:
        fields = json.loads(text)
    except ValueError:
        return text
    if not isinstance(fields, dict):
        return text
    for key in fields.keys() & _TEXT_KEYS:
        fields[key] = "[redacted]"
    for key in fields.keys() & _ID_KEYS:
        fields[key] = f"conversation {conversation_reference(str(fields[key]))}"
    return json.dumps(fields)


def clean(text: str) -> str:
    """`text` without the personal data this module knows how to find."""
    current = _current.get()
    if current is not None:
        sender_id, message = current
        for form in {message, json.dumps(message)[1:-1], json.dumps(message, ensure_ascii=False)[1:-1]}:
            if len(form.strip()) > 1:
                text = text.replace(form, "[message]")
        text = text.replace(sender_id, f"conversation {conversation_reference(sender_id)}")
    text = _without_structured_values(text)
    text = _SQL_PARAMETERS.sub("[parameters: redacted]", text)
    text = _EMAIL.sub("[email]", text)
    return _without_phone_numbers(text)


def _cleaning_factory(make_record: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_clean_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            record.msg, record.args = clean(record.getMessage()), None
        except Exception:  # a record that cannot be formatted is dropped to its template
            record.msg, record.args = clean(str(record.msg)), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = clean("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    make_clean_record.cleans_logs = True  # type: ignore[attr-defined]
    return make_clean_record


def install() -> None:
    """Clean every log record of this process from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "cleans_logs", False):
        logging.setLogRecordFactory(_cleaning_factory(factory))
    # Rasa's warnings (rasa.shared.utils.io.raise_warning) go through logging,
    # and so through the cleaning above.
    logging.captureWarnings(True)
