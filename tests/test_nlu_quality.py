"""The understanding gate (staff/quality_gate.py) on the trained model.

The development sets (tests/nlu_holdout/) must pass the gate; the blind set
(tests/nlu_blind/) is scored and reported beside them, never gated here:
its mistakes are not printed or saved, so that nobody tunes on them. The
development report, with its mistakes, is saved under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.fallback import faq_topics
from staff.nlu_evaluation import Example, evaluate_model
from staff.quality_gate import Evaluation, evaluate, gate_failures
from tests.support.project_data import PROJECT_DIR


@pytest.fixture(scope="module")
def evaluation(request: pytest.FixtureRequest, model_path: Path) -> Evaluation:
    result = evaluate(model_path)
    artifacts = PROJECT_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "nlu_development_report.txt").write_text(
        result.development.summary() + "\n\nmistakes (text | gold | predicted):\n"
        + "\n".join(" | ".join(m) for m in result.development.mistakes()) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (artifacts / "nlu_scores.txt").write_text(result.summary() + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    reporter.write_line(f"\nUnderstanding\n{result.summary()}")
    return result


def test_the_model_passes_the_gate_on_the_development_sets(evaluation: Evaluation) -> None:
    assert gate_failures(evaluation.scores) == [], evaluation.development.summary()


def test_every_did_you_mean_button_is_answered_with_its_own_topic(model_path: Path) -> None:
    """A "Did you mean...?" button sends its topic's question (actions/fallback.py)."""
    examples = [Example(topic["question"], f"faq/{key}") for key, topic in faq_topics().items()]
    report = evaluate_model(model_path, examples)
    assert report.mistakes() == []
