"""The outbox and webhook delivery, against SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from actions.delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    WebhookDelivery,
    verify_signature,
)
from actions.outbox import DELIVERED, PENDING, Outbox, utc_now
from tests.support.databases import outbox_database
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "test-webhook-secret"
PAYLOAD = {
    "visitor": {"name": "Test Visitor", "phone": "+16305550142", "email": None},
    "preferred_times": "mornings",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    with outbox_database(request.param, tmp_path) as url:
        store = Outbox.from_url(url)
        yield store
        store.engine.dispose()


def test_stored_request_keeps_payload_id_and_reference(outbox: Outbox) -> None:
    stored = outbox.store("consultation_booking", PAYLOAD)
    assert stored.status == PENDING and stored.attempts == 0
    assert stored.reference.startswith("REQ-") and len(stored.reference) == 10
    assert stored.payload["id"] == stored.id
    assert stored.payload["reference"] == stored.reference
    assert stored.payload["visitor"]["phone"] == "+16305550142"
    assert [r.id for r in outbox.list(PENDING)] == [stored.id]


def test_a_claimed_request_is_not_handed_out_twice(outbox: Outbox) -> None:
    stored = outbox.store("callback", PAYLOAD)
    first = outbox.claim_next_due(timedelta(seconds=30))
    assert first is not None and first.id == stored.id
    assert outbox.claim_next_due(timedelta(seconds=30)) is None
    # Once the lease runs out (a crashed worker), it is handed out again.
    assert outbox.claim_next_due(timedelta(seconds=30), now=utc_now() + timedelta(seconds=31)).id == stored.id


def test_failed_attempt_waits_for_its_retry_time(outbox: Outbox) -> None:
    stored = outbox.store("callback", PAYLOAD)
    outbox.claim_next_due(timedelta(seconds=30))
    outbox.mark_failed(stored.id, "HTTP 503", utc_now() + timedelta(minutes=5))
    assert outbox.claim_next_due(timedelta(seconds=30)) is None
    assert outbox.get(stored.id).attempts == 1 and outbox.get(stored.id).last_error == "HTTP 503"


def test_purge_removes_only_old_delivered_requests(outbox: Outbox) -> None:
    delivered, pending = outbox.store("callback", PAYLOAD), outbox.store("callback", PAYLOAD)
    outbox.mark_delivered(delivered.id)
    assert outbox.purge_delivered(older_than=timedelta(days=30)) == 0
    assert outbox.purge_delivered(older_than=timedelta(seconds=-1)) == 1
    assert [r.id for r in outbox.list()] == [pending.id]


def test_delivery_survives_503_and_a_dropped_connection_and_arrives_once(outbox: Outbox) -> None:
    receiver = WebhookReceiver(script=["503", "drop"]).start()
    try:
        stored = outbox.store("consultation_booking", PAYLOAD)
        delivery = WebhookDelivery(outbox, receiver.url, SECRET, RetryPolicy(base_seconds=0.05, max_seconds=0.2))

        async def deliver_until_done() -> None:
            for _ in range(100):
                await delivery.deliver_due()
                if outbox.get(stored.id).status == DELIVERED:
                    return
                await asyncio.sleep(0.05)

        asyncio.run(deliver_until_done())
    finally:
        receiver.stop()

    final = outbox.get(stored.id)
    assert final.status == DELIVERED and final.attempts == 2
    assert len(receiver.attempts) == 3
    assert list(receiver.booked) == [stored.id]
    accepted = receiver.booked[stored.id]
    assert accepted.payload == stored.payload
    assert accepted.headers[IDEMPOTENCY_HEADER.lower()] == stored.id
    assert verify_signature(
        SECRET,
        accepted.headers[TIMESTAMP_HEADER.lower()],
        accepted.body,
        accepted.headers[SIGNATURE_HEADER.lower()],
    )
    assert not verify_signature("wrong-secret", accepted.headers[TIMESTAMP_HEADER.lower()], accepted.body,
                                accepted.headers[SIGNATURE_HEADER.lower()])  # fmt: skip


def test_retry_policy_backs_off_exponentially_up_to_a_cap() -> None:
    policy, start = RetryPolicy(base_seconds=10, max_seconds=60), utc_now()
    delays = [(policy.next_attempt(n, start) - start).total_seconds() for n in range(5)]
    assert 8 <= delays[0] <= 12 and 16 <= delays[1] <= 24 and 32 <= delays[2] <= 48
    assert all(delay <= 72 for delay in delays)
