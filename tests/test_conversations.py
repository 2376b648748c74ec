"""Rasa's own checks, driven from pytest: data validation and test stories."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.project_data import PROJECT_DIR

RASA = str(Path(sys.executable).parent / "rasa")
# Rasa warns that the retrieval intent is "duplicated across domain files"
# whenever a retrieval intent is listed in domain.yml, because its importer
# merges a generated domain with `faq` into the real one (rasa/shared/
# importers/importer.py, ResponsesSyncImporter.get_domain). Leaving `faq` out
# of domain.yml instead makes the rules invalid, so this one notice is Rasa's
# own, not a finding about the project's data.
RASA_RETRIEVAL_INTENT_NOTICE = "duplicated intents have been found across multiple domain files: faq"


def run_rasa(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_rasa_data_validate_finds_no_problem() -> None:
    result = run_rasa("data", "validate", "--fail-on-warnings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    warnings = [
        line for line in output.splitlines()
        if re.search(r"UserWarning|WARNING|ERROR", line) and RASA_RETRIEVAL_INTENT_NOTICE not in line
        and "rasa/shared/utils/io.py" in line
    ]  # fmt: skip
    assert warnings == []
    assert "No story structure conflicts found" in output


def test_every_test_story_passes(model_path: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test", "core",
        "--model", str(model_path),
        "--stories", "tests/stories",
        "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:] + details
    assert "# None of the test stories failed" in details or not details.strip().startswith("version")
