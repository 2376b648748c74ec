"""What a trained model must score before visitors get it, and on which messages.

Two kinds of labelled visitor messages, kept apart on purpose:

* the **development sets** (tests/nlu_holdout/): they have chosen settings
  and training examples, so they measure only what tuning reached. The gate:
  at least MIN_ACCURACY right, every urgent symptom caught, out-of-scope
  recall at least MIN_OUT_OF_SCOPE_RECALL. `make test` and `make retrain`
  apply it;
* the **blind set** (tests/nlu_blind/): never used to choose anything, so it
  is the honest estimate. It is scored on the messages that are not word
  for word a training example (short ones like "thanks" often are): what it
  measures is understanding, not recall. It is reported beside the development sets
  everywhere, and guards staff publishing only as a regression check: a new
  model may not score below the published one by more than BLIND_SPREAD.

The published model's scores are kept in models/published.json by
`make retrain` when it loads a model.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional

from staff.nlu_evaluation import OUT_OF_SCOPE_INTENT, Example, Report, evaluate_model, load_examples, unseen

PROJECT_DIR = Path(__file__).resolve().parent.parent
TRAINING_FILES = sorted((PROJECT_DIR / "data" / "nlu").glob("*.yml"))
DEVELOPMENT_SETS = (
    PROJECT_DIR / "tests" / "nlu_holdout" / "holdout.yml",
    PROJECT_DIR / "tests" / "nlu_holdout" / "fresh.yml",
    PROJECT_DIR / "tests" / "nlu_holdout" / "visitors.yml",
    PROJECT_DIR / "tests" / "nlu_holdout" / "independent.yml",
)
BLIND_SET = PROJECT_DIR / "tests" / "nlu_blind" / "blind.yml"
PUBLISHED_RECORD = PROJECT_DIR / "models" / "published.json"
URGENT_INTENT = "urgent_symptom"

MIN_ACCURACY = 0.95
MIN_OUT_OF_SCOPE_RECALL = 0.93
# Training is deterministic (fixed seeds), so the same data and configuration
# score the same; but any change to the data moves the model as much as
# another seed does. Measured on 2026-12-06: four trainings of the same data
# (seeds 42 and 7, 25 and 40 epochs) scored 0.946 to 0.958 on the blind set,
# 7 of its 590 messages apart. A candidate may lose that much to chance.
BLIND_SPREAD = 7 / 590


@dataclass(frozen=True)
class Scores:
    """A model's figures on the development sets and the blind set."""

    development_accuracy: float
    development_urgent_recall: float
    development_out_of_scope_recall: float
    blind_accuracy: float
    blind_urgent_recall: float
    blind_out_of_scope_recall: float


@dataclass(frozen=True)
class Evaluation:
    development: Report
    blind: Report

    @property
    def scores(self) -> Scores:
        return Scores(
            development_accuracy=self.development.accuracy,
            development_urgent_recall=self.development.recall(URGENT_INTENT),
            development_out_of_scope_recall=self.development.recall(OUT_OF_SCOPE_INTENT),
            blind_accuracy=self.blind.accuracy,
            blind_urgent_recall=self.blind.recall(URGENT_INTENT),
            blind_out_of_scope_recall=self.blind.recall(OUT_OF_SCOPE_INTENT),
        )

    def summary(self) -> str:
        s = self.scores
        return (
            f"development sets ({len(self.development.examples)} messages, they chose settings): "
            f"accuracy {s.development_accuracy:.3f}, urgent recall {s.development_urgent_recall:.3f}, "
            f"out-of-scope recall {s.development_out_of_scope_recall:.3f}\n"
            f"blind set ({len(self.blind.examples)} messages, never tuned on): "
            f"accuracy {s.blind_accuracy:.3f}, urgent recall {s.blind_urgent_recall:.3f}, "
            f"out-of-scope recall {s.blind_out_of_scope_recall:.3f}"
        )


def development_examples() -> List[Example]:
    return load_examples(DEVELOPMENT_SETS)


def blind_examples() -> List[Example]:
    """The blind set's messages the model was not trained on word for word."""
    return unseen(load_examples([BLIND_SET]), load_examples(TRAINING_FILES))


def evaluate(model_path: Path) -> Evaluation:
    """Score a model on both kinds of messages (one model load)."""
    development, blind = development_examples(), blind_examples()
    report = evaluate_model(model_path, [*development, *blind])
    split = len(development)
    return Evaluation(
        development=Report(development, report.predictions[:split], report.parses[:split]),
        blind=Report(blind, report.predictions[split:], report.parses[split:]),
    )


def gate_failures(scores: Scores) -> List[str]:
    """Why a model may not be used, on the development sets; empty when it may."""
    failures = []
    if scores.development_accuracy < MIN_ACCURACY:
        failures.append(f"development accuracy {scores.development_accuracy:.3f} < {MIN_ACCURACY}")
    if scores.development_urgent_recall < 1.0:
        failures.append("an urgent-symptom message of the development sets was missed")
    if scores.development_out_of_scope_recall < MIN_OUT_OF_SCOPE_RECALL:
        failures.append(
            f"development out-of-scope recall {scores.development_out_of_scope_recall:.3f} < {MIN_OUT_OF_SCOPE_RECALL}"
        )
    return failures


def blind_regression(candidate: Scores, published: Optional[Scores]) -> Optional[str]:
    """Why the candidate is worse than the published model on the blind set, or None."""
    if published is None:
        return None
    if candidate.blind_accuracy < published.blind_accuracy - BLIND_SPREAD:
        return (
            f"blind accuracy {candidate.blind_accuracy:.3f} is below the published model's "
            f"{published.blind_accuracy:.3f} by more than the run-to-run spread"
        )
    if candidate.blind_urgent_recall < published.blind_urgent_recall:
        return "the candidate misses an urgent-symptom message of the blind set the published model caught"
    return None


def published_scores(record: Path = PUBLISHED_RECORD) -> Optional[Scores]:
    """The scores of the model `make retrain` last loaded, if any."""
    if not record.exists():
        return None
    return Scores(**json.loads(record.read_text(encoding="utf-8"))["scores"])


def record_published(model_path: Path, scores: Scores, record: Path = PUBLISHED_RECORD) -> None:
    record.write_text(json.dumps({"model": model_path.name, "scores": asdict(scores)}, indent=2) + "\n")
