"""Random whole conversations through the running servers (tests/conversation_fuzzer/).

200 conversations of 12 turns with a new first seed on every run (printed;
FUZZ_SEED=<seed> replays a run). `make fuzz` runs as many as asked.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.conversation_fuzzer.fuzzer import fuzz, visitor_messages
from tests.support.servers import AssistantServers

CONVERSATIONS = 200
TURNS = 12


def test_random_conversations_never_break(servers: AssistantServers, request: pytest.FixtureRequest) -> None:
    seed = int(os.environ.get("FUZZ_SEED") or time.time_ns() % 1_000_000)
    report = fuzz(servers, seed, CONVERSATIONS, TURNS, log=servers.state_dir / "rasa.log")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    reporter.write_line("\n" + report.summary(seed))
    assert report.broken == [], report.summary(seed) + "\n" + report.failures()
    assert report.circuit_breaker_trips == 0
    safe, flags = report.red_flags()
    assert flags > 0 and safe == flags


def test_every_pool_keeps_enough_messages_of_its_own() -> None:
    """The pools leave out messages that are training examples or in the blind
    set (fuzzer.visitor_messages); what remains must still vary."""
    pools = visitor_messages()
    small = {name: len(pool) for group in pools.values() for name, pool in group.items() if len(pool) < 10}
    assert small == {}
