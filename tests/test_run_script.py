"""`make run` (scripts/run.sh and scripts/supervise.py), started for real.

One stack on free ports and its own STATE_DIR: it gives the installation its
secrets, answers, refuses to start a second time on the same ports (naming
the busy one), brings back a server that is killed, and stops everything on
Ctrl-C (the last test, since it stops the stack).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest

from tests.support.servers import PROJECT_DIR, free_port

STARTUP_SECONDS = 400  # setup.sh's checks and a fresh Rasa server on a busy machine


class RunScript:
    """`bash scripts/run.sh` in its own process group, its output collected."""

    def __init__(self, env: Dict[str, str]) -> None:
        self.lines: List[str] = []
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; output so far:\n{self.output[-4000:]}")

    def children(self) -> List[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def child_running(self, module: str) -> int:
        for pid in self.children():
            try:
                if module in Path(f"/proc/{pid}/cmdline").read_text():
                    return pid
            except FileNotFoundError:
                continue
        raise AssertionError(f"no child process runs {module}: {self.children()}")

    def press_ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def ask(rasa_port: int) -> int:
    body = json.dumps({"sender": secrets.token_urlsafe(24), "message": "does the laser hurt?"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.loads(response.read()), "the assistant must answer"
        return response.status


@pytest.fixture(scope="module")
def run_environment(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """What a clinic's machine has: no secrets set, fresh state, free ports."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ACTION_SERVER_TOKEN", "CONVERSATION_SECRET", "RASA_AUTH_TOKEN", "RASA_JWT_SECRET")
        and not key.startswith(("TRACKER_STORE", "BOOKING_", "CORS_"))
    }
    env.update(
        STATE_DIR=str(tmp_path_factory.mktemp("run-script-state")),
        RASA_PORT=str(free_port()),
        ACTION_SERVER_PORT=str(free_port()),
        DEMO_SITE_PORT=str(free_port()),
    )
    env.pop("ACTION_SERVER_URL", None)
    return env


@pytest.fixture(scope="module")
def running(run_environment: Dict[str, str]) -> Iterator[RunScript]:
    run = RunScript(run_environment)
    try:
        run.wait_for(lambda: "The assistant is running." in run.output, STARTUP_SECONDS, "the assistant to start")
        yield run
    finally:
        if run.process.poll() is None:
            run.press_ctrl_c()
            try:
                run.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(run.process.pid, signal.SIGKILL)


@pytest.mark.timeout(900)
def test_a_second_make_run_names_the_busy_port(running: RunScript, run_environment: Dict[str, str]) -> None:
    second = subprocess.run(
        ["bash", "scripts/run.sh"], cwd=PROJECT_DIR, env=run_environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert second.returncode != 0
    for name in ("RASA_PORT", "ACTION_SERVER_PORT", "DEMO_SITE_PORT"):
        assert f"port {run_environment[name]}" in second.stdout and "already in use" in second.stdout
    assert "The assistant is running" not in second.stdout
    assert ask(int(run_environment["RASA_PORT"])) == 200  # the first one is untouched


@pytest.mark.timeout(900)
def test_make_run_answers_restarts_a_killed_server_and_stops_on_ctrl_c(
    running: RunScript, run_environment: Dict[str, str]
) -> None:
    rasa_port = int(run_environment["RASA_PORT"])
    secrets_dir = Path(run_environment["STATE_DIR"]) / "secrets"
    token = secrets_dir / "action_server_token"
    assert token.stat().st_mode & 0o777 == 0o600 and secrets_dir.stat().st_mode & 0o777 == 0o700
    # The first message runs action_session_start: the token reached both servers.
    assert ask(rasa_port) == 200

    rasa_pid = running.child_running("rasa_extensions.rasa_command")
    os.kill(rasa_pid, signal.SIGKILL)
    running.wait_for(lambda: "the Rasa server stopped" in running.output, 60, "the supervisor to notice")
    assert "restarting it in 1 s" in running.output
    running.wait_for(lambda: "the Rasa server is back" in running.output, 300, "the Rasa server to come back")
    assert running.child_running("rasa_extensions.rasa_command") != rasa_pid
    assert ask(rasa_port) == 200
    assert running.process.poll() is None

    children = running.children()
    running.press_ctrl_c()
    assert running.process.wait(timeout=90) == 0
    assert not [pid for pid in children if alive(pid)]
    assert "restarting" not in running.output.split("stopping...", 1)[1]
