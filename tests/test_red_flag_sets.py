"""The safety reply on the red-flag sets (tests/red_flags/), through the
trained model's whole NLU pipeline: the model and the red-flag rules.

Targets (tests/red_flags/README.md): every emergency message gets the 911
reply, at least 98% of clinic-tier messages get a safety reply, and at most
2% of ordinary questions get the 911 reply. The figures and every miss are
printed on each run and saved under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.red_flag_evaluation import TARGETS, RedFlagReport, evaluate_red_flags
from tests.support.project_data import PROJECT_DIR


@pytest.fixture(scope="module")
def red_flag_report(request: pytest.FixtureRequest, model_path: Path) -> RedFlagReport:
    report = evaluate_red_flags(model_path)
    artifacts = PROJECT_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "red_flag_report.txt").write_text(report.summary() + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    reporter.write_line(f"\nRed-flag sets (tests/red_flags/)\n{report.summary()}")
    return report


def test_every_emergency_gets_the_911_reply(red_flag_report: RedFlagReport) -> None:
    assert red_flag_report.emergency_recall >= TARGETS["emergency_recall"], red_flag_report.summary()


def test_clinic_tier_messages_get_a_safety_reply(red_flag_report: RedFlagReport) -> None:
    assert red_flag_report.clinic_recall >= TARGETS["clinic_recall"], red_flag_report.summary()


def test_ordinary_questions_rarely_get_the_911_reply(red_flag_report: RedFlagReport) -> None:
    assert red_flag_report.false_911_rate <= TARGETS["false_911_rate"], red_flag_report.summary()
