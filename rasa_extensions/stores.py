"""Tracker and lock stores configured from settings.py.

Rasa's YAML cannot give an environment variable a default, so endpoints.yml
names these classes and they read TRACKER_STORE_URL / LOCK_STORE_URL (with
the settings defaults) themselves. The conversation store also forgets a
visitor's details once their request is sent (redaction.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Type

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from rasa_extensions.rasa_internals import require_rasa_version
from rasa_extensions.redaction import forgets_visitor_details, redact_events
from settings import get_settings

require_rasa_version("ConfiguredSQLTrackerStore.session_scope")
logger = logging.getLogger(__name__)


@cache
def event_class(type_name: str) -> Optional[Type[Event]]:
    """The Event class for a stored type name (None for retired types).

    Rasa looks this up by walking every Event subclass for every stored
    event; with a few hundred events per conversation that walk was a fifth
    of the server's time per message (benchmarks/README.md).
    """
    return Event.resolve_by_type(type_name)


def deserialise_events(serialised: Iterable[Dict[str, Any]]) -> List[Event]:
    """Rasa's `deserialise_events`, with the class lookup cached."""
    events: List[Event] = []
    for parameters in serialised:
        if "event" not in parameters:
            continue
        found = event_class(parameters["event"])
        event = found._from_parameters(parameters) if found else None
        if event:
            events.append(event)
        else:
            logger.warning("Skipped a stored event that could not be read (type %s)", parameters.get("event"))
    return events


def use_write_ahead_log(engine: Engine) -> None:
    """Put a SQLite conversation store in WAL mode with synchronous=NORMAL.

    A commit then appends to the log without waiting for the disk to flush
    (the flush was about 2 ms of every message), readers no longer block the
    writer, and a crash or restart of the server still loses nothing: only
    a power cut or an operating-system crash can lose the last messages,
    the usual trade for a conversation log. Booking requests are kept in
    their own outbox, which keeps SQLite's full flush.
    """

    # SQLite opens a connection per session here (SQLAlchemy's NullPool), so
    # only what lasts a connection is set on each one; the journal mode is
    # kept in the file and set once.
    @event.listens_for(engine, "connect")
    def _synchronous_normal(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA synchronous=NORMAL")

    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def is_sqlite_file(url: URL) -> bool:
    return url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:")


def sqlite_engine_keeping_connections(url: URL) -> Engine:
    """An engine for a SQLite file that keeps its connections open between sessions.

    SQLAlchemy 1.4 (Rasa 3.6's) opens and closes a SQLite file's connection
    for every session; reading and saving a conversation are two sessions,
    and opening them (with their PRAGMA) was about a sixth of the event
    loop's time per message (benchmarks/README.md). A pool is what
    SQLAlchemy 2.0 uses for SQLite files. A pooled connection serves one
    session at a time, so no two threads ever use it at once, which is
    what SQLite's same-thread check guards against.
    """
    return create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})


class MissingSchemaError(RuntimeError):
    """POSTGRESQL_SCHEMA names a schema the conversation database does not have."""


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """Stores conversations at TRACKER_STORE_URL (SQLite file by default)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = get_settings().tracker_store_url
        parsed = make_url(url)
        if is_sqlite_file(parsed):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        logger.info("Conversations are stored in %s", parsed.render_as_string(hide_password=True))
        # A host containing "://" is used by SQLTrackerStore as the full URL.
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        if is_sqlite_file(parsed):
            # Rasa has created the tables; conversations go through the pooled engine.
            self.engine = sqlite_engine_keeping_connections(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)
        if parsed.drivername.startswith("sqlite"):
            use_write_ahead_log(self.engine)

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Session]:
        """Rasa's session scope, minus its `except ValueError: sys.exit(1)`.

        Rasa 3.6 meant that clause for one case, a missing POSTGRESQL_SCHEMA,
        but it wraps every query, and many per-conversation errors are
        ValueErrors: a sender id with a lone surrogate (UnicodeEncodeError),
        a corrupted stored event (JSONDecodeError). Each of them made the
        whole server exit. Here the schema check raises its own error and
        anything else stays an ordinary exception of that one conversation.
        """
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:
                raise MissingSchemaError(f"The PostgreSQL schema {missing} does not exist.") from None
            yield session
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events; after a turn that sent or dropped a request,
        rewrite the conversation without the visitor's details."""
        await super().save(tracker)
        if forgets_visitor_details(list(tracker.events)):
            redacted = self.redact_visitor_details(tracker.sender_id)
            logger.info("Removed the visitor's details from %s stored events of a conversation", redacted)

    def redact_visitor_details(self, sender_id: str) -> int:
        """Rewrite every stored event of the conversation as redaction.py says; how many changed."""
        with self.session_scope() as session:
            rows = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .order_by(self.SQLEvent.id)
                .all()
            )
            events = []
            for row in rows:
                try:
                    events.append(json.loads(row.data))
                except (TypeError, ValueError):
                    events.append({})  # unreadable: nothing Rasa could show either
            changed = redact_events(events)
            for position in changed:
                rows[position].data = json.dumps(events[position])
            session.commit()
        return len(changed)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        # SQLTrackerStore._retrieve with the faster deserialise_events above.
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            if not self.domain or not rows:
                return None
            events = deserialise_events(json.loads(row.data) for row in rows)
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)


class ConfiguredLockStore(LockStore):
    """Redis lock store when LOCK_STORE_URL is set, in-memory otherwise.

    Rasa instantiates a custom lock store by class path, so this class picks
    the real store in __new__ and returns it; it never exists as an instance.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        url = get_settings().lock_store_url
        if not url:
            return InMemoryLockStore()
        parsed = make_url(url)
        logger.info("Conversation locks are kept in Redis at %s", parsed.render_as_string(hide_password=True))
        return RedisLockStore(
            host=parsed.host or "localhost",
            port=parsed.port or 6379,
            db=int(parsed.database or 0),
            username=parsed.username,
            password=parsed.password,
            use_ssl=parsed.drivername == "rediss",
        )
