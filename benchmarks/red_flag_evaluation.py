"""Scores the safety reply on the red-flag sets (tests/red_flags/).

Every message goes through the trained model's whole NLU pipeline (the model
and the red-flag rules), and the reply it would get is read from the parse:
the 911 reply ("emergency"), the call-the-clinic reply ("clinic"), both
lists (BOTH: an urgent message with no tier, which the assistant's pipeline
never gives, but a pipeline without the red-flag detector does) or no safety
reply (None). Used by the test suite (tests/test_red_flag_sets.py) and the
benchmark report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from rasa_extensions.nlu.red_flag_detector import CLINIC, EMERGENCY, URGENT_INTENT, urgent_tier
from staff.nlu_evaluation import parse_texts

RED_FLAG_SETS = Path(__file__).resolve().parent.parent / "tests" / "red_flags"
# The targets in tests/red_flags/README.md.
TARGETS = {"emergency_recall": 1.0, "clinic_recall": 0.98, "false_911_rate": 0.02}
# The default safety reply: the 911 list and the call-the-clinic list.
BOTH = "both"
GIVES_911 = (EMERGENCY, BOTH)
ANY_SAFETY_REPLY = (EMERGENCY, CLINIC, BOTH)


@dataclass(frozen=True)
class RedFlagSets:
    """The urgent messages by tier and the ordinary messages."""

    emergency: Sequence[str]
    clinic: Sequence[str]
    ordinary: Sequence[str]

    @classmethod
    def load(cls, folder: Path = RED_FLAG_SETS) -> RedFlagSets:
        urgent = yaml.safe_load((folder / "urgent.yml").read_text(encoding="utf-8"))
        ordinary = yaml.safe_load((folder / "ordinary.yml").read_text(encoding="utf-8"))
        return cls(emergency=urgent[EMERGENCY], clinic=urgent[CLINIC], ordinary=ordinary["ordinary"])

    @property
    def texts(self) -> List[str]:
        return [*self.emergency, *self.clinic, *self.ordinary]

    def sample(self, each: int) -> RedFlagSets:
        """The first `each` messages of every set (for a quick run)."""
        return RedFlagSets(self.emergency[:each], self.clinic[:each], self.ordinary[:each])

    def report(self, replies: Sequence[Optional[str]]) -> RedFlagReport:
        """A report from the reply to each of `texts`, in order."""
        first, second = len(self.emergency), len(self.emergency) + len(self.clinic)
        return RedFlagReport(
            emergency=list(zip(self.emergency, replies[:first], strict=True)),
            clinic=list(zip(self.clinic, replies[first:second], strict=True)),
            ordinary=list(zip(self.ordinary, replies[second:], strict=True)),
        )


@dataclass(frozen=True)
class RedFlagReport:
    """The reply each message got: "emergency", "clinic", BOTH or None."""

    emergency: Sequence[Tuple[str, Optional[str]]]
    clinic: Sequence[Tuple[str, Optional[str]]]
    ordinary: Sequence[Tuple[str, Optional[str]]]

    @staticmethod
    def _share(replies: Sequence[Tuple[str, Optional[str]]], wanted: Sequence[Optional[str]]) -> float:
        return sum(reply in wanted for _, reply in replies) / len(replies) if replies else 0.0

    @property
    def emergency_recall(self) -> float:
        """Emergency messages answered with the 911 reply."""
        return self._share(self.emergency, GIVES_911)

    @property
    def clinic_recall(self) -> float:
        """Clinic-tier messages answered with a safety reply (the 911 one included)."""
        return self._share(self.clinic, ANY_SAFETY_REPLY)

    @property
    def false_911_rate(self) -> float:
        """Ordinary messages answered with the 911 reply."""
        return self._share(self.ordinary, GIVES_911)

    @property
    def any_urgent_rate(self) -> float:
        """Ordinary messages answered with either safety reply."""
        return self._share(self.ordinary, ANY_SAFETY_REPLY)

    def figures(self) -> Dict[str, float]:
        return {
            "emergency_recall": self.emergency_recall,
            "clinic_recall": self.clinic_recall,
            "false_911_rate": self.false_911_rate,
            "any_urgent_rate": self.any_urgent_rate,
        }

    def meets_targets(self) -> bool:
        return (
            self.emergency_recall >= TARGETS["emergency_recall"]
            and self.clinic_recall >= TARGETS["clinic_recall"]
            and self.false_911_rate <= TARGETS["false_911_rate"]
        )

    def misses(self) -> Dict[str, List[Tuple[str, Optional[str]]]]:
        """The messages that did not get the reply they should have."""
        return {
            "emergency without the 911 reply": [(t, r) for t, r in self.emergency if r not in GIVES_911],
            "clinic tier without a safety reply": [(t, r) for t, r in self.clinic if r is None],
            "ordinary with the 911 reply": [(t, r) for t, r in self.ordinary if r in GIVES_911],
            "ordinary with the clinic reply": [(t, r) for t, r in self.ordinary if r == CLINIC],
        }

    def summary(self) -> str:
        lines = [
            f"emergency tier: {len(self.emergency)} messages, recall (911 reply) {self.emergency_recall:.3f}",
            f"clinic tier: {len(self.clinic)} messages, recall (a safety reply) {self.clinic_recall:.3f}",
            f"ordinary: {len(self.ordinary)} messages, 911 reply {self.false_911_rate:.3f}, "
            f"any safety reply {self.any_urgent_rate:.3f}",
        ]
        for kind, messages in self.misses().items():
            lines.append(f"{kind}: {len(messages)}")
            lines += [f"  [{reply}] {text}" for text, reply in messages]
        return "\n".join(lines)


def reply_to(parse: Mapping[str, Any]) -> Optional[str]:
    """The safety reply a parse result leads to."""
    if (parse.get("intent") or {}).get("name") != URGENT_INTENT:
        return None
    return urgent_tier(parse) or BOTH


def reply_to_label(label: str) -> Optional[str]:
    """The safety reply a predicted label alone leads to (a classifier with no tiers)."""
    return BOTH if label == URGENT_INTENT else None


def replies(model_path: Path, texts: Sequence[str]) -> List[Optional[str]]:
    """The safety reply each text gets from the model's NLU pipeline."""
    return [reply_to(parse) for parse in parse_texts(model_path, texts)]


def evaluate_red_flags(model_path: Path, sets: Optional[RedFlagSets] = None) -> RedFlagReport:
    """Parse every red-flag and ordinary message with the trained model."""
    sets = sets or RedFlagSets.load()
    return sets.report(replies(model_path, sets.texts))
