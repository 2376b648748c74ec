"""Every setting the assistant reads from the environment, with its default.

This is the only module that reads environment variables. The defaults run
everything on one machine with no extra servers: SQLite files under `var/`,
an in-memory lock store, the action server on localhost. Production sets the
variables listed in README "Configuration".

`python settings.py --export` prints shell `export` lines for the values that
Rasa's own YAML files (endpoints.yml) reference as ${VARIABLES} and that the
run script uses, so the scripts and Rasa get the same defaults as the Python
code.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

PROJECT_DIR = Path(__file__).resolve().parent
STATE_DIR = PROJECT_DIR / "var"


def _sqlite_url(filename: str) -> str:
    return f"sqlite:///{STATE_DIR / filename}"


def _csv(value: str) -> Tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class ChannelCredentials:
    """Messaging-channel secrets; a channel with no credentials stays off."""

    # Twilio SMS and WhatsApp. TWILIO_WEBHOOK_URL is the public URL Twilio
    # calls, needed to check its signature behind a proxy.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_whatsapp_number: str = ""
    twilio_webhook_url: str = ""
    # Facebook Messenger.
    facebook_verify_token: str = ""
    facebook_app_secret: str = ""
    facebook_page_access_token: str = ""
    # Telegram. TELEGRAM_SECRET_TOKEN is the secret_token given to setWebhook.
    telegram_access_token: str = ""
    telegram_secret_token: str = ""
    # Provider API base URLs; only tests change them (to a local server).
    twilio_api_url: str = ""
    facebook_api_url: str = ""
    telegram_api_url: str = ""

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_number)

    @property
    def facebook_configured(self) -> bool:
        return bool(self.facebook_verify_token and self.facebook_app_secret and self.facebook_page_access_token)

    @property
    def telegram_configured(self) -> bool:
        return bool(self.telegram_access_token and self.telegram_secret_token)


@dataclass(frozen=True)
class Settings:
    """All configuration, read once from the environment."""

    clinic_data_file: Path = PROJECT_DIR / "clinic" / "clinic.yml"
    rasa_port: int = 5005
    action_server_port: int = 5055
    action_server_url: str = "http://localhost:5055/webhook"
    # Shared secret the Rasa server sends to the action server; empty = open
    # (fine on loopback, set it whenever the action server is reachable).
    action_server_token: str = ""
    demo_site_port: int = 8080
    # Origins allowed to call the assistant from a browser (the widget).
    cors_origins: Tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")
    tracker_store_url: str = field(default_factory=lambda: _sqlite_url("conversations.db"))
    # redis://host:port/db for several Rasa workers; empty = in-memory locks.
    lock_store_url: str = ""
    booking_outbox_url: str = field(default_factory=lambda: _sqlite_url("booking_outbox.db"))
    booking_webhook_url: str = ""
    booking_webhook_secret: str = ""
    # First retry delay after a failed delivery; doubles each time up to the max.
    delivery_retry_seconds: float = 10.0
    delivery_retry_max_seconds: float = 900.0
    delivery_poll_seconds: float = 2.0
    # Fixed "now" (ISO 8601) for demos and tests of opening hours; empty = real clock.
    fixed_time: str = ""
    # Longest visitor message accepted; longer ones get a clear HTTP 413.
    max_message_characters: int = 5000
    log_level: str = "INFO"
    channels: ChannelCredentials = field(default_factory=ChannelCredentials)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Build settings from environment variables, falling back to defaults."""
        defaults = cls()

        def text(name: str, default: str) -> str:
            return environ.get(name, default).strip()

        def number(name: str, default: float) -> float:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number, got {raw!r}") from None

        def integer(name: str, default: int) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None

        cors = environ.get("CORS_ORIGINS")
        demo_site_port = integer("DEMO_SITE_PORT", defaults.demo_site_port)
        return cls(
            clinic_data_file=Path(text("CLINIC_DATA_FILE", str(defaults.clinic_data_file))),
            rasa_port=integer("RASA_PORT", defaults.rasa_port),
            action_server_port=integer("ACTION_SERVER_PORT", defaults.action_server_port),
            action_server_url=text(
                "ACTION_SERVER_URL",
                f"http://localhost:{integer('ACTION_SERVER_PORT', defaults.action_server_port)}/webhook",
            ),
            action_server_token=text("ACTION_SERVER_TOKEN", ""),
            demo_site_port=demo_site_port,
            # By default only the demo clinic page may use the widget.
            cors_origins=_csv(cors)
            if cors is not None
            else (f"http://localhost:{demo_site_port}", f"http://127.0.0.1:{demo_site_port}"),
            tracker_store_url=text("TRACKER_STORE_URL", defaults.tracker_store_url),
            lock_store_url=text("LOCK_STORE_URL", ""),
            booking_outbox_url=text("BOOKING_OUTBOX_URL", defaults.booking_outbox_url),
            booking_webhook_url=text("BOOKING_WEBHOOK_URL", ""),
            booking_webhook_secret=text("BOOKING_WEBHOOK_SECRET", ""),
            delivery_retry_seconds=number("DELIVERY_RETRY_SECONDS", defaults.delivery_retry_seconds),
            delivery_retry_max_seconds=number("DELIVERY_RETRY_MAX_SECONDS", defaults.delivery_retry_max_seconds),
            delivery_poll_seconds=number("DELIVERY_POLL_SECONDS", defaults.delivery_poll_seconds),
            fixed_time=text("FIXED_TIME", ""),
            max_message_characters=integer("MAX_MESSAGE_CHARACTERS", defaults.max_message_characters),
            log_level=text("LOG_LEVEL", defaults.log_level).upper(),
            channels=ChannelCredentials(
                **{name: text(name.upper(), "") for name in ChannelCredentials.__dataclass_fields__}
            ),
        )

    def shell_environment(self) -> Dict[str, str]:
        """Values endpoints.yml references as ${VARIABLES}, and the run script's."""
        return {
            "ACTION_SERVER_URL": self.action_server_url,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "RASA_PORT": str(self.rasa_port),
            "ACTION_SERVER_PORT": str(self.action_server_port),
            "DEMO_SITE_PORT": str(self.demo_site_port),
            "CORS_ORIGINS": ",".join(self.cors_origins),
        }


class SettingsError(ValueError):
    """An environment variable holds a value the assistant cannot use."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_environment()


def export_lines(settings: Optional[Settings] = None) -> str:
    """Shell lines exporting the settings the run script and Rasa's YAML need."""
    values = (settings or get_settings()).shell_environment()
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in values.items())


if __name__ == "__main__":
    if sys.argv[1:] != ["--export"]:
        sys.exit("usage: python settings.py --export")
    print(export_lines())
