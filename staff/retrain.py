"""`make retrain`: validate, train, check quality, then load the new model.

1. `scripts/validate_data.py` (Rasa's validator plus the project's checks);
2. train if the data or configuration changed (scripts/train_if_stale.py);
3. score the model (staff/quality_gate.py): on the development sets it must
   get at least 95% right, catch every urgent-symptom message and recognise
   at least 93% of out-of-scope questions; on the blind set it may not score
   below the model published last by more than the run-to-run spread;
4. record it as the published model (models/published.json) and, if a
   running assistant is reachable and RASA_AUTH_TOKEN is set, load it into
   it (PUT /model), so visitors get the new answers without a restart. A
   model that fails a check is never published or loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from staff.quality_gate import blind_regression, evaluate, gate_failures, published_scores, record_published

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_step(description: str, command: list) -> subprocess.CompletedProcess:
    print(f"== {description}", flush=True)
    return subprocess.run(command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)


def load_into_running_server(model_path: Path, rasa_url: str, token: str) -> str:
    query = urllib.parse.urlencode({"token": token})
    request = urllib.request.Request(
        f"{rasa_url}/model?{query}",
        data=json.dumps({"model_file": str(model_path)}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return f"HTTP {response.status}"


def main() -> int:
    validation = run_step("Validating the training data", [sys.executable, "scripts/validate_data.py"])
    print(validation.stdout)
    if validation.returncode != 0:
        return 1

    training = run_step("Training (only if something changed)", [sys.executable, "scripts/train_if_stale.py"])
    if training.returncode != 0:
        return 1
    model_path = Path(training.stdout.strip().splitlines()[-1])

    print("== Checking the model on the development and blind visitor messages", flush=True)
    evaluation = evaluate(model_path)
    print(evaluation.summary())
    problems = gate_failures(evaluation.scores)
    regression = blind_regression(evaluation.scores, published_scores())
    if regression:
        problems.append(regression)
    if problems:
        print("NOT PUBLISHED: " + "; ".join(problems))
        return 1
    record_published(model_path, evaluation.scores)

    rasa_url = os.environ.get("RASA_URL", f"http://localhost:{os.environ.get('RASA_PORT', '5005')}")
    token = os.environ.get("RASA_AUTH_TOKEN", "")
    if not token:
        print(f"Model ready: {model_path.name}. Restart the assistant (make run) to use it, "
              "or set RASA_AUTH_TOKEN to load it into the running server.")  # fmt: skip
        return 0
    try:
        outcome = load_into_running_server(model_path, rasa_url, token)
    except (urllib.error.URLError, OSError) as error:
        print(f"Model ready: {model_path.name}, but the running assistant at {rasa_url} did not take it ({error}).")
        return 1
    print(f"Loaded {model_path.name} into the assistant at {rasa_url} ({outcome}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
