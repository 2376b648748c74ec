"""Secure by default: what an outside client can reach on a stack started
with the defaults (no RASA_AUTH_TOKEN), and the limits every server applies.

The module runs its own servers with the visitor-facing rate limits turned
low, so that a limit is reached in a few requests; the other tests' servers
run with limits no test reaches (tests/support/servers.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from actions.outbox import Outbox
from rasa_extensions.channels.request_limits import RateLimiter, client_address
from rasa_extensions.rasa_command import ServeError, serve_arguments
from settings import INSTALLATION_SECRETS, Settings, create_installation_secrets
from tests.support.servers import PROJECT_DIR, AssistantServers, start_assistant

CONVERSATION_LIMIT, CLIENT_LIMIT = 5, 20
ACTION_SERVER_MAX_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def default_servers(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    """Both servers with the defaults a clinic gets, except low rate limits and
    this machine as a trusted proxy (so a test can speak for other clients)."""
    overrides = {
        "RASA_AUTH_TOKEN": "",
        "CONVERSATION_MESSAGES_PER_MINUTE": str(CONVERSATION_LIMIT),
        "CLIENT_REQUESTS_PER_MINUTE": str(CLIENT_LIMIT),
        "TRUSTED_PROXIES": "127.0.0.1",
        "ACTION_SERVER_MAX_REQUEST_BYTES": str(ACTION_SERVER_MAX_BYTES),
    }
    with start_assistant(model_path, tmp_path_factory.mktemp("default-servers"), overrides) as running:
        yield running


def request(
    url: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None, method: Optional[str] = None
) -> Tuple[int, bytes]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=body, headers=headers or {}, method=method), timeout=60
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def chat(servers: AssistantServers, client: str, sender: str, text: str = "does it hurt?") -> int:
    """Post a message as if from `client` (through the trusted proxy); the status."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
    return request(f"{servers.rasa_url}/webhooks/rest/webhook", body, headers)[0]


