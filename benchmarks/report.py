"""Writes the benchmark results as a dated markdown report with PNG plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt

LABELS = {
    "project": "(a) project",
    "project_2_workers": "(a) project, 2 workers + Redis locks",
    "rasa_default": "(b) Rasa default",
    "rasa_default_project_server": "(b)'s model, project's server code",
    "tfidf_lr": "(c) TF-IDF + LR",
    "floor": "HTTP floor",
}


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        # A figure a run did not measure (NaN) says so instead of "nan".
        return f"{value:.{digits}f}" if math.isfinite(value) else "not run"
    return str(value)


def table_header(*columns: str) -> List[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def accuracy_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header(
        "Pipeline", "Blind accuracy", "Blind macro-F1", "Blind urgent recall", "Blind out-of-scope recall",
        "Development accuracy", "Development urgent / out-of-scope recall", "CV accuracy", "CV macro-F1",
    )  # fmt: skip
    for name, row in results["understanding"].items():
        lines.append(
            f"| {LABELS[name]} | {_fmt(row['blind_accuracy'])} | {_fmt(row['blind_macro_f1'])} | "
            f"{_fmt(row['blind_urgent_recall'])} | {_fmt(row['blind_out_of_scope_recall'])} | "
            f"{_fmt(row['development_accuracy'])} | "
            f"{_fmt(row['urgent_recall'])} / {_fmt(row['out_of_scope_recall'])} | "
            f"{_fmt(row.get('cv_accuracy', float('nan')))} | {_fmt(row.get('cv_macro_f1', float('nan')))} |"
        )
    return lines


def red_flag_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header(
        "Pipeline", "Emergency tier: 911 reply", "Clinic tier: a safety reply", "Ordinary: 911 reply",
        "Ordinary: any safety reply",
    )  # fmt: skip
    for name, row in results.get("red_flags", {}).items():
        lines.append(
            f"| {LABELS[name]} | {_fmt(row['emergency_recall'])} | {_fmt(row['clinic_recall'])} | "
            f"{_fmt(row['false_911_rate'])} | {_fmt(row['any_urgent_rate'])} |"
        )
    return lines


def conversation_lines(results: Dict[str, Any]) -> List[str]:
    figures = results["conversations"]
    lines = [
        f"{figures['conversations']} fuzzed conversations of {figures['turns'] // max(figures['conversations'], 1)} "
        f"turns (tests/conversation_fuzzer/, first seed {figures['first_seed']}), and "
        f"{figures['booking_visitors']} scripted visitors who book with one or two detours.",
        "",
        *table_header("Figure", "Measured"),
        f"| conversations with no broken turn | {figures['unbroken_share']:.1%} "
        f"({figures['conversations'] - figures['broken_conversations']}/{figures['conversations']}) |",
        f"| red-flag messages answered with the safety reply first, in any state | "
        f"{figures['red_flags_safe_share']:.1%} "
        f"({figures['red_flags_answered_safely']}/{figures['red_flag_messages']}) |",
        f"| fallback rate (turns not understood) | {figures['fallback_rate']:.1%} |",
        f"| booking requests sent by visitors who wanted to book | {figures['booking_completion_rate']:.1%} |",
        f"| dialogue-table cells reached | {figures['table_cells_covered']}/{figures['table_cells']} |",
        f"| circuit breaker trips | {figures['circuit_breaker_trips']} |",
        "",
        "Rasa's conversation markers (staff/markers.yml) over the conversation store they left, "
        "in conversations where each applied at least once:",
        "",
        *table_header("Marker", "Conversations"),
    ]
    lines += [f"| {name} | {count} |" for name, count in sorted(figures["markers"].items())]
    if figures["first_failures"]:
        lines += ["", "First failures:", "", "```", *figures["first_failures"], "```"]
    return lines


def pace(load: Dict[str, Any]) -> str:
    pause = load.get("pause_s", 0.0)
    return f"{0.5 * pause:g}-{1.5 * pause:g} s pauses" if pause else "back to back"


def speed_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header(
        "Server", "Visitors at once", "Pace", "Messages", "p50 ms", "p95 ms", "p99 ms", "Messages/s", "Errors"
    )
    for name, loads in results["speed"].items():
        for load in loads:
            lines.append(
                f"| {LABELS[name]} | {load['conversations']} | {pace(load)} | {load['messages']} | "
                f"{_fmt(load['p50_ms'], 1)} | "
                f"{_fmt(load['p95_ms'], 1)} | {_fmt(load['p99_ms'], 1)} | {_fmt(load['throughput_per_s'], 1)} | "
                f"{load['errors']} |"
            )
    return lines


def cost_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header(
        "Pipeline", "Full training s", "Fine-tune s", "Model MB", "Start-up until first answer s",
        "RSS after start MiB", "RSS after load MiB",
    )  # fmt: skip
    for name, row in results["cost"].items():
        finetune = _fmt(row.get("finetune_seconds", float("nan")), 1)
        lines.append(
            f"| {LABELS[name]} | {_fmt(row['train_seconds'], 1)} | {finetune} | "
            f"{_fmt(row['model_mb'], 1)} | {_fmt(row['startup_seconds'], 1)} | {_fmt(row['rss_after_start_mb'], 0)} | "
            f"{_fmt(row['rss_after_load_mb'], 0)} ({row['messages_for_memory']} messages) |"
        )
    return lines


def fallback_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header("threshold", "ambiguity_threshold", "CV accuracy", "CV out-of-scope recall")
    for row in results.get("fallback_sweep", []):
        lines.append(
            f"| {row['threshold']} | {row['ambiguity_threshold']} | {_fmt(row['accuracy'])} | "
            f"{_fmt(row['out_of_scope_recall'])} |"
        )
    return lines


def targets_table(results: Dict[str, Any]) -> List[str]:
    lines = table_header("Target", "Measured", "Met")
    for target in results["targets"]:
        lines.append(f"| {target['target']} | {target['measured']} | {'yes' if target['met'] else '**no**'} |")
    return lines


def plot_accuracy(results: Dict[str, Any], path: Path) -> None:
    names = list(results["understanding"])
    blind = [results["understanding"][n]["blind_accuracy"] for n in names]
    cv = [results["understanding"][n].get("cv_accuracy", 0.0) for n in names]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    positions = range(len(names))
    axis.bar([p - 0.2 for p in positions], blind, width=0.4, label="blind set")
    axis.bar([p + 0.2 for p in positions], cv, width=0.4, label="cross-validation")
    axis.set_xticks(list(positions), [LABELS[n] for n in names])
    axis.set_ylim(min(blind + cv + [0.8]) - 0.05, 1.0)
    axis.set_ylabel("accuracy (intent + FAQ key)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_latency(results: Dict[str, Any], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for index, (name, loads) in enumerate(results["speed"].items()):
        back_to_back = [load for load in loads if not load.get("pause_s")]
        # The one-visitor row starts both lines.
        paced = back_to_back[:1] + [load for load in loads if load.get("pause_s")]
        for series, style in ((back_to_back, "-"), (paced, ":")):
            if len(series) > 1:
                axis.plot(
                    [load["conversations"] for load in series],
                    [load["p99_ms"] for load in series],
                    style,
                    color=f"C{index}",  # one colour per server, dotted when paced
                    marker="o",
                    label=f"{LABELS[name]}, {pace(series[-1])}",
                )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("visitors at once")
    axis.set_ylabel("p99 latency (ms)")
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def new_report_folder(reports_dir: Path, date: str, suffix: str = "") -> Path:
    """`<date><suffix>`, or `<date>b<suffix>`, `<date>c<suffix>`... when a run
    of the same day already wrote there: a second run never overwrites the first."""
    for letter in ["", *"bcdefghijklmnopqrstuvwxyz"]:
        folder = reports_dir / f"{date}{letter}{suffix}"
        if not folder.exists():
            return folder
    raise FileExistsError(f"26 reports dated {date} already in {reports_dir}; pass --out")


def write_report(results: Dict[str, Any], directory: Path) -> Path:
    """Write report.md, results.json and the plots into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_text(json.dumps(results, indent=2, default=str))
    plot_accuracy(results, directory / "accuracy.png")
    plot_latency(results, directory / "latency.png")
    meta = results["meta"]
    lines = [
        f"# Benchmark report, {meta['date']}",
        "",
        f"Machine: {meta['machine']}. Data: {meta['training_examples']} training examples, "
        f"{meta['blind_examples']} blind visitor messages (never tuned on), {meta['development_examples']} "
        f"development messages (they chose settings), {meta['folds']}-fold cross-validation."
        + (" **Quick run on a tiny configuration: figures are not meaningful.**" if meta["quick"] else ""),
        *[f"\n{note}" for note in meta.get("notes", [])],
        "",
        "## Targets",
        *targets_table(results),
        "",
        "## Understanding",
        *accuracy_table(results),
        "",
        "![accuracy](accuracy.png)",
        "",
        "### FallbackClassifier setting (project pipeline, cross-validation)",
        *fallback_table(results),
        "",
        "## Conversations",
        "",
        *conversation_lines(results),
        "",
        "## Red flags",
        "",
        "The safety reply each pipeline's held-out model gives on tests/red_flags/: emergency messages must get "
        "the 911 reply, clinic-tier messages a safety reply, ordinary questions neither. The project's pipeline "
        "has the red-flag rules (clinical_safety/red_flags.yml) after its model; the others are the model alone, "
        "and an urgent message without a tier gets both lists, the 911 one included. These sets are the rules' "
        "development measure (tests/red_flags/README.md).",
        "",
        *red_flag_table(results),
        "",
        "## Speed (REST channel, client on the same machine)",
        "",
        "Each visitor sends held-out messages in turn, either back to back (a stress test: the server is never "
        "idle and latency is mostly queueing) or at a person's pace, pausing between messages. The one-visitor "
        "row sends distinct messages; in the busier rows messages repeat, as real visitors' do, and the project "
        "answers a message it has already understood from its understanding cache "
        "(rasa_extensions/understanding_cache.py). (b) runs as Rasa's default set-up does: `rasa run` with Rasa's "
        "own REST channel; \"(b)'s model, project's server code\" serves the same model through the project's "
        "launcher and channels, cache included, so the two (b) rows separate what the pipeline and policies "
        "gain from what the server code gains. All servers store conversations in the same SQLite tracker store "
        "and call the same action server.",
        "",
        *speed_table(results),
        "",
        "![latency](latency.png)",
        "",
        "## Cost",
        *cost_table(results),
        "",
    ]
    report = directory / "report.md"
    report.write_text("\n".join(lines))
    return report
