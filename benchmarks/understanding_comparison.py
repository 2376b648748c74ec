"""Understanding only: the project's pipeline beside Rasa's default pipeline
and TF-IDF + LR, trained on the same data, scored on the development sets
and the blind set, in one run (about an hour on 2 cores, most of it Rasa
default's training; `make bench` adds cross-validation, speed and cost).

    python -m benchmarks.understanding_comparison [--out DIR]

Writes report.md and results.json to benchmarks/reports/<date>-understanding/ (<date>b-..., <date>c-... for
later runs of the same day).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Sequence

from benchmarks.report import accuracy_table, new_report_folder
from benchmarks.run import CONFIGS, NLU_FILES, REPORTS_DIR, TRAINING_DATA, understanding_row
from benchmarks.understanding import rasa_holdout, tfidf_logistic_regression
from staff.nlu_evaluation import Report, evaluate_model, load_examples
from staff.quality_gate import blind_examples, development_examples


def compare(work_dir: Path) -> Dict[str, Any]:
    training = load_examples(NLU_FILES)
    development, blind = development_examples(), blind_examples()
    understanding: Dict[str, Any] = {}
    training_seconds: Dict[str, float] = {}
    for name, config in CONFIGS.items():
        print(f"[understanding] training and scoring {name}", flush=True)
        development_report, model = rasa_holdout(config, TRAINING_DATA, development, work_dir, name)
        understanding[name] = understanding_row(development_report, evaluate_model(model.path, blind), None)
        training_seconds[name] = model.seconds
    understanding["tfidf_lr"] = understanding_row(
        Report(development, tfidf_logistic_regression(training, development)),
        Report(blind, tfidf_logistic_regression(training, blind)),
        None,
    )
    return {
        "understanding": understanding,
        "nlu_training_seconds": training_seconds,
        "meta": {
            "date": datetime.date.today().isoformat(),
            "training_examples": len(training),
            "development_examples": len(development),
            "blind_examples": len(blind),
        },
    }


def write(results: Dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_text(json.dumps(results, indent=2))
    meta = results["meta"]
    seconds = ", ".join(f"{name} {value:.0f} s" for name, value in results["nlu_training_seconds"].items())
    lines = [
        f"# Understanding, {meta['date']}",
        "",
        f"{meta['training_examples']} training examples; {meta['development_examples']} development messages "
        f"(they chose settings and training examples); {meta['blind_examples']} blind visitor messages "
        "(never tuned on). Every pipeline was trained once on the same data in this run "
        f"(NLU training: {seconds}). No cross-validation here: `make bench` has it.",
        "",
        *accuracy_table(results),
        "",
    ]
    report = directory / "report.md"
    report.write_text("\n".join(lines))
    return report


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report folder (default: reports/<date>-understanding, <date>b-... if taken)",
    )
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="clinic-understanding-"))
    try:
        results = compare(work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    report = write(results, args.out or new_report_folder(REPORTS_DIR, results["meta"]["date"], "-understanding"))
    print(report.read_text())
    return report


if __name__ == "__main__":
    main()
