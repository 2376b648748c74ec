"""`make bench`: every benchmark in one run, written to benchmarks/reports/<date>/ (<date>b/... if taken).

    python -m benchmarks.run                 # the full run (about 1.5 hours on 2 cores)
    python -m benchmarks.run --quick         # tiny configuration: checks the scripts work

Understanding: held-out accuracy and k-fold cross-validation for (a) the
project's pipeline (config.yml), (b) Rasa's default pipeline and policies
(benchmarks/configs/rasa_default.yml) and (c) TF-IDF + logistic regression,
and the safety reply each gives on the red-flag sets (tests/red_flags/).
Speed: REST latency one visitor at a time and with 10, 50 and 100 at once
(back to back, and at a person's pace), for (a) as the assistant runs, (b)
as Rasa's default set-up runs (stock `rasa run` and REST channel), (b)'s
model behind the project's server code, and a bare Sanic endpoint. Cost:
training (full and fine-tune), model size, start-up until the first answer,
memory after start and after a long run of messages.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml

from benchmarks.conversations import conversation_figures
from benchmarks.red_flag_evaluation import TARGETS as RED_FLAG_TARGETS
from benchmarks.red_flag_evaluation import RedFlagSets, evaluate_red_flags, reply_to_label
from benchmarks.report import new_report_folder, write_report
from benchmarks.speed import VISITOR_PAUSE_SECONDS, floor_server, rss_megabytes, run_load, serve
from benchmarks.understanding import (
    baseline_cross_validation,
    rasa_cross_validation,
    rasa_holdout,
    tfidf_logistic_regression,
    write_training_data,
)
from rasa_extensions.rasa_command import command
from staff.nlu_evaluation import (
    OUT_OF_SCOPE_INTENT,
    Example,
    Report,
    evaluate_model,
    load_examples,
    with_fallback_threshold,
)
from staff.quality_gate import blind_examples, development_examples

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPORTS_DIR = PROJECT_DIR / "benchmarks" / "reports"
CONFIGS = {
    "project": PROJECT_DIR / "config.yml",
    "rasa_default": PROJECT_DIR / "benchmarks" / "configs" / "rasa_default.yml",
}
TRAINED_COMPONENTS = ("DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy")
# What `make train` trains the assistant's understanding on.
TRAINING_DATA = PROJECT_DIR / "data"
NLU_FILES = sorted((TRAINING_DATA / "nlu").glob("*.yml"))
# The answers are label features of the ResponseSelector: part of what it learns from.
TRAINING_FILES = [*NLU_FILES, TRAINING_DATA / "responses" / "faq.yml"]


def training_data_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in TRAINING_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reused_cross_validation(results_file: Path, name: str) -> Dict[str, float]:
    """`name`'s cross-validation figures from an earlier run on the same training data."""
    earlier = json.loads(results_file.read_text())
    if earlier["meta"].get("training_data_fingerprint") != training_data_fingerprint():
        raise SystemExit(f"{results_file} was measured on other training data; run the full benchmark.")
    row = earlier["understanding"][name]
    if not math.isfinite(row.get("cv_accuracy", math.nan)):
        raise SystemExit(f"{results_file} has no cross-validation for {name}; run the full benchmark.")
    return {"cv_accuracy": row["cv_accuracy"], "cv_macro_f1": row["cv_macro_f1"]}


def understanding_row(development: Report, blind: Report, cv: Report | None) -> Dict[str, float]:
    """A pipeline's figures on the development sets (they chose settings) and
    the blind set (never tuned on; staff/quality_gate.py)."""
    row = {
        "development_accuracy": development.accuracy,
        "development_macro_f1": development.macro_f1,
        "urgent_recall": development.recall("urgent_symptom"),
        "out_of_scope_recall": development.recall(OUT_OF_SCOPE_INTENT),
        "blind_accuracy": blind.accuracy,
        "blind_macro_f1": blind.macro_f1,
        "blind_urgent_recall": blind.recall("urgent_symptom"),
        "blind_out_of_scope_recall": blind.recall(OUT_OF_SCOPE_INTENT),
    }
    if cv is not None:
        row.update(cv_accuracy=cv.accuracy, cv_macro_f1=cv.macro_f1)
    return row


