"""Every setting the assistant reads from the environment, with its default.

This is the only module that reads environment variables. The defaults run
everything on one machine with no extra servers: SQLite files under `var/`,
an in-memory lock store, the action server on localhost. Production sets the
variables listed in README "Configuration".

`python settings.py --export` prints shell `export` lines for the values that
Rasa's own YAML files (endpoints.yml) reference as ${VARIABLES} and that the
run script uses, so the scripts and Rasa get the same defaults as the Python
code. `python settings.py --create-secrets` gives this installation the
secrets it needs and nobody has set (INSTALLATION_SECRETS): a random value
each, in a file readable only by its owner under var/secrets/, which the
settings read whenever the variable itself is not set.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shlex
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple, Union

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_STATE_DIR = PROJECT_DIR / "var"
# Secrets every installation needs; `make run` creates the missing ones.
INSTALLATION_SECRETS = ("ACTION_SERVER_TOKEN", "CONVERSATION_SECRET")
IpNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _sqlite_url(state_dir: Path, filename: str) -> str:
    return f"sqlite:///{state_dir / filename}"


def _csv(value: str) -> Tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def secrets_dir(state_dir: Path) -> Path:
    return state_dir / "secrets"


def _installation_secret(environ: Mapping[str, str], name: str, state_dir: Path) -> str:
    """The variable when set, else the value `make run` stored for this installation."""
    value = environ.get(name, "").strip()
    if value:
        return value
    try:
        return (secrets_dir(state_dir) / name.lower()).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def create_installation_secrets(environ: Mapping[str, str] = os.environ) -> List[str]:
    """Store a random value for each installation secret that is neither set nor
    stored yet (a file of mode 0600 in a directory of mode 0700); their names."""
    directory = secrets_dir(Settings.from_environment(environ).state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    created = []
    for name in INSTALLATION_SECRETS:
        path = directory / name.lower()
        if environ.get(name, "").strip() or path.exists():
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        created.append(name)
    return created


def _networks(value: str, name: str) -> Tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in _csv(value))
    except ValueError as error:
        raise SettingsError(f"{name} must list IP addresses or networks (CIDR), got {value!r}: {error}") from None


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
    # Conversations, the outbox, logs and installation secrets (var/).
    state_dir: Path = DEFAULT_STATE_DIR
    # Address every server listens on: this machine only unless configured
    # (0.0.0.0 inside a container, behind its published port).
    bind_address: str = "127.0.0.1"
    rasa_port: int = 5005
    action_server_port: int = 5055
    action_server_url: str = "http://localhost:5055/webhook"
    # Shared secret the Rasa server sends to the action server, which refuses
    # every call without it (and does not start without one).
    action_server_token: str = ""
    # Rasa's HTTP API (conversations, models, training) is on only when one of
    # these is set, and then needs it (token: ?token=...; JWT: Authorization).
    rasa_auth_token: str = ""
    rasa_jwt_secret: str = ""
    rasa_jwt_method: str = "HS256"
    # Key for the keyed hashes the Rasa server hands out and logs: the widget's
    # history key of a conversation, and conversation ids in logs.
    conversation_secret: str = ""
    demo_site_port: int = 8080
    # Origins allowed to call the assistant from a browser (the widget).
    cors_origins: Tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")
    tracker_store_url: str = field(default_factory=lambda: _sqlite_url(DEFAULT_STATE_DIR, "conversations.db"))
    # redis://host:port/db for several Rasa workers; empty = in-memory locks.
    lock_store_url: str = ""
    booking_outbox_url: str = field(default_factory=lambda: _sqlite_url(DEFAULT_STATE_DIR, "booking_outbox.db"))
    # Conversations whose last message is older than this are deleted by
    # `make purge` (python -m staff.conversations purge).
    conversation_retention_days: int = 90
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
    # Largest request body each server reads (Sanic's REQUEST_MAX_SIZE); larger
    # ones get 413 before they are read. The action server receives whole
    # conversations from the Rasa server.
    max_request_bytes: int = 256 * 1024
    action_server_max_request_bytes: int = 16 * 1024 * 1024
    # Messages a conversation may send per minute, and requests one client
    # address may make per minute (several visitors can share an address),
    # in each Rasa server process; more get HTTP 429.
    conversation_messages_per_minute: int = 30
    client_requests_per_minute: int = 120
    # Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For
    # names the real client; from anyone else the header is ignored.
    trusted_proxies: Tuple[IpNetwork, ...] = ()
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
        state_dir = Path(text("STATE_DIR", str(defaults.state_dir)))
        return cls(
            clinic_data_file=Path(text("CLINIC_DATA_FILE", str(defaults.clinic_data_file))),
            state_dir=state_dir,
            bind_address=text("BIND_ADDRESS", defaults.bind_address),
            rasa_port=integer("RASA_PORT", defaults.rasa_port),
            action_server_port=integer("ACTION_SERVER_PORT", defaults.action_server_port),
            action_server_url=text(
                "ACTION_SERVER_URL",
                f"http://localhost:{integer('ACTION_SERVER_PORT', defaults.action_server_port)}/webhook",
            ),
            action_server_token=_installation_secret(environ, "ACTION_SERVER_TOKEN", state_dir),
            rasa_auth_token=text("RASA_AUTH_TOKEN", ""),
            rasa_jwt_secret=text("RASA_JWT_SECRET", ""),
            rasa_jwt_method=text("RASA_JWT_METHOD", defaults.rasa_jwt_method),
            conversation_secret=_installation_secret(environ, "CONVERSATION_SECRET", state_dir),
            demo_site_port=demo_site_port,
            # By default only the demo clinic page may use the widget.
            cors_origins=_csv(cors)
            if cors is not None
            else (f"http://localhost:{demo_site_port}", f"http://127.0.0.1:{demo_site_port}"),
            tracker_store_url=text("TRACKER_STORE_URL", _sqlite_url(state_dir, "conversations.db")),
            lock_store_url=text("LOCK_STORE_URL", ""),
            booking_outbox_url=text("BOOKING_OUTBOX_URL", _sqlite_url(state_dir, "booking_outbox.db")),
            conversation_retention_days=integer("CONVERSATION_RETENTION_DAYS", defaults.conversation_retention_days),
            booking_webhook_url=text("BOOKING_WEBHOOK_URL", ""),
            booking_webhook_secret=text("BOOKING_WEBHOOK_SECRET", ""),
            delivery_retry_seconds=number("DELIVERY_RETRY_SECONDS", defaults.delivery_retry_seconds),
            delivery_retry_max_seconds=number("DELIVERY_RETRY_MAX_SECONDS", defaults.delivery_retry_max_seconds),
            delivery_poll_seconds=number("DELIVERY_POLL_SECONDS", defaults.delivery_poll_seconds),
            fixed_time=text("FIXED_TIME", ""),
            max_message_characters=integer("MAX_MESSAGE_CHARACTERS", defaults.max_message_characters),
            max_request_bytes=integer("MAX_REQUEST_BYTES", defaults.max_request_bytes),
            action_server_max_request_bytes=integer(
                "ACTION_SERVER_MAX_REQUEST_BYTES", defaults.action_server_max_request_bytes
            ),
            conversation_messages_per_minute=integer(
                "CONVERSATION_MESSAGES_PER_MINUTE", defaults.conversation_messages_per_minute
            ),
            client_requests_per_minute=integer("CLIENT_REQUESTS_PER_MINUTE", defaults.client_requests_per_minute),
            trusted_proxies=_networks(environ.get("TRUSTED_PROXIES", ""), "TRUSTED_PROXIES"),
            log_level=text("LOG_LEVEL", defaults.log_level).upper(),
            channels=ChannelCredentials(
                **{name: text(name.upper(), "") for name in ChannelCredentials.__dataclass_fields__}
            ),
        )

    def endpoint_environment(self) -> Dict[str, str]:
        """Values endpoints.yml references as ${VARIABLES}."""
        return {"ACTION_SERVER_URL": self.action_server_url, "ACTION_SERVER_TOKEN": self.action_server_token}

    def shell_environment(self) -> Dict[str, str]:
        """Values endpoints.yml references as ${VARIABLES}, and the run script's."""
        return {
            **self.endpoint_environment(),
            "STATE_DIR": str(self.state_dir),
            "BIND_ADDRESS": self.bind_address,
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
    if sys.argv[1:] == ["--export"]:
        print(export_lines())
    elif sys.argv[1:] == ["--create-secrets"]:
        for name in create_installation_secrets():
            print(f"Created {name} for this installation (in {secrets_dir(get_settings().state_dir)}).")
    else:
        sys.exit("usage: python settings.py --export | --create-secrets")
