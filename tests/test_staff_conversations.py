"""The retention command deletes conversations past the period, in SQLite
and in PostgreSQL (staff/conversations.py)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.stores import ConfiguredSQLTrackerStore
from settings import get_settings
from staff.conversations import SECONDS_PER_DAY, main
from tests.support.databases import outbox_database
from tests.support.project_data import PROJECT_DIR

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def store_conversation(store: ConfiguredSQLTrackerStore, sender: str, *days_ago: float) -> None:
    """A conversation with a message on each of the days, that many days ago."""
    events = [UserUttered("my name is Dana", timestamp=time.time() - days * SECONDS_PER_DAY) for days in days_ago]
    await store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_purge_deletes_conversations_older_than_the_retention_period(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with outbox_database(kind, tmp_path) as url:
        monkeypatch.setenv("TRACKER_STORE_URL", url)
        get_settings.cache_clear()
        store = ConfiguredSQLTrackerStore(domain=DOMAIN)
        await store_conversation(store, "recent", 2)
        await store_conversation(store, "last-spring", 201, 200)
        # Started long ago, but still going: its last message is what counts.
        await store_conversation(store, "long-running", 120, 1)
        await store_conversation(store, "last-autumn", 91)

        report = io.StringIO()
        assert main(["purge"], stream=report) == 0  # default: CONVERSATION_RETENTION_DAYS = 90
        assert "Deleted 2 conversation(s) older than 90 days." in report.getvalue()
        with store.engine.connect() as connection:
            left = {row[0] for row in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
        assert left == {"recent", "long-running"}
        assert await store.retrieve("last-spring") is None

        report = io.StringIO()
        main(["purge", "--older-than-days", "1.5"], stream=report)
        assert "Deleted 1 conversation(s)" in report.getvalue()
        report = io.StringIO()
        main(["count"], stream=report)
        assert "1 conversation(s) stored." in report.getvalue()
        store.engine.dispose()


def test_the_command_line_reads_the_configured_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none-yet.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "staff.conversations", "purge"],
        capture_output=True, text=True, cwd=PROJECT_DIR,
        env={"TRACKER_STORE_URL": url, "CONVERSATION_RETENTION_DAYS": "30", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Deleted 0 conversation(s) older than 30 days." in result.stdout
