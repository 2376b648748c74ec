"""The launcher every Rasa process of the project starts through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rasa_extensions.rasa_command import INTRA_OP_THREADS, one_tensorflow_thread_per_operation
from tests.support.servers import AssistantServers


def test_the_served_assistant_runs_tensorflow_without_loading_jax(servers: AssistantServers) -> None:
    assert servers.rasa.process is not None
    servers.send("launcher-check", "how long is recovery?")
    mapped_files = Path(f"/proc/{servers.rasa.process.pid}/maps").read_text()
    assert "libtensorflow_framework" in mapped_files  # the check sees the server's libraries
    assert "jaxlib" not in mapped_files


def test_a_server_gives_tensorflow_one_thread_per_operation_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(INTRA_OP_THREADS, raising=False)
    one_tensorflow_thread_per_operation()
    assert os.environ[INTRA_OP_THREADS] == "1"
    monkeypatch.setenv(INTRA_OP_THREADS, "2")
    one_tensorflow_thread_per_operation()
    assert os.environ[INTRA_OP_THREADS] == "2"
