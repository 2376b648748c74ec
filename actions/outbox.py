"""The durable outbox of visitor requests (bookings and callbacks).

A request is written here before the visitor is told it was received, and
stays until the clinic's booking system acknowledges it, so nothing is lost
when a server restarts or the receiver is down. SQLite by default, PostgreSQL
when BOOKING_OUTBOX_URL points to one; the same SQL runs on both.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

PENDING = "pending"
DELIVERED = "delivered"
# Unambiguous characters for reference codes read out over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

metadata = sa.MetaData()
requests_table = sa.Table(
    "visitor_requests",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    # SQLite hands back naive datetimes; everything here is stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def new_reference() -> str:
    return "REQ-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class StoredRequest:
    """One request as kept in the outbox."""

    id: str
    reference: str
    kind: str
    payload: Dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: Optional[str]
    created_at: datetime
    delivered_at: Optional[datetime]

    @classmethod
    def from_row(cls, row: Any) -> StoredRequest:
        return cls(
            id=row.id,
            reference=row.reference,
            kind=row.kind,
            payload=json.loads(row.payload),
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=_aware(row.next_attempt_at),
            last_error=row.last_error,
            created_at=_aware(row.created_at),
            delivered_at=_aware(row.delivered_at),
        )


def create_outbox_engine(url: str) -> Engine:
    """An engine for `url`, creating the SQLite folder and the table if needed."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


class Outbox:
    """Stores requests and hands them to the delivery worker one at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Outbox:
        return cls(create_outbox_engine(url))

    def store(self, kind: str, payload_without_ids: Dict[str, Any]) -> StoredRequest:
        """Write a new request; the returned record carries its id and reference."""
        now = utc_now()
        request_id = str(uuid.uuid4())
        for _ in range(5):
            reference = new_reference()
            payload = {"id": request_id, "reference": reference, "kind": kind, **payload_without_ids}
            payload["created_at"] = now.isoformat()
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        requests_table.insert().values(
                            id=request_id,
                            reference=reference,
                            kind=kind,
                            payload=json.dumps(payload),
                            status=PENDING,
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                return self.get(request_id)
            except sa.exc.IntegrityError:
                continue  # reference collision: draw another one
        raise RuntimeError("could not allocate a unique reference code")

    def get(self, request_id: str) -> StoredRequest:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(requests_table).where(requests_table.c.id == request_id)).one()
        return StoredRequest.from_row(row)

    def list(self, status: Optional[str] = None) -> List[StoredRequest]:
        query = sa.select(requests_table).order_by(requests_table.c.created_at)
        if status:
            query = query.where(requests_table.c.status == status)
        with self.engine.connect() as connection:
            return [StoredRequest.from_row(row) for row in connection.execute(query)]

    def claim_next_due(self, lease: timedelta, now: Optional[datetime] = None) -> Optional[StoredRequest]:
        """Lease the oldest pending request that is due, so only one worker sends it."""
        now = now or utc_now()
        due = (
            sa.select(requests_table.c.id)
            .where(requests_table.c.status == PENDING)
            .where(requests_table.c.next_attempt_at <= now)
            .where(sa.or_(requests_table.c.claimed_until.is_(None), requests_table.c.claimed_until < now))
            .order_by(requests_table.c.next_attempt_at)
            .limit(5)
        )
        with self.engine.begin() as connection:
            candidates = [row.id for row in connection.execute(due)]
        for request_id in candidates:
            with self.engine.begin() as connection:
                claimed = connection.execute(
                    requests_table.update()
                    .where(requests_table.c.id == request_id)
                    .where(requests_table.c.status == PENDING)
                    .where(sa.or_(requests_table.c.claimed_until.is_(None), requests_table.c.claimed_until < now))
                    .values(claimed_until=now + lease)
                ).rowcount
            if claimed == 1:
                return self.get(request_id)
        return None

    def mark_delivered(self, request_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                requests_table.update()
                .where(requests_table.c.id == request_id)
                .values(status=DELIVERED, delivered_at=utc_now(), claimed_until=None, last_error=None)
            )

    def mark_failed(self, request_id: str, error: str, retry_at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                requests_table.update()
                .where(requests_table.c.id == request_id)
                .values(
                    attempts=requests_table.c.attempts + 1,
                    last_error=error[:500],
                    next_attempt_at=retry_at,
                    claimed_until=None,
                )
            )

    def purge_delivered(self, older_than: timedelta) -> int:
        """Delete delivered requests older than `older_than` (data retention)."""
        cutoff = utc_now() - older_than
        with self.engine.begin() as connection:
            return connection.execute(
                requests_table.delete()
                .where(requests_table.c.status == DELIVERED)
                .where(requests_table.c.delivered_at < cutoff)
            ).rowcount
