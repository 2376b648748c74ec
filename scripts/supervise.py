"""Start the assistant's three servers and keep them running (`make run`).

    python scripts/supervise.py --model models/<model>.tar.gz

Checks that each server's port is free (and names the one that is not),
starts the action server, the Rasa server and the demo clinic site with
their output in STATE_DIR/logs/, waits until each answers, and prints where
to talk to the assistant. A server that stops is started again after a
back-off (1 s, doubling to 30 s; back to 1 s once it has run a minute) with a
line saying so, while the others keep serving. Ctrl-C (or SIGTERM) stops all
of them. Run by scripts/run.sh after setup and training.
"""

from __future__ import annotations

import argparse
import errno
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, List, Optional, Sequence

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
# The command builders below import Rasa's packages, whose dependencies warn
# about their own deprecated imports; that is not news for whoever runs this.
warnings.simplefilter("ignore", DeprecationWarning)

from actions.server import command as action_server_command  # noqa: E402
from rasa_extensions.rasa_command import command as rasa_command  # noqa: E402
from rasa_extensions.rasa_command import run_arguments  # noqa: E402
from settings import Settings, get_settings  # noqa: E402

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# A server that ran this long before stopping is retried from the first delay again.
STABLE_SECONDS = 60.0
STOP_GRACE_SECONDS = 20.0


def say(text: str) -> None:
    print(f"\033[1m[run]\033[0m {text}", flush=True)


def local_host(bind_address: str) -> str:
    """Where this machine reaches a server listening on `bind_address`."""
    return "127.0.0.1" if bind_address in ("0.0.0.0", "::", "") else bind_address


def port_problem(bind_address: str, port: int) -> Optional[str]:
    """Why a server could not listen on `port` (None when it can)."""
    family = socket.AF_INET6 if ":" in bind_address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind_address, port))
        except OSError as error:
            return "it is already in use" if error.errno == errno.EADDRINUSE else error.strerror
    return None


@dataclass
class Server:
    """One supervised server process."""

    name: str
    command: List[str]
    port: int
    health_url: str
    log_path: Path
    startup_seconds: float
    process: Optional[subprocess.Popen] = None
    log: Optional[IO[bytes]] = None
    started_at: float = 0.0
    retry_delay: float = FIRST_RETRY_SECONDS
    restart_at: Optional[float] = None
    announced: bool = True

    def start(self) -> None:
        self.log = self.log or self.log_path.open("ab")
        # Its own session: a terminal's Ctrl-C reaches the supervisor, which
        # stops the servers itself instead of restarting them.
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_DIR, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def servers(settings: Settings, model_path: Path) -> List[Server]:
    """The action server, the Rasa server and the demo site, as settings.py says."""
    logs = settings.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    host = local_host(settings.bind_address)
    rasa_url = f"http://localhost:{settings.rasa_port}"
    rasa_run = rasa_command("run", *run_arguments(model_path, settings.rasa_port, settings.cors_origins))
    return [
        Server(
            "the action server", action_server_command(), settings.action_server_port,
            f"http://{host}:{settings.action_server_port}/health", logs / "action-server.log", 60,
        ),
        Server(
            "the Rasa server", rasa_run, settings.rasa_port,
            f"http://{host}:{settings.rasa_port}/webhooks/rest/", logs / "rasa.log", 180,
        ),
        Server(
            "the demo clinic site",
            [sys.executable, "demo_site/serve.py", "--host", settings.bind_address, "--port",
             str(settings.demo_site_port), "--assistant-url", rasa_url],
            settings.demo_site_port, f"http://{host}:{settings.demo_site_port}/", logs / "demo-site.log", 20,
        ),
    ]  # fmt: skip


class Supervisor:
    """Starts the servers, restarts any that stops, stops them all on a signal."""

    def __init__(self, servers: Sequence[Server]) -> None:
        self.servers = list(servers)
        self.stopping = False

    def request_stop(self, signum: int, _frame: Optional[FrameType]) -> None:
        self.stopping = True

    def stop_all(self) -> None:
        say("stopping...")
        for server in reversed(self.servers):
            server.stop()

    def start_all(self) -> bool:
        """Start every server and wait until it answers; False if one did not."""
        for server in self.servers:
            say(f"starting {server.name} on port {server.port} (log: {server.log_path})")
            server.start()
        for server in self.servers:
            deadline = time.monotonic() + server.startup_seconds
            while not server.answers():
                assert server.process is not None
                if self.stopping:
                    return False
                if server.process.poll() is not None or time.monotonic() > deadline:
                    say(f"{server.name} did not start; see {server.log_path}")
                    return False
                time.sleep(0.5)
        return True

    def watch(self, server: Server) -> None:
        """Restart `server` when it has stopped and its back-off is over."""
        assert server.process is not None
        now = time.monotonic()
        if server.restart_at is None and server.process.poll() is not None:
            if now - server.started_at >= STABLE_SECONDS:
                server.retry_delay = FIRST_RETRY_SECONDS
            say(
                f"{server.name} stopped (exit code {server.process.returncode}); "
                f"restarting it in {server.retry_delay:.0f} s (log: {server.log_path})"
            )
            server.restart_at = now + server.retry_delay
            server.retry_delay = min(server.retry_delay * 2, MAX_RETRY_SECONDS)
        elif server.restart_at is not None and now >= server.restart_at:
            server.start()
            server.announced = False
        elif not server.announced and server.process.poll() is None and server.answers():
            say(f"{server.name} is back")
            server.announced = True

    def run(self, banner: str) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        try:
            if not self.start_all():
                return 0 if self.stopping else 1
            print(banner, flush=True)
            while not self.stopping:
                for server in self.servers:
                    self.watch(server)
                time.sleep(0.5)
            return 0
        finally:
            self.stop_all()


def banner(settings: Settings) -> str:
    sender = secrets.token_urlsafe(24)
    return f"""
  The assistant is running.
    Demo clinic page with the chat widget:  http://localhost:{settings.demo_site_port}/
    REST:  curl -s localhost:{settings.rasa_port}/webhooks/rest/webhook \\
             -H 'Content-Type: application/json' \\
             -d '{{"sender": "{sender}", "message": "does it hurt?"}}'
  Press Ctrl-C to stop.
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the trained model to serve")
    args = parser.parse_args(argv)
    settings = get_settings()
    supervised = servers(settings, args.model)
    busy = [(server, problem) for server in supervised if (problem := port_problem(settings.bind_address, server.port))]
    for server, problem in busy:
        say(f"cannot start {server.name}: port {server.port} on {settings.bind_address}: {problem}.")
    if busy:
        say("Is the assistant already running? Stop it, or choose other ports (RASA_PORT, ACTION_SERVER_PORT, "
            "DEMO_SITE_PORT).")  # fmt: skip
        return 1
    return Supervisor(supervised).run(banner(settings))


if __name__ == "__main__":
    sys.exit(main())
