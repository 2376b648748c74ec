"""Shared fixtures: project paths, the trained model and running servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.servers import AssistantServers, start_assistant
from tests.support.webhook_receiver import WebhookReceiver

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The up-to-date trained model (`make test` trains it before pytest)."""
    given = os.environ.get("ASSISTANT_MODEL_PATH")
    if given and Path(given).exists():
        return Path(given)
    result = subprocess.run(
        [sys.executable, "scripts/train_if_stale.py"],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


WEBHOOK_SECRET = "test-webhook-secret"
FIXTURE_CLINIC = PROJECT_DIR / "tests" / "fixtures" / "clinic_complete.yml"
# A Thursday morning in Chicago: the fixture clinic is open.
OPEN_TIME = "2026-11-26T11:00:00-06:00"


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """The clinic's booking system, played by a local HTTP server."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def servers(
    model_path: Path, tmp_path_factory: pytest.TempPathFactory, webhook_receiver: WebhookReceiver
) -> Iterator[AssistantServers]:
    """The real action server and Rasa server on free loopback ports, with the
    fixture clinic, a fixed clock and the local booking receiver."""
    state_dir = tmp_path_factory.mktemp("assistant-state")
    overrides = {
        "CLINIC_DATA_FILE": str(FIXTURE_CLINIC),
        "FIXED_TIME": OPEN_TIME,
        "BOOKING_WEBHOOK_URL": webhook_receiver.url,
        "BOOKING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DELIVERY_RETRY_SECONDS": "0.2",
        "DELIVERY_RETRY_MAX_SECONDS": "1",
        "DELIVERY_POLL_SECONDS": "0.2",
    }
    with start_assistant(model_path, state_dir, overrides) as running:
        yield running
