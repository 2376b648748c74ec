"""Count and purge stored conversations past the retention period.

    python -m staff.conversations count
    python -m staff.conversations purge [--older-than-days 90]

Reads TRACKER_STORE_URL like the Rasa server (default: var/conversations.db;
PostgreSQL in production). `purge` deletes every conversation whose last
message is older than --older-than-days, by default CONVERSATION_RETENTION_DAYS
(90): all of its stored events, so nothing of it remains. `make purge` runs
it; run it on a schedule (e.g. daily from cron).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settings import get_settings

SECONDS_PER_DAY = 24 * 60 * 60
# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent):
# one row per event, its time as a Unix timestamp.
EVENTS = sa.table("events", sa.column("sender_id", sa.String), sa.column("timestamp", sa.Float))


def _last_message_before(cutoff: float) -> sa.sql.Select:
    """The ids of the conversations whose newest event is older than `cutoff`."""
    return sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(sa.func.max(EVENTS.c.timestamp) < cutoff)


def count_conversations(engine: Engine) -> int:
    if not sa.inspect(engine).has_table("events"):
        return 0
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(sa.distinct(EVENTS.c.sender_id)))).scalar_one()


def purge_conversations(engine: Engine, older_than_days: float, now: Optional[float] = None) -> int:
    """Delete the conversations whose last event is older than the period; how many."""
    if not sa.inspect(engine).has_table("events"):
        return 0
    cutoff = (time.time() if now is None else now) - older_than_days * SECONDS_PER_DAY
    with engine.begin() as connection:
        expired = connection.execute(sa.select(sa.func.count()).select_from(_last_message_before(cutoff).subquery()))
        count = expired.scalar_one()
        connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(_last_message_before(cutoff))))
    return count


def main(argv: Optional[List[str]] = None, stream: TextIO = sys.stdout) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m staff.conversations", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("count", help="how many conversations are stored")
    purge = commands.add_parser("purge", help="delete conversations past the retention period")
    purge.add_argument(
        "--older-than-days",
        type=float,
        default=settings.conversation_retention_days,
        help=f"default: CONVERSATION_RETENTION_DAYS ({settings.conversation_retention_days})",
    )
    args = parser.parse_args(argv)
    engine = sa.create_engine(settings.tracker_store_url, future=True)
    try:
        if args.command == "count":
            print(f"{count_conversations(engine)} conversation(s) stored.", file=stream)
        else:
            removed = purge_conversations(engine, args.older_than_days)
            print(f"Deleted {removed} conversation(s) older than {args.older_than_days:g} days.", file=stream)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
