"""Shared fixtures: project paths, the trained model and running servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.servers import AssistantServers, start_assistant

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The up-to-date trained model (`make test` trains it before pytest)."""
    given = os.environ.get("ASSISTANT_MODEL_PATH")
    if given and Path(given).exists():
        return Path(given)
    result = subprocess.run(
        [sys.executable, "scripts/train_if_stale.py"],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def servers(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    """The real action server and Rasa server on free loopback ports."""
    state_dir = tmp_path_factory.mktemp("assistant-state")
    with start_assistant(model_path, state_dir) as running:
        yield running
