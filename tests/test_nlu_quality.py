"""NLU quality gate on the held-out visitor messages (tests/nlu_holdout/).

The held-out messages were written separately from the training data and
never copied into it (test_training_data.py checks that). The score and the
worst confusions are printed on every run and saved under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.nlu_evaluation import evaluate_model, load_examples
from tests.support.project_data import HOLDOUT, PROJECT_DIR

MINIMUM_ACCURACY = 0.92


@pytest.fixture(scope="module")
def holdout_report(model_path: Path):
    return evaluate_model(model_path, load_examples([HOLDOUT]))


def test_holdout_accuracy_meets_the_gate(holdout_report, request: pytest.FixtureRequest) -> None:
    summary = holdout_report.summary()
    artifacts = PROJECT_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "nlu_holdout_report.txt").write_text(
        summary
        + "\n\nmistakes (text | gold | predicted):\n"
        + "\n".join(" | ".join(m) for m in holdout_report.mistakes())
        + "\n",
        encoding="utf-8",
    )
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    reporter.write_line("\nNLU held-out evaluation\n" + summary)
    assert holdout_report.accuracy >= MINIMUM_ACCURACY, summary


def test_every_urgent_symptom_message_gets_the_safety_reply(holdout_report) -> None:
    missed = [text for text, gold, _ in holdout_report.mistakes() if gold == "urgent_symptom"]
    assert missed == []
