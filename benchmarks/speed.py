"""Speed and cost: latency under load, throughput, start-up time and memory.

Messages go through the REST channel of a real Rasa server (with the real
action server), from an asyncio HTTP client on the same machine. The floor is
a bare Sanic endpoint doing no work, served and loaded the same way, so the
report shows how far above plain HTTP each message is.

A model is served either as the assistant runs (the project's launcher and
channels, with the understanding cache) or the stock way, as Rasa's default
set-up runs it: `python -m rasa run` with Rasa's own REST channel. Both use
the project's endpoints.yml, so conversations are stored the same way.

Visitors either send their messages back to back (a stress test: the server
is never idle, so latency is mostly queueing) or at a person's pace, pausing
between messages as someone does who reads an answer and types the next
question (`VISITOR_PAUSE_SECONDS`). A visitor's conversation is
`CONVERSATION_MESSAGES` long; one who sends more starts a new conversation,
so a row measures conversations of a realistic length, whose dialogue path
one misunderstood message cannot set for all the others.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import aiohttp

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.servers import AssistantServers, free_port, start_assistant, wait_until_up

PROJECT_DIR = Path(__file__).resolve().parent.parent
# A paced visitor waits 2-6 s (uniformly) before each message: quicker than
# reading a 2-4 sentence answer and typing a question, so the load is, if
# anything, heavier than real visitors'.
VISITOR_PAUSE_SECONDS = 4.0
# Visitors' conversations with an FAQ assistant are short; 10 messages is a long one.
CONVERSATION_MESSAGES = 10


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class LoadResult:
    conversations: int
    latencies_ms: List[float]
    wall_seconds: float
    errors: int = 0
    pause_seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_seconds if self.wall_seconds else 0.0

    def summary(self) -> Dict[str, float]:
        return {
            "conversations": self.conversations,
            "pause_s": self.pause_seconds,
            "messages": len(self.latencies_ms),
            "errors": self.errors,
            "p50_ms": percentile(self.latencies_ms, 0.50),
            "p95_ms": percentile(self.latencies_ms, 0.95),
            "p99_ms": percentile(self.latencies_ms, 0.99),
            "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan"),
            "throughput_per_s": self.throughput,
        }


async def _load(
    url: str, conversations: int, messages_each: int, texts: Sequence[str], pause_seconds: float
) -> LoadResult:
    latencies: List[float] = []
    errors = 0
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:

        async def visitor(number: int) -> None:
            nonlocal errors
            # Seeded per visitor: the same pauses in every run.
            pauses = random.Random(number)
            for step in range(messages_each):
                if step % CONVERSATION_MESSAGES == 0:
                    sender = new_conversation_id()
                text = texts[(number * messages_each + step) % len(texts)]
                if pause_seconds:
                    # Also before the first message: visitors arrive spread out.
                    await asyncio.sleep(pauses.uniform(0.5 * pause_seconds, 1.5 * pause_seconds))
                started = time.perf_counter()
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(visitor(number) for number in range(conversations)))
        wall = time.perf_counter() - started
    return LoadResult(conversations, latencies, wall, errors, pause_seconds)


def run_load(
    url: str, conversations: int, messages_each: int, texts: Sequence[str], pause_seconds: float = 0.0
) -> LoadResult:
    """`conversations` visitors at once, each sending `messages_each` messages
    in turn (in conversations of `CONVERSATION_MESSAGES`), back to back or with
    pauses of about `pause_seconds`."""
    return asyncio.run(_load(url, conversations, messages_each, texts, pause_seconds))


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process and its children (Sanic workers), in MiB."""
    total_kb = 0
    for process in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def _children(pid: int) -> List[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    children = [int(child) for child in found]
    return children + [grandchild for child in children for grandchild in _children(child)]


@dataclass
class ServedModel:
    """A model being served, with what it cost to start."""

    servers: AssistantServers
    startup_seconds: float
    rss_after_start_mb: float
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"{self.servers.rasa_url}/webhooks/rest/webhook"


STOCK_RASA_RUN = (sys.executable, "-m", "rasa", "run")
STOCK_CREDENTIALS = "benchmarks/configs/stock_credentials.yml"


@contextmanager
def serve(
    model_path: Path, state_dir: Path, env: Optional[Dict[str, str]] = None, stock_rasa: bool = False
) -> Iterator[ServedModel]:
    """Serve `model_path` (the stock way with `stock_rasa`); time until it answers a message."""
    state_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stock = {"rasa_run": STOCK_RASA_RUN, "credentials": STOCK_CREDENTIALS} if stock_rasa else {}
    with start_assistant(model_path, state_dir, env or {}, **stock) as servers:
        servers.send(new_conversation_id(), "hello")
        startup = time.monotonic() - started
        # Reach every Sanic worker once, so no measured message pays a cold start.
        for _ in range(10):
            servers.send(new_conversation_id(), "does it hurt?")
        yield ServedModel(servers, startup, rss_megabytes(servers.rasa.process.pid))


@contextmanager
def floor_server() -> Iterator[str]:
    """A bare Sanic endpoint that answers [] to every POST: the HTTP floor."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.floor_server", str(port)],
        cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", 30, process)
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    finally:
        process.terminate()
        process.wait(timeout=10)
