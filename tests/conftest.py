"""Shared fixtures: project paths, the trained model and running servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.provider_api import ProviderApi
from tests.support.servers import AssistantServers, free_port, start_assistant
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


# Channel credentials for the tests (made up; nothing leaves the machine).
CHANNEL_SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "TWILIO_NUMBER": "+16305550000",
    "TWILIO_WHATSAPP_NUMBER": "+16305550001",
    "FACEBOOK_VERIFY_TOKEN": "test-verify-token",
    "FACEBOOK_APP_SECRET": "test-facebook-app-secret",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "test-page-access-token",
    "TELEGRAM_ACCESS_TOKEN": "123456:test-telegram-token",
    "TELEGRAM_SECRET_TOKEN": "test-telegram-secret",
}


@pytest.fixture(scope="session")
def provider_api() -> Iterator[ProviderApi]:
    """Twilio's, Meta's and Telegram's APIs, played by a local HTTP server."""
    api = ProviderApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def demo_site_port() -> int:
    """Port for the demo clinic site (demo_site/serve.py), chosen before the
    Rasa server starts so that its origin can be on the CORS list."""
    return free_port()


@pytest.fixture(scope="session")
def servers(
    model_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    webhook_receiver: WebhookReceiver,
    provider_api: ProviderApi,
    demo_site_port: int,
) -> Iterator[AssistantServers]:
    """The real action server and Rasa server on free loopback ports, with the
    fixture clinic, a fixed clock, the local booking receiver and the messaging
    channels pointed at the local provider API; the demo site's origin may
    call it from a browser (CORS)."""
    state_dir = tmp_path_factory.mktemp("assistant-state")
    overrides = {
        **CHANNEL_SECRETS,
        "TWILIO_API_URL": provider_api.url,
        "FACEBOOK_API_URL": provider_api.url,
        "TELEGRAM_API_URL": provider_api.url,
        "CLINIC_DATA_FILE": str(FIXTURE_CLINIC),
        "FIXED_TIME": OPEN_TIME,
        "BOOKING_WEBHOOK_URL": webhook_receiver.url,
        "BOOKING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DELIVERY_RETRY_SECONDS": "0.2",
        "DELIVERY_RETRY_MAX_SECONDS": "1",
        "DELIVERY_POLL_SECONDS": "0.2",
        "CORS_ORIGINS": f"http://127.0.0.1:{demo_site_port}",
    }
    with start_assistant(model_path, state_dir, overrides) as running:
        yield running
