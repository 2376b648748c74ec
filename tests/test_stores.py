"""Conversation and lock stores configured from the environment, on real servers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, List

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event
from sqlalchemy.engine import Engine

from rasa_extensions.stores import ConfiguredLockStore, ConfiguredSQLTrackerStore
from settings import get_settings
from tests.support.databases import outbox_database, postgres_database
from tests.support.project_data import PROJECT_DIR

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def round_trip(url: str, monkeypatch: pytest.MonkeyPatch) -> DialogueStateTracker:
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    get_settings.cache_clear()
    tracker = DialogueStateTracker.from_events(
        "visitor-1", [UserUttered("does it hurt?"), SlotSet("visitor_name", "Dana")], slots=DOMAIN.slots
    )
    await ConfiguredSQLTrackerStore(domain=DOMAIN).save(tracker)
    # A new store, as after a restart, reads the same conversation back.
    restored = await ConfiguredSQLTrackerStore(domain=DOMAIN).retrieve("visitor-1")
    assert restored is not None
    return restored


async def test_conversations_persist_in_sqlite_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    restored = await round_trip(f"sqlite:///{tmp_path / 'nested' / 'conversations.db'}", monkeypatch)
    assert restored.get_slot("visitor_name") == "Dana"
    assert (tmp_path / "nested" / "conversations.db").exists()


async def test_sqlite_conversations_use_the_write_ahead_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    database = tmp_path / "conversations.db"
    restored = await round_trip(f"sqlite:///{database}", monkeypatch)
    assert restored.latest_message.text == "does it hurt?"
    store = ConfiguredSQLTrackerStore(domain=DOMAIN)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_sqlite_store_keeps_one_connection_open_across_conversations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    opened: List[object] = []

    def count(connection: object, _record: object) -> None:
        opened.append(connection)

    event.listen(Engine, "connect", count)
    request.addfinalizer(lambda: event.remove(Engine, "connect", count))
    store, other_worker = ConfiguredSQLTrackerStore(domain=DOMAIN), ConfiguredSQLTrackerStore(domain=DOMAIN)
    opened.clear()
    for number in range(5):
        tracker = DialogueStateTracker.from_events(f"visitor-{number}", [UserUttered("hi")], slots=DOMAIN.slots)
        await store.save(tracker)
        assert await store.retrieve(f"visitor-{number}") is not None
    # Rasa 3.6 alone opens a connection for every read and every save (ten here).
    assert len(opened) <= 1
    # Another worker's store, with its own connection, reads what this one wrote.
    restored = await other_worker.retrieve("visitor-4")
    assert restored is not None and restored.latest_message.text == "hi"


async def test_conversations_persist_in_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    with postgres_database() as url:
        restored = await round_trip(url, monkeypatch)
    assert restored.latest_message.text == "does it hurt?"


def test_lock_store_is_in_memory_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    assert isinstance(ConfiguredLockStore(), InMemoryLockStore)


async def test_lock_store_uses_redis_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCK_STORE_URL", REDIS_URL)
    store = ConfiguredLockStore()
    assert isinstance(store, RedisLockStore)
    async with store.lock("visitor-lock-test", lock_lifetime=5):
        assert store.get_lock("visitor-lock-test") is not None
        assert store.red.ping()
    store.delete_lock("visitor-lock-test")


async def test_a_stored_conversation_reads_back_exactly_as_rasa_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    get_settings.cache_clear()
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("how much is it?", {"name": "faq", "confidence": 0.9}),
        SlotSet("visitor_name", "Dana"),
        BotUttered("Prices start at a consultation.", {"buttons": [{"title": "Book", "payload": "/book"}]}),
        ActiveLoop("booking_form"),
        ActionExecuted("action_listen"),
    ]
    await ConfiguredSQLTrackerStore(domain=DOMAIN).save(DialogueStateTracker.from_events("v", events, DOMAIN.slots))
    ours = await ConfiguredSQLTrackerStore(domain=DOMAIN).retrieve("v")
    rasas = await SQLTrackerStore(domain=DOMAIN, host=url).retrieve("v")
    assert ours is not None and rasas is not None
    # Both read the latest session: everything from SessionStarted on.
    assert list(ours.events) == list(rasas.events) == events[1:]
    assert ours.current_state() == rasas.current_state()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_bad_conversation_is_an_error_of_that_conversation_not_an_exit(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa 3.6's session scope turns every ValueError into sys.exit(1)."""
    with outbox_database(kind, tmp_path) as url:
        monkeypatch.setenv("TRACKER_STORE_URL", url)
        get_settings.cache_clear()
        store = ConfiguredSQLTrackerStore(domain=DOMAIN)
        with pytest.raises(UnicodeEncodeError):
            await store.retrieve("x\udfff")
        with store.session_scope() as session:
            session.add(store.SQLEvent(sender_id="corrupted", type_name="user", timestamp=1.0, data="{not json"))
            session.commit()
        with pytest.raises(json.JSONDecodeError):
            await store.retrieve("corrupted")
        # The store goes on serving other conversations.
        await store.save(DialogueStateTracker.from_events("fine", [UserUttered("hi")], slots=DOMAIN.slots))
        restored = await store.retrieve("fine")
        assert restored is not None and restored.latest_message.text == "hi"
        store.engine.dispose()