def listening_addresses(port: int) -> List[str]:
    """The local addresses sockets listen on at `port`, from /proc/net/tcp(6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
                found.append(socket.inet_ntop(family, words))
    return found


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def test_both_servers_listen_on_this_machine_only(default_servers: AssistantServers) -> None:
    for url in (default_servers.rasa_url, default_servers.action_server_url):
        assert listening_addresses(port_of(url)) == ["127.0.0.1"], url


def test_rasa_http_api_is_off_without_a_token(default_servers: AssistantServers) -> None:
    sender = f"api-{uuid.uuid4().hex}"
    assert chat(default_servers, "203.0.113.1", sender) == 200
    for method, path in [
        ("GET", f"/conversations/{sender}/tracker"),
        ("POST", f"/conversations/{sender}/tracker/events"),
        ("POST", f"/conversations/{sender}/execute"),
        ("GET", "/status"),
        ("PUT", "/model"),
        ("POST", "/model/train"),
    ]:
        status, _ = request(f"{default_servers.rasa_url}{path}", b"{}" if method != "GET" else None, method=method)
        assert status in (404, 405), (method, path, status)


def test_rasa_http_api_needs_its_token_when_it_is_on(servers: AssistantServers) -> None:
    sender = f"api-{uuid.uuid4().hex}"
    servers.send(sender, "does it hurt?")
    assert request(f"{servers.rasa_url}/conversations/{sender}/tracker")[0] == 401
    assert request(f"{servers.rasa_url}/conversations/{sender}/tracker?token=wrong")[0] == 401
    assert servers.tracker(sender)["latest_message"]["text"] == "does it hurt?"


def action_call(action: str, slots: Dict[str, object], events: Optional[List[Dict[str, object]]] = None) -> bytes:
    tracker = {"sender_id": f"probe-{uuid.uuid4().hex}", "slots": slots, "latest_message": {}, "events": events or []}
    return json.dumps({"next_action": action, "tracker": tracker, "domain": {}, "version": "3.6.21"}).encode()


def call_action_server(
    servers: AssistantServers, body: bytes, token: Optional[str] = "", extra: Optional[Dict[str, str]] = None
) -> Tuple[int, bytes]:
    headers = {"Content-Type": "application/json", **(extra or {})}
    if token is not None:
        headers["X-Action-Token"] = token or servers.env["ACTION_SERVER_TOKEN"]
    return request(servers.action_server_url, body, headers)


def test_the_action_server_refuses_calls_without_its_token(default_servers: AssistantServers) -> None:
    body = action_call("action_start_handoff", {})
    assert call_action_server(default_servers, body, token=None)[0] == 401
    assert call_action_server(default_servers, body, token="wrong")[0] == 401
    actions_url = default_servers.action_server_url.replace("/webhook", "/actions")
    assert request(actions_url)[0] == 401
    assert request(default_servers.action_server_url.replace("/webhook", "/health"))[0] == 200
    assert call_action_server(default_servers, body)[0] == 200


def test_a_hand_made_submit_call_stores_nothing(default_servers: AssistantServers) -> None:
    outbox = Outbox.from_url(default_servers.env["BOOKING_OUTBOX_URL"])
    slots = {
        "visitor_name": "Mallory Fake",
        "visitor_contact": "630-555-0199",
        "preferred_clinic": "Oak Brook",
        "preferred_times": "any",
        "treatment_interest": "none",
        "contact_consent": True,
        "booking_confirmed": True,
        "callback_time": "now",
        "callback_reason": "spam",
        "callback_confirmed": True,
    }
    for action in ("action_submit_booking", "action_submit_callback"):
        status, answer = call_action_server(default_servers, action_call(action, slots))
        assert status == 200
        assert [message["response"] for message in json.loads(answer)["responses"]] == ["utter_request_not_saved"]
    assert outbox.list() == []


def test_compressed_and_oversized_bodies_are_refused_before_they_are_read(default_servers: AssistantServers) -> None:
    expanding = zlib.compress(json.dumps({"padding": "x" * 10_000_000}).encode())  # 10 KB -> 10 MB
    assert len(expanding) < 20_000
    for encoding in ("deflate", "gzip"):
        status, _ = call_action_server(default_servers, expanding, extra={"Content-Encoding": encoding})
        assert status == 415
    too_big = action_call("action_start_handoff", {"padding": "x" * (ACTION_SERVER_MAX_BYTES + 1)})
    assert call_action_server(default_servers, too_big)[0] == 413
    huge_message = json.dumps({"sender": "big-one", "message": "x" * 300_000}).encode()
    status, _ = request(
        f"{default_servers.rasa_url}/webhooks/rest/webhook", huge_message, {"Content-Type": "application/json"}
    )
    assert status == 413
    assert call_action_server(default_servers, action_call("action_start_handoff", {}))[0] == 200


def test_a_conversation_sending_faster_than_a_person_gets_429(default_servers: AssistantServers) -> None:
    sender = f"fast-{uuid.uuid4().hex}"
    statuses = [chat(default_servers, f"203.0.113.{number + 10}", sender) for number in range(CONVERSATION_LIMIT + 1)]
    assert statuses == [200] * CONVERSATION_LIMIT + [429]
    assert chat(default_servers, "203.0.113.30", f"other-{uuid.uuid4().hex}") == 200


def test_a_client_address_over_its_limit_gets_429_and_others_do_not(default_servers: AssistantServers) -> None:
    client = "198.51.100.7"
    bad = json.dumps({"sender": "x", "message": ""}).encode()  # refused cheaply, still counted
    headers = {"Content-Type": "application/json", "X-Forwarded-For": f"10.9.9.9, {client}"}
    url = f"{default_servers.rasa_url}/webhooks/rest/webhook"
    statuses = [request(url, bad, headers)[0] for _ in range(CLIENT_LIMIT)]
    assert statuses == [400] * CLIENT_LIMIT
    assert chat(default_servers, client, f"limited-{uuid.uuid4().hex}") == 429
    assert chat(default_servers, "198.51.100.8", f"neighbour-{uuid.uuid4().hex}") == 200


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: the header is ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),  # the client cannot prepend one
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(peer: str, forwarded_for: str, expected: str) -> None:
    trusted = Settings.from_environment({"TRUSTED_PROXIES": "10.0.0.0/24"}).trusted_proxies
    assert client_address(peer, forwarded_for, trusted) == expected


def test_the_rate_window_slides() -> None:
    limiter = RateLimiter(2, window=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.allow("b", now=2) is True
    assert limiter.allow("a", now=60.5) is True and limiter.allow("a", now=60.6) is False


def test_the_launcher_turns_the_api_on_only_with_a_token() -> None:
    plain = Settings(action_server_token="t", conversation_secret="c")
    assert serve_arguments(["--port", "1"], plain) == ["--port", "1", "--interface", "127.0.0.1"]
    with_token = Settings(action_server_token="t", conversation_secret="c", rasa_auth_token="s", bind_address="0.0.0.0")
    assert serve_arguments([], with_token) == ["--interface", "0.0.0.0", "--enable-api", "--auth-token", "s"]
    for arguments in (["--enable-api"], ["--enable-api", "--auth-token", ""]):
        with pytest.raises(ServeError):
            serve_arguments(arguments, plain)
    with pytest.raises(ServeError, match="ACTION_SERVER_TOKEN"):
        serve_arguments([], Settings(conversation_secret="c"))
    with pytest.raises(ServeError, match="CONVERSATION_SECRET"):
        serve_arguments([], Settings(action_server_token="t"))


def test_installation_secrets_are_created_once_and_private(tmp_path: Path) -> None:
    environ = {"STATE_DIR": str(tmp_path), "CONVERSATION_SECRET": "set-by-the-operator"}
    assert create_installation_secrets(environ) == ["ACTION_SERVER_TOKEN"]
    token_file = tmp_path / "secrets" / "action_server_token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    assert create_installation_secrets(environ) == []
    settings = Settings.from_environment(environ)
    assert settings.action_server_token == token_file.read_text().strip() and len(settings.action_server_token) >= 40
    assert settings.conversation_secret == "set-by-the-operator"
    assert not (tmp_path / "secrets" / "conversation_secret").exists()
    assert set(INSTALLATION_SECRETS) == {"ACTION_SERVER_TOKEN", "CONVERSATION_SECRET"}


def test_the_action_server_does_not_start_without_its_token(tmp_path: Path) -> None:
    environ = {**os.environ, "STATE_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": "", "PYTHONPATH": str(PROJECT_DIR)}
    result = subprocess.run(
        [sys.executable, "-m", "actions.server"], cwd=PROJECT_DIR, env=environ, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "ACTION_SERVER_TOKEN is not set" in result.stderr
