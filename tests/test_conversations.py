"""Rasa's own checks, driven from pytest: data validation and test stories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.project_data import PROJECT_DIR

RASA = str(Path(sys.executable).parent / "rasa")


def run_rasa(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_training_data_validates_cleanly() -> None:
    """`rasa data validate` via scripts/validate_data.py (see its docstring)."""
    result = subprocess.run(
        [sys.executable, "scripts/validate_data.py"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "Training data is valid." in result.stdout


def test_validation_catches_a_response_nothing_uses(tmp_path: Path) -> None:
    from scripts.validate_data import problems

    warning = "UserWarning: The utterance 'utter_never_sent' is not used in any story or rule."
    assert problems(warning) == ["The utterance 'utter_never_sent' is not used in any story or rule."]
    assert problems("UserWarning: The utterance 'utter_ask_visitor_contact' is not used in any story or rule.") == []


def test_every_test_story_passes_from_the_visitors_words(model_path: Path, tmp_path: Path) -> None:
    """The test stories (tests/test_*.yml) with `rasa test --e2e`: each visitor
    message is understood by the model, then the rules must predict the
    story's actions. (Rasa replays the stories' form events: forms and custom
    actions are tested through the running servers elsewhere.)"""
    result = run_rasa(
        "test", "core",
        "--model", str(model_path),
        "--stories", "tests",
        "--e2e",
        "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:] + details
    assert "# None of the test stories failed" in details or not details.strip().startswith("version")
    story_files = sorted(path.name for path in (PROJECT_DIR / "tests").glob("test_*.yml"))
    assert "test_dialogue_table.yml" in story_files and "test_faq.yml" in story_files
