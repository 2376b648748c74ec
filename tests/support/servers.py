"""Start the real action server and Rasa server as subprocesses on free ports.

Used by the tests and the benchmarks, so both exercise exactly what
`make run` starts: `python -m actions.server` and `rasa run` (through
rasa_extensions/rasa_command.py) with the project's credentials.yml and
endpoints.yml.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from actions.server import command as action_server_command
from rasa_extensions.rasa_command import command as rasa_command
from rasa_extensions.rasa_command import run_arguments

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float, process: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class ManagedProcess:
    """One server subprocess with its log file."""

    name: str
    command: List[str]
    env: Dict[str, str]
    log_path: Path
    health_url: str
    startup_timeout: float
    process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(self.health_url, self.startup_timeout, self.process)
        except Exception as error:
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} failed to start: {error}\n--- log ---\n{tail}") from None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class AssistantServers:
    """The running assistant: its ports, environment and processes."""

    rasa: ManagedProcess
    actions: ManagedProcess
    rasa_url: str
    action_server_url: str
    env: Dict[str, str]
    state_dir: Path
    extra: Dict[str, Any] = field(default_factory=dict)

    def send(self, sender: str, message: Any, timeout: float = 30) -> List[Dict[str, Any]]:
        """Post a message to the REST channel and return the bot's replies."""
        status, body = self.post_raw(json.dumps({"sender": sender, "message": message}).encode(), timeout)
        if status != 200:
            raise AssertionError(f"REST channel answered {status}: {body}")
        return json.loads(body)

    def get_json(self, path: str, timeout: float = 30) -> Any:
        with urllib.request.urlopen(f"{self.rasa_url}{path}", timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The stored conversation, through Rasa's HTTP API (with its token)."""
        query = urllib.parse.urlencode({"token": self.env["RASA_AUTH_TOKEN"]})
        return self.get_json(f"/conversations/{urllib.parse.quote(sender, safe='')}/tracker?{query}")

    def post_raw(self, body: bytes, timeout: float = 30, path: str = "/webhooks/rest/webhook") -> tuple:
        request = urllib.request.Request(
            f"{self.rasa_url}{path}", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")


def assistant_environment(
    state_dir: Path, rasa_port: int, action_port: int, overrides: Mapping[str, str]
) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_PORT": str(rasa_port),
            "ACTION_SERVER_PORT": str(action_port),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
            "ACTION_SERVER_TOKEN": env.get("ACTION_SERVER_TOKEN", "test-action-token"),
            "RASA_AUTH_TOKEN": "test-rasa-api-token",
            "CONVERSATION_SECRET": "test-conversation-secret",
            "STATE_DIR": str(state_dir),
            # The tests and benchmarks send far faster than visitors; the
            # limits themselves are tested with a server of their own.
            "CONVERSATION_MESSAGES_PER_MINUTE": "1000000",
            "CLIENT_REQUESTS_PER_MINUTE": "1000000",
            "TRACKER_STORE_URL": f"sqlite:///{state_dir / 'conversations.db'}",
            "BOOKING_OUTBOX_URL": f"sqlite:///{state_dir / 'booking_outbox.db'}",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONPATH": str(PROJECT_DIR),
        }
    )
    env.update(overrides)
    return env


@contextmanager
def start_assistant(
    model_path: Path,
    state_dir: Path,
    overrides: Optional[Mapping[str, str]] = None,
    rasa_run: Optional[Sequence[str]] = None,
    credentials: str = "credentials.yml",
) -> Iterator[AssistantServers]:
    """Run both servers until the block ends; logs go to `state_dir`.

    `rasa_run` and `credentials` let the benchmarks serve a model the stock
    way (Rasa's own command line and REST channel) for comparison; it is
    told to listen on loopback only, which the project's launcher does by
    itself (BIND_ADDRESS).
    """
    rasa_port, action_port = free_port(), free_port()
    env = assistant_environment(state_dir, rasa_port, action_port, overrides or {})
    actions = ManagedProcess(
        name="action server",
        command=action_server_command(),
        env=dict(env),
        log_path=state_dir / "action-server.log",
        health_url=f"http://127.0.0.1:{action_port}/health",
        startup_timeout=60,
    )
    rasa = ManagedProcess(
        name="Rasa server",
        command=[
            *(rasa_run or rasa_command("run")),
            *(["--interface", "127.0.0.1"] if rasa_run else []),
            *run_arguments(
                model_path, rasa_port, env.get("CORS_ORIGINS", "http://localhost:8080").split(","), credentials
            ),
        ],
        env=dict(env),
        log_path=state_dir / "rasa.log",
        health_url=f"http://127.0.0.1:{rasa_port}/webhooks/rest/",
        startup_timeout=240,
    )
    actions.start()
    try:
        rasa.start()
        yield AssistantServers(
            rasa=rasa,
            actions=actions,
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_server_url=env["ACTION_SERVER_URL"],
            env=env,
            state_dir=state_dir,
        )
    finally:
        rasa.stop()
        actions.stop()
