"""NLU quality gate on the held-out visitor messages (tests/nlu_holdout/).

The held-out messages were written separately from the training data and
never copied into it (test_training_data.py checks that). The score and the
worst confusions are printed on every run and saved under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.fallback import faq_topics
from benchmarks.nlu_evaluation import Example, evaluate_model, load_examples
from tests.support.project_data import FRESH_HOLDOUT, HOLDOUT, PROJECT_DIR

MINIMUM_ACCURACY = 0.92
HELD_OUT_SETS = {"holdout": HOLDOUT, "fresh": FRESH_HOLDOUT}


@pytest.fixture(scope="module", params=sorted(HELD_OUT_SETS))
def held_out_report(request: pytest.FixtureRequest, model_path: Path):
    name = request.param
    report = evaluate_model(model_path, load_examples([HELD_OUT_SETS[name]]))
    summary = report.summary()
    artifacts = PROJECT_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"nlu_{name}_report.txt").write_text(
        summary + "\n\nmistakes (text | gold | predicted):\n"
        + "\n".join(" | ".join(m) for m in report.mistakes()) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    reporter.write_line(f"\nNLU evaluation on {HELD_OUT_SETS[name].name}\n{summary}")
    return report


def test_held_out_accuracy_meets_the_gate(held_out_report) -> None:
    assert held_out_report.accuracy >= MINIMUM_ACCURACY, held_out_report.summary()


def test_every_urgent_symptom_message_gets_the_safety_reply(held_out_report) -> None:
    missed = [text for text, gold, _ in held_out_report.mistakes() if gold == "urgent_symptom"]
    assert missed == []


def test_every_did_you_mean_button_is_answered_with_its_own_topic(model_path: Path) -> None:
    """A "Did you mean...?" button sends its topic's question (actions/fallback.py)."""
    examples = [Example(topic["question"], f"faq/{key}") for key, topic in faq_topics().items()]
    report = evaluate_model(model_path, examples)
    assert report.mistakes() == []
