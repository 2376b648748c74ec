"""The benchmark scripts run end to end on a tiny configuration.

Only that they run and write a complete report is checked here; timings are
measured by `make bench`, never asserted in tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.red_flag_evaluation import BOTH, RedFlagSets, reply_to
from benchmarks.report import new_report_folder
from benchmarks.speed import percentile
from benchmarks.understanding import stratified_folds
from benchmarks.understanding_comparison import write as write_understanding_report
from staff.nlu_evaluation import Example, Report, predicted_label


def test_scores_count_the_fallback_as_right_only_for_out_of_scope() -> None:
    examples = [
        Example("a", "faq/cost"),
        Example("b", "out_of_scope"),
        Example("c", "greet"),
        Example("d", "greet"),
    ]
    report = Report(examples, ["faq/cost", "nlu_fallback", "nlu_fallback", "greet"])
    assert report.accuracy == 0.75
    assert report.recall("out_of_scope") == 1.0 and report.recall("greet") == 0.5
    assert report.confusions() == [(("greet", "nlu_fallback"), 1)]
    assert 0 < report.macro_f1 < 1


def test_predicted_label_uses_the_faq_key() -> None:
    parsed = {
        "intent": {"name": "faq"},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/cost"}}},
    }
    assert predicted_label(parsed) == "faq/cost"
    assert predicted_label({"intent": {"name": "greet"}}) == "greet"


def test_predicted_label_reads_the_default_selector_of_rasa_default_config() -> None:
    parsed = {
        "intent": {"name": "faq"},
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "default": {"response": {"intent_response_key": "faq/hours"}},
        },
    }
    assert predicted_label(parsed) == "faq/hours"


def test_red_flag_figures_count_each_reply_as_the_patient_gets_it() -> None:
    sets = RedFlagSets(emergency=["e1", "e2"], clinic=["c1", "c2", "c3", "c4"], ordinary=["o1", "o2", "o3", "o4"])
    # A tierless urgent reply gives both lists: it is a 911 reply.
    report = sets.report(["emergency", BOTH, "clinic", "emergency", None, BOTH, BOTH, "clinic", None, None])
    assert report.figures() == {
        "emergency_recall": 1.0, "clinic_recall": 0.75, "false_911_rate": 0.25, "any_urgent_rate": 0.5,
    }  # fmt: skip
    assert report.misses()["clinic tier without a safety reply"] == [("c3", None)]
    assert not report.meets_targets()
    urgent = {"intent": {"name": "urgent_symptom"}}
    assert reply_to({**urgent, "entities": [{"entity": "urgent_tier", "value": "clinic"}]}) == "clinic"
    assert reply_to(urgent) == BOTH and reply_to({"intent": {"name": "faq"}}) is None


def test_red_flag_rows_of_the_report() -> None:
    from benchmarks.report import red_flag_table
    from benchmarks.run import red_flag_targets

    figures = {"emergency_recall": 1.0, "clinic_recall": 0.97, "false_911_rate": 0.01, "any_urgent_rate": 0.03}
    rows = red_flag_targets(figures)
    assert [met for _, _, met in rows] == [True, False, True]
    assert "any safety reply: 3.0%" in rows[2][1]
    table = red_flag_table({"red_flags": {"project": figures}})
    assert table[-1] == "| (a) project | 1.000 | 0.970 | 0.010 | 0.030 |"


def test_folds_spread_every_label() -> None:
    examples = [Example(f"{label}{i}", label) for label in "abc" for i in range(5)]
    folds = stratified_folds(examples, 5)
    assert all({e.label for e in fold} == {"a", "b", "c"} for fold in folds)
    assert sorted(e.text for fold in folds for e in fold) == sorted(e.text for e in examples)


def test_percentiles() -> None:
    assert percentile(list(range(1, 101)), 0.5) in (50, 51) and percentile([5.0], 0.99) == 5.0


@pytest.mark.timeout(1500)
def test_quick_benchmark_run_writes_a_complete_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.run import main

    # Every training goes through rasa_extensions.rasa_command: Rasa's
    # training cache (here, where Rasa would put it) is never created.
    rasa_cache = tmp_path / "rasa-cache"
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(rasa_cache))
    report = main(["--quick", "--out", str(tmp_path / "report")])
    assert not rasa_cache.exists()
    results = json.loads((report.parent / "results.json").read_text())
    assert set(results["understanding"]) == set(results["red_flags"]) == {"project", "rasa_default", "tfidf_lr"}
    assert set(results["speed"]) == {
        "project", "project_2_workers", "rasa_default", "rasa_default_project_server", "floor"
    }  # fmt: skip
    assert all(load["errors"] == 0 and load["messages"] > 0 for loads in results["speed"].values() for load in loads)
    # Both servers are also loaded at a person's pace; the HTTP floor only back to back.
    paced = {name for name, loads in results["speed"].items() if any(load["pause_s"] for load in loads)}
    assert paced == {"project", "project_2_workers", "rasa_default"}
    assert {row["target"] for row in results["targets"]} >= {
        "urgent-symptom recall = 1.0 (development and blind)", "start-up < 20 s",
        "red flags: emergency tier gets the 911 reply = 1.0", "red-flag messages answered safely in any state = 100%",
    }  # fmt: skip
    text = report.read_text()
    assert results["conversations"]["conversations"] == 3 and results["conversations"]["booking_visitors"] == 2
    for heading in ("## Targets", "## Understanding", "## Conversations", "## Red flags", "## Speed", "## Cost"):
        assert heading in text
    assert (report.parent / "accuracy.png").stat().st_size > 0 and (report.parent / "latency.png").stat().st_size > 0


def test_cross_validation_is_reused_only_from_a_run_on_the_same_training_data(tmp_path: Path) -> None:
    from benchmarks.run import reused_cross_validation, training_data_fingerprint

    row = {"development_accuracy": 0.9, "cv_accuracy": 0.65, "cv_macro_f1": 0.66}
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({"meta": {"training_data_fingerprint": training_data_fingerprint()},
                                   "understanding": {"rasa_default": row}}))  # fmt: skip
    assert reused_cross_validation(earlier, "rasa_default") == {"cv_accuracy": 0.65, "cv_macro_f1": 0.66}
    earlier.write_text(json.dumps({"meta": {"training_data_fingerprint": "other"},
                                   "understanding": {"rasa_default": row}}))  # fmt: skip
    with pytest.raises(SystemExit):
        reused_cross_validation(earlier, "rasa_default")
    earlier.write_text(json.dumps({"meta": {}, "understanding": {"rasa_default": row}}))
    with pytest.raises(SystemExit):
        reused_cross_validation(earlier, "rasa_default")
    # A run that did not cross-validate the default has nothing to lend.
    not_measured = {**row, "cv_accuracy": float("nan")}
    earlier.write_text(json.dumps({"meta": {"training_data_fingerprint": training_data_fingerprint()},
                                   "understanding": {"rasa_default": not_measured}}))  # fmt: skip
    with pytest.raises(SystemExit):
        reused_cross_validation(earlier, "rasa_default")


def test_understanding_comparison_report_names_every_pipeline_and_both_sets(tmp_path: Path) -> None:
    row = dict.fromkeys(
        ("development_accuracy", "development_macro_f1", "urgent_recall", "out_of_scope_recall",
         "blind_accuracy", "blind_macro_f1", "blind_urgent_recall", "blind_out_of_scope_recall"),
        0.5,
    )  # fmt: skip
    results = {
        "understanding": {"project": {**row, "blind_accuracy": 0.961}, "rasa_default": row, "tfidf_lr": row},
        "nlu_training_seconds": {"project": 101.0, "rasa_default": 900.0},
        "meta": {"date": "2026-12-07", "training_examples": 10, "development_examples": 4, "blind_examples": 3},
    }
    report = write_understanding_report(results, tmp_path).read_text()
    assert "| (a) project | 0.961 |" in report
    assert "(b) Rasa default" in report and "(c) TF-IDF + LR" in report
    assert "project 101 s, rasa_default 900 s" in report
    # This run has no cross-validation: its columns say so, not "nan".
    assert "nan" not in report and report.count("not run") == 6
    assert json.loads((tmp_path / "results.json").read_text()) == results


def test_a_second_report_of_the_same_day_gets_its_own_folder(tmp_path: Path) -> None:
    first = new_report_folder(tmp_path, "2026-12-07", "-understanding")
    assert first.name == "2026-12-07-understanding"
    first.mkdir()
    second = new_report_folder(tmp_path, "2026-12-07", "-understanding")
    assert second.name == "2026-12-07b-understanding"
    second.mkdir()
    assert new_report_folder(tmp_path, "2026-12-07", "-understanding").name == "2026-12-07c-understanding"
    assert new_report_folder(tmp_path, "2026-12-07").name == "2026-12-07"
