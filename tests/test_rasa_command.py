"""The launcher every Rasa process of the project starts through."""

from __future__ import annotations

from pathlib import Path

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.servers import AssistantServers


def test_the_served_assistant_runs_tensorflow_without_loading_jax(servers: AssistantServers) -> None:
    assert servers.rasa.process is not None
    servers.send(new_conversation_id(), "how long is recovery?")
    mapped_files = Path(f"/proc/{servers.rasa.process.pid}/maps").read_text()
    assert "libtensorflow_framework" in mapped_files  # the check sees the server's libraries
    assert "jaxlib" not in mapped_files
