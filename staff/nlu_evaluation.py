"""Scores a trained model's understanding on labelled visitor messages.

Used by the quality gate (staff/quality_gate.py: `make test`, `make retrain`)
and the benchmark report. The label of a message is its intent, or `faq/<key>` for FAQ
questions, so an answer counts as right only if the right FAQ answer is picked.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import yaml

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def load_examples(paths: Iterable[Path]) -> List[Example]:
    """Read Rasa YAML NLU files into (text, label) examples."""
    examples: List[Example] = []
    for path in paths:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []):
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append(Example(text=line[2:].strip(), label=block["intent"]))
    return examples


def normalised_text(text: str) -> str:
    """Lowercase, punctuation-free text: how two messages are compared for being the same."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def unseen(examples: Sequence[Example], training: Iterable[Example]) -> List[Example]:
    """The examples that are not word for word a training example."""
    seen = {normalised_text(example.text) for example in training}
    return [example for example in examples if normalised_text(example.text) not in seen]


def predicted_label(parse_result: Dict[str, Any]) -> str:
    """'faq/<key>' for FAQ answers, otherwise the predicted intent name."""
    intent = (parse_result.get("intent") or {}).get("name") or ""
    if intent == "faq":
        # A ResponseSelector without `retrieval_intent` (Rasa's default config)
        # reports under "default"; utter_faq falls back to it the same way.
        selectors = parse_result.get("response_selector") or {}
        selected = (selectors.get("faq") or selectors.get("default") or {}).get("response") or {}
        return selected.get("intent_response_key") or "faq"
    return intent


def is_correct(gold: str, predicted: str) -> bool:
    """Right label; the fallback also counts as right for out-of-scope messages."""
    return predicted == gold or (gold == OUT_OF_SCOPE_INTENT and predicted == FALLBACK_INTENT)


@dataclass
class Report:
    examples: Sequence[Example]
    predictions: Sequence[str]
    # The raw parse results, when the predictions came from a Rasa model.
    parses: Sequence[Dict[str, Any]] = ()

    @property
    def accuracy(self) -> float:
        right = sum(is_correct(e.label, p) for e, p in zip(self.examples, self.predictions, strict=False))
        return right / len(self.examples) if self.examples else 0.0

    def recall(self, label: str) -> float:
        pairs = [(e, p) for e, p in zip(self.examples, self.predictions, strict=False) if e.label == label]
        return sum(is_correct(e.label, p) for e, p in pairs) / len(pairs) if pairs else 0.0

    @property
    def macro_f1(self) -> float:
        labels = sorted({e.label for e in self.examples})
        scores = []
        for label in labels:
            true_positive = sum(
                1
                for e, p in zip(self.examples, self.predictions, strict=False)
                if e.label == label and is_correct(label, p)
            )
            predicted_as = sum(
                1 for e, p in zip(self.examples, self.predictions, strict=False)
                if p == label or (label == OUT_OF_SCOPE_INTENT and p == FALLBACK_INTENT and e.label == label)
            )  # fmt: skip
            actual = sum(1 for e in self.examples if e.label == label)
            precision = true_positive / predicted_as if predicted_as else 0.0
            recall = true_positive / actual if actual else 0.0
            scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        return sum(scores) / len(scores) if scores else 0.0

    def confusions(self, top: int = 10) -> List[Tuple[Tuple[str, str], int]]:
        mistakes = Counter((gold, predicted) for _, gold, predicted in self.mistakes())
        return mistakes.most_common(top)

    def mistakes(self) -> List[Tuple[str, str, str]]:
        return [
            (e.text, e.label, p)
            for e, p in zip(self.examples, self.predictions, strict=False)
            if not is_correct(e.label, p)
        ]

    def summary(self) -> str:
        lines = [
            f"examples: {len(self.examples)}",
            f"accuracy (intent + FAQ key): {self.accuracy:.3f}",
            f"macro-F1: {self.macro_f1:.3f}",
            f"urgent_symptom recall: {self.recall('urgent_symptom'):.3f}",
            f"out_of_scope recall: {self.recall(OUT_OF_SCOPE_INTENT):.3f}",
            "worst confusions (gold -> predicted: count):",
        ]
        lines += [f"  {gold} -> {predicted}: {count}" for (gold, predicted), count in self.confusions()]
        return "\n".join(lines)


def quiet_rasa_logs() -> None:
    """Rasa logs every parse at debug level; an evaluation needs only warnings."""
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)


async def _parse_all(model_path: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    quiet_rasa_logs()

    agent = Agent.load(str(model_path))
    return [await agent.parse_message(text) for text in texts]


def parse_texts(model_path: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """The trained model's parse result for each text (its whole NLU pipeline)."""
    return asyncio.run(_parse_all(model_path, texts))


def evaluate_model(model_path: Path, examples: Sequence[Example]) -> Report:
    """Parse every example with the trained model and score the predictions."""
    results = parse_texts(model_path, [e.text for e in examples])
    return Report(examples=examples, predictions=[predicted_label(r) for r in results], parses=results)


def with_fallback_threshold(report: Report, threshold: float, ambiguity: float) -> Report:
    """The report as it would be with another FallbackClassifier setting.

    Uses the classifier's own confidences (the ranking below any fallback
    entry); predictions set by the fixed rules (confidence 1.0) are kept.
    """
    predictions = []
    for parse in report.parses:
        ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
        label = predicted_label({**parse, "intent": ranking[0]}) if ranking else FALLBACK_INTENT
        top = ranking[0]["confidence"] if ranking else 0.0
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        forced = (parse.get("intent") or {}).get("confidence") == 1.0
        if forced:
            label = predicted_label(parse)
        elif top < threshold or top - second < ambiguity:
            label = FALLBACK_INTENT
        predictions.append(label)
    return Report(report.examples, predictions, report.parses)


def combine(reports: Iterable[Report]) -> Report:
    """One report over several (the folds of a cross-validation)."""
    reports = list(reports)
    return Report(
        examples=[e for r in reports for e in r.examples],
        predictions=[p for r in reports for p in r.predictions],
        parses=[p for r in reports for p in r.parses],
    )
