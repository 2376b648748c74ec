"""Tracker and lock stores configured from settings.py.

Rasa's YAML cannot give an environment variable a default, so endpoints.yml
names these classes and they read TRACKER_STORE_URL / LOCK_STORE_URL (with
the settings defaults) themselves.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine.url import make_url

from settings import get_settings

logger = logging.getLogger(__name__)


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
        if parsed.drivername.startswith("sqlite") and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        logger.info("Conversations are stored in %s", parsed.render_as_string(hide_password=True))
        # A host containing "://" is used by SQLTrackerStore as the full URL.
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)


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
