"""The understanding gate's rules (staff/quality_gate.py), without a model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from staff.nlu_evaluation import Example, unseen
from staff.quality_gate import (
    BLIND_SPREAD,
    Scores,
    blind_regression,
    gate_failures,
    published_scores,
    record_published,
)

GOOD = Scores(
    development_accuracy=0.96,
    development_urgent_recall=1.0,
    development_out_of_scope_recall=0.95,
    blind_accuracy=0.95,
    blind_urgent_recall=1.0,
    blind_out_of_scope_recall=0.9,
)


def test_a_model_passes_on_the_development_sets_only() -> None:
    # The blind figures play no part in the gate.
    assert gate_failures(replace(GOOD, blind_accuracy=0.5, blind_urgent_recall=0.5)) == []


def test_each_development_shortfall_is_named() -> None:
    failures = gate_failures(
        replace(GOOD, development_accuracy=0.94, development_urgent_recall=0.99, development_out_of_scope_recall=0.9)
    )
    assert len(failures) == 3 and "accuracy" in failures[0] and "urgent" in failures[1]


def test_the_blind_set_stops_only_a_regression_beyond_the_spread() -> None:
    assert blind_regression(GOOD, None) is None
    assert blind_regression(replace(GOOD, blind_accuracy=GOOD.blind_accuracy - BLIND_SPREAD / 2), GOOD) is None
    assert blind_regression(replace(GOOD, blind_accuracy=GOOD.blind_accuracy - 2 * BLIND_SPREAD), GOOD)
    assert blind_regression(replace(GOOD, blind_urgent_recall=0.9), GOOD)


def test_the_published_models_scores_are_kept(tmp_path: Path) -> None:
    record = tmp_path / "published.json"
    assert published_scores(record) is None
    record_published(Path("models/clinic-assistant-x.tar.gz"), GOOD, record)
    assert published_scores(record) == GOOD


def test_messages_identical_to_a_training_example_are_not_scored() -> None:
    training = [Example("How much does it COST?", "faq/cost")]
    examples = [Example("how much does it cost", "faq/cost"), Example("price pls", "faq/cost")]
    assert unseen(examples, training) == [Example("price pls", "faq/cost")]