def conversation_targets(figures: Dict[str, Any]) -> List[Tuple[str, Any, bool]]:
    """Whole conversations' targets (issue 19): nothing breaks, every red flag is answered safely."""
    return [
        (f"fuzzed conversations with no broken turn = 100% (of {figures['conversations']})",
         f"{figures['unbroken_share']:.1%}", figures["broken_conversations"] == 0),
        ("red-flag messages answered safely in any state = 100%",
         f"{figures['red_flags_answered_safely']}/{figures['red_flag_messages']}",
         figures["red_flags_answered_safely"] == figures["red_flag_messages"]),
    ]  # fmt: skip


def red_flag_targets(red_flags: Dict[str, float]) -> List[Tuple[str, Any, bool]]:
    """The safety reply's targets (tests/red_flags/README.md) for the project's pipeline."""
    emergency, clinic = red_flags["emergency_recall"], red_flags["clinic_recall"]
    false_911, any_urgent = red_flags["false_911_rate"], red_flags["any_urgent_rate"]
    return [
        ("red flags: emergency tier gets the 911 reply = 1.0", emergency,
         emergency >= RED_FLAG_TARGETS["emergency_recall"]),
        ("red flags: clinic tier gets a safety reply >= 0.98", clinic, clinic >= RED_FLAG_TARGETS["clinic_recall"]),
        ("red flags: ordinary questions with the 911 reply <= 2%",
         f"{false_911:.1%} (any safety reply: {any_urgent:.1%})", false_911 <= RED_FLAG_TARGETS["false_911_rate"]),
    ]  # fmt: skip


def fallback_sweep(cv_report: Report) -> List[Dict[str, float]]:
    """Cross-validated accuracy for FallbackClassifier settings (config.yml's is chosen on the development sets)."""
    rows = []
    for threshold in (0.0, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8):
        for ambiguity in (0.0, 0.05, 0.1):
            swept = with_fallback_threshold(cv_report, threshold, ambiguity)
            rows.append({
                "threshold": threshold, "ambiguity_threshold": ambiguity, "accuracy": swept.accuracy,
                "out_of_scope_recall": swept.recall(OUT_OF_SCOPE_INTENT),
            })  # fmt: skip
    return rows


def tiny_config(source: Path, destination: Path) -> Path:
    """The same pipeline and policies with one epoch each (for --quick)."""
    config = yaml.safe_load(source.read_text())
    for component in config.get("pipeline", []) + config.get("policies", []):
        # Rasa's components by name, the project's subclasses of them by suffix.
        if component["name"].endswith(TRAINED_COMPONENTS):
            component["epochs"] = 1
    destination.write_text(yaml.safe_dump(config, sort_keys=False))
    return destination


def small_sample(examples: Sequence[Example], per_label: int) -> List[Example]:
    kept: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        if len(kept[example.label]) < per_label:
            kept[example.label].append(example)
    return [example for group in kept.values() for example in group]


