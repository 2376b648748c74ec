"""Delivers stored requests to the clinic's booking system by signed webhook.

Each request is POSTed as JSON with an `Idempotency-Key` (the request id) and
an HMAC-SHA256 signature over "<timestamp>.<body>". A 2xx answer marks it
delivered; anything else (an error status, a dropped connection, a timeout)
schedules a retry with exponential backoff. Because the state lives in the
outbox database, retries continue after a restart, and a receiver that
honours the idempotency key never books the same request twice even if an
acknowledgement is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Optional

import aiohttp

from actions.outbox import Outbox, StoredRequest, utc_now

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Clinic-Signature"
TIMESTAMP_HEADER = "X-Clinic-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does to check a delivery (used by the tests and the README)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped."""

    base_seconds: float = 10.0
    max_seconds: float = 900.0

    def next_attempt(self, attempts_so_far: int, now: Optional[datetime] = None) -> datetime:
        delay = min(self.max_seconds, self.base_seconds * (2**attempts_so_far))
        delay *= random.uniform(0.8, 1.2)
        return (now or utc_now()) + timedelta(seconds=delay)


class WebhookDelivery:
    """Sends outbox requests to the configured webhook until acknowledged."""

    def __init__(
        self,
        outbox: Outbox,
        webhook_url: str,
        secret: str,
        retry: RetryPolicy,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.outbox = outbox
        self.webhook_url = webhook_url
        self.secret = secret
        self.retry = retry
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        # A lease longer than one attempt, so a crashed worker's claim expires.
        self.lease = timedelta(seconds=timeout_seconds * 3)

    def headers_for(self, request: StoredRequest, body: bytes) -> Dict[str, str]:
        timestamp = str(int(time.time()))
        return {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: request.id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }

    async def send(self, session: aiohttp.ClientSession, request: StoredRequest) -> None:
        """One delivery attempt; records the outcome in the outbox."""
        body = json.dumps(request.payload, separators=(",", ":")).encode("utf-8")
        try:
            async with session.post(self.webhook_url, data=body, headers=self.headers_for(request, body)) as response:
                if 200 <= response.status < 300:
                    await asyncio.to_thread(self.outbox.mark_delivered, request.id)
                    logger.info("Delivered request %s", request.reference)
                    return
                error = f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exception:
            error = f"{type(exception).__name__}: {exception}"
        retry_at = self.retry.next_attempt(request.attempts)
        await asyncio.to_thread(self.outbox.mark_failed, request.id, error, retry_at)
        logger.warning(
            "Delivery of request %s failed (%s); retrying at %s",
            request.reference,
            error,
            retry_at.isoformat(timespec="seconds"),
        )

    async def deliver_due(self) -> int:
        """Send every request that is due now; returns how many were attempted."""
        attempted = 0
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            while True:
                request = await asyncio.to_thread(self.outbox.claim_next_due, self.lease)
                if request is None:
                    return attempted
                await self.send(session, request)
                attempted += 1

    async def run_forever(self, poll_seconds: float) -> None:
        """The background loop started with the action server."""
        logger.info("Delivering visitor requests to the booking webhook")
        while True:
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Delivery loop error; will retry")
            await asyncio.sleep(poll_seconds)