def train_full_model(config: Path, work_dir: Path, name: str, finetune: bool) -> Tuple[Path, float, float]:
    """A complete model (NLU + dialogue) on the project's data; times training and fine-tuning."""

    def train(extra: List[str], model_name: str) -> Tuple[Path, float]:
        started = time.monotonic()
        result = subprocess.run(
            command("train", "--config", str(config), "--out", str(work_dir), "--fixed-model-name", model_name, *extra),
            cwd=PROJECT_DIR, capture_output=True, text=True,
        )  # fmt: skip
        path = work_dir / f"{model_name}.tar.gz"
        if result.returncode != 0 or not path.exists():
            raise RuntimeError(f"training {model_name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return path, time.monotonic() - started

    model, seconds = train([], name)
    finetune_seconds = float("nan")
    if finetune:
        _, finetune_seconds = train(["--finetune", str(model), "--epoch-fraction", "0.2"], f"{name}-finetuned")
    return model, seconds, finetune_seconds


def measure_speed(
    url: str, texts: Sequence[str], levels: Sequence[int], messages_each: int, pause_seconds: float = 0.0
) -> List[Dict[str, Any]]:
    """One visitor, then each level of visitors back to back, then (with a
    pause) each level again at a person's pace."""
    # 240 messages: the one-visitor median then moves by 1-2 ms between runs, not 5-7.
    loads = [run_load(url, 1, messages_each * 12, texts).summary()]
    loads += [run_load(url, level, messages_each, texts).summary() for level in levels]
    if pause_seconds:
        loads += [run_load(url, level, messages_each, texts, pause_seconds).summary() for level in levels]
    return loads


def targets(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's targets for the project's pipeline, checked against this run."""
    understanding, speed, cost = results["understanding"], results["speed"], results["cost"]
    project, default, tfidf = (
        understanding["project"],
        understanding["rasa_default"],
        understanding["tfidf_lr"],
    )

    def load(name: str, conversations: int, paced: bool = False) -> Dict[str, Any]:
        return next(
            entry for entry in speed[name]
            if entry["conversations"] == conversations and bool(entry.get("pause_s")) == paced
        )  # fmt: skip

    # Paced visitors' messages per second is the load they offered, not what the server could do.
    saturation = {
        name: max(entry["throughput_per_s"] for entry in loads if not entry.get("pause_s"))
        for name, loads in speed.items()
    }
    # The project's own deployment may use two workers (README, deploy/).
    saturation["project"] = max(saturation["project"], saturation.get("project_2_workers", 0.0))
    levels = [entry["conversations"] for entry in speed["project"]]
    ten = 10 if 10 in levels else levels[1]
    best_blind_baseline = max(default["blind_accuracy"], tfidf["blind_accuracy"])
    p50, default_p50 = load("project", 1)["p50_ms"], load("rasa_default", 1)["p50_ms"]
    same_server_p50 = load("rasa_default_project_server", 1)["p50_ms"]
    throughput_ratio = saturation["project"] / saturation["rasa_default"]
    same_server_ratio = saturation["project"] / saturation["rasa_default_project_server"]
    paced_ten, p99_ten_back_to_back = load("project", ten, paced=True), load("project", ten)["p99_ms"]
    p99_ten, pause = paced_ten["p99_ms"], paced_ten["pause_s"]
    train_s, startup_s = cost["project"]["train_seconds"], cost["project"]["startup_seconds"]
    memory_mb = cost["project"]["rss_after_load_mb"]
    rows = [
        ("blind accuracy >= 0.96 (never tuned on)", project["blind_accuracy"], project["blind_accuracy"] >= 0.96),
        ("ahead of Rasa default and TF-IDF+LR (blind)",
         f"{project['blind_accuracy']:.3f} vs {default['blind_accuracy']:.3f} / {tfidf['blind_accuracy']:.3f}",
         project["blind_accuracy"] > best_blind_baseline),
        ("development accuracy >= 0.95 (the gate)", project["development_accuracy"],
         project["development_accuracy"] >= 0.95),
        ("urgent-symptom recall = 1.0 (development and blind)",
         f"{project['urgent_recall']:.3f} / {project['blind_urgent_recall']:.3f}",
         min(project["urgent_recall"], project["blind_urgent_recall"]) >= 1.0),
        ("out-of-scope recall >= 0.93 (blind)", project["blind_out_of_scope_recall"],
         project["blind_out_of_scope_recall"] >= 0.93),
        *red_flag_targets(results["red_flags"]["project"]),
        *conversation_targets(results["conversations"]),
        ("p50 below Rasa default's (one visitor)",
         f"{p50:.1f} vs {default_p50:.1f} ms (default's model behind the project's server: {same_server_p50:.1f} ms)",
         p50 < default_p50),
        # Ten conversations at once, as people hold them; back to back, ten
        # visitors keep 2 cores saturated and p99 is queueing (report, Speed).
        (f"p99 < 100 ms at {ten} visitors ({0.5 * pause:g}-{1.5 * pause:g} s between messages)",
         f"{p99_ten:.1f} ms (back to back: {p99_ten_back_to_back:.1f} ms)", p99_ten < 100),
        ("throughput >= 1.5x Rasa default",
         f"{saturation['project']:.1f} vs {saturation['rasa_default']:.1f} msg/s = {throughput_ratio:.2f}x "
         f"(default's model behind the project's server: "
         f"{saturation['rasa_default_project_server']:.1f} msg/s, {same_server_ratio:.2f}x)",
         throughput_ratio >= 1.5),
        ("full training < 2 min", f"{train_s:.0f} s", train_s < 120),
        ("start-up < 20 s", f"{startup_s:.1f} s", startup_s < 20),
        # RSS is read in MiB; 1,200 MiB is 1.17 GiB (1.26 GB in decimal units).
        ("memory < 1.2 GB (RSS under 1,200 MiB)", f"{memory_mb:.0f} MiB", memory_mb < 1200),
    ]  # fmt: skip
    return [{"target": t, "measured": m if isinstance(m, str) else f"{m:.3f}", "met": bool(ok)} for t, m, ok in rows]


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny configuration: only checks the scripts run")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--memory-messages", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: reports/<date>)")
    default_cv = parser.add_mutually_exclusive_group()
    default_cv.add_argument(
        "--reuse-default-cv", type=Path, metavar="RESULTS_JSON",
        help="take Rasa default's cross-validation from an earlier results.json on the same training data "
        "(its 5 trainings take 0.5-1.5 hours on 2 cores; nothing of the project's pipeline is reused)",
    )  # fmt: skip
    default_cv.add_argument(
        "--skip-default-cv", action="store_true",
        help="leave out Rasa default's cross-validation (its 5 trainings take over an hour on 2 cores); "
        "the report says so",
    )  # fmt: skip
    args = parser.parse_args(argv)

    work_dir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    training = load_examples(NLU_FILES)
    training_data = TRAINING_DATA
    development, blind = development_examples(), blind_examples()
    red_flag_sets = RedFlagSets.load()
    configs = dict(CONFIGS)
    folds, levels, messages_each, memory_messages = args.folds, (10, 50, 100), 20, args.memory_messages
    fuzzed_conversations, booking_visitors = 2000, 200
    pause = VISITOR_PAUSE_SECONDS
    if args.quick:
        training = small_sample(training, 6)
        development, blind = small_sample(development, 2), small_sample(blind, 2)
        red_flag_sets = red_flag_sets.sample(5)
        training_data = write_training_data(training, work_dir, "quick")
        configs = {name: tiny_config(path, work_dir / f"{name}-tiny.yml") for name, path in configs.items()}
        folds, levels, messages_each, memory_messages, pause = 2, (2,), 3, 20, 0.05
        fuzzed_conversations, booking_visitors = 3, 2

    results: Dict[str, Any] = {"understanding": {}, "red_flags": {}, "speed": {}, "cost": {}}
    notes: List[str] = []
    for name, config in configs.items():
        print(f"[bench] understanding: {name}", flush=True)
        development_report, model = rasa_holdout(config, training_data, development, work_dir, f"{name}-holdout")
        blind_report = evaluate_model(model.path, blind)
        results["red_flags"][name] = evaluate_red_flags(model.path, red_flag_sets).figures()
        # A quick run cross-validates only the project's pipeline (for the sweep).
        skipped = name == "rasa_default" and args.skip_default_cv
        run_cv = folds > 1 and (name == "project" or not args.quick) and not skipped
        reuse = name == "rasa_default" and args.reuse_default_cv is not None
        cv_report = rasa_cross_validation(config, training, folds, work_dir, name) if run_cv and not reuse else None
        results["understanding"][name] = understanding_row(development_report, blind_report, cv_report)
        if reuse:
            results["understanding"][name].update(reused_cross_validation(args.reuse_default_cv, name))
            notes.append(f"Rasa default's cross-validation figures are reused from {args.reuse_default_cv} "
                         "(same training data); everything else was measured in this run.")  # fmt: skip
        if skipped:
            notes.append("Rasa default's cross-validation was left out of this run (--skip-default-cv).")
        if name == "project" and cv_report is not None:
            results["fallback_sweep"] = fallback_sweep(cv_report)
    print("[bench] understanding: tfidf_lr", flush=True)
    results["understanding"]["tfidf_lr"] = understanding_row(
        Report(development, tfidf_logistic_regression(training, development)),
        Report(blind, tfidf_logistic_regression(training, blind)),
        baseline_cross_validation(training, folds),
    )
    labels = tfidf_logistic_regression(training, [Example(text, "") for text in red_flag_sets.texts])
    results["red_flags"]["tfidf_lr"] = red_flag_sets.report([reply_to_label(label) for label in labels]).figures()

    texts = [example.text for example in development]
    models: Dict[str, Path] = {}
    for name, config in configs.items():
        print(f"[bench] cost and speed: {name}", flush=True)
        model, train_seconds, finetune_seconds = train_full_model(config, work_dir, f"{name}-full", not args.quick)
        models[name] = model
        # Rasa's default set-up is served as Rasa serves it; the assistant as `make run` does.
        with serve(model, work_dir / f"{name}-state", stock_rasa=name == "rasa_default") as served:
            results["speed"][name] = measure_speed(served.url, texts, levels, messages_each, pause)
            sent = sum(load["messages"] for load in results["speed"][name])
            # Visitors' conversations are short: reaching the message count
            # with ten endless conversations would measure ever longer
            # trackers (Rasa's default policies slowed to 1 message/s).
            while sent < memory_messages:
                sent += len(run_load(served.url, 10, messages_each, texts).latencies_ms)
            results["cost"][name] = {
                "train_seconds": train_seconds,
                "finetune_seconds": finetune_seconds,
                "model_mb": model.stat().st_size / 1e6,
                "startup_seconds": served.startup_seconds,
                "rss_after_start_mb": served.rss_after_start_mb,
                "rss_after_load_mb": rss_megabytes(served.servers.rasa.process.pid),
                "messages_for_memory": sent,
            }
    print("[bench] conversations: fuzzed, and visitors who book with detours", flush=True)
    with serve(models["project"], work_dir / "conversations-state") as served:
        results["conversations"] = conversation_figures(
            served.servers, work_dir, fuzzed_conversations, booking_visitors, first_seed=int(time.time()) % 1_000_000
        )
    print("[bench] speed: project, 2 Sanic workers with the Redis lock store", flush=True)
    two_workers = {
        "SANIC_WORKERS": "2",
        "LOCK_STORE_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    }
    with serve(models["project"], work_dir / "project-2-workers-state", two_workers) as served:
        results["speed"]["project_2_workers"] = measure_speed(served.url, texts, levels, messages_each, pause)
        results["cost"]["project"]["rss_two_workers_mb"] = rss_megabytes(served.servers.rasa.process.pid)
    # Separates what the pipeline and policies gain from what the project's
    # server code gains: the same server code (understanding cache, parse
    # thread, launcher) in front of Rasa default's model.
    print("[bench] speed: Rasa default's model behind the project's server code", flush=True)
    with serve(models["rasa_default"], work_dir / "rasa-default-project-server-state") as served:
        results["speed"]["rasa_default_project_server"] = measure_speed(served.url, texts, levels, messages_each)
    print("[bench] speed: HTTP floor", flush=True)
    with floor_server() as url:
        results["speed"]["floor"] = measure_speed(url, texts, levels, messages_each)

    results["targets"] = targets(results)
    results["meta"] = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "training_examples": len(training),
        "development_examples": len(development),
        "blind_examples": len(blind),
        "folds": folds,
        "quick": args.quick,
        "training_data_fingerprint": training_data_fingerprint(),
        "notes": notes,
    }
    out = args.out or new_report_folder(REPORTS_DIR, results["meta"]["date"], "-quick" if args.quick else "")
    report = write_report(results, out)
    shutil.rmtree(work_dir, ignore_errors=True)
    print(report.read_text())
    print(f"[bench] report written to {report}")
    return report


if __name__ == "__main__":
    main()
