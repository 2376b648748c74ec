"""Train the model only when its inputs changed; print the model's path.

The model file is named after a fingerprint of everything that shapes it
(config, domain, training data, the spaCy pipeline sources, the custom NLU
components and the locked dependencies), so an up-to-date model is found by
name and `make run` never retrains needlessly. Older models are pruned.

Usage: python scripts/train_if_stale.py [--force]
The last line printed on stdout is the model path.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, List

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"
MODEL_PREFIX = "clinic-assistant-"
MODELS_KEPT = 3
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "spacy_pipeline/build.py",
    "spacy_pipeline/word_variants.yml",
    "rasa_extensions/nlu",
    "constraints.txt",
    "requirements-model.txt",
)


def input_files(project_dir: Path = PROJECT_DIR) -> List[Path]:
    """Every file that shapes the trained model, in a stable order."""
    files: List[Path] = []
    for name in TRAINING_INPUTS:
        path = project_dir / name
        if path.is_dir():
            files.extend(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix in {".yml", ".yaml", ".py", ".md"}
            )
        elif path.is_file():
            files.append(path)
    return sorted(files)


def fingerprint(files: Iterable[Path], project_dir: Path = PROJECT_DIR) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path_for(model_fingerprint: str) -> Path:
    return MODELS_DIR / f"{MODEL_PREFIX}{model_fingerprint}.tar.gz"


def prune_old_models(keep: Path) -> None:
    models = sorted(MODELS_DIR.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in [m for m in models if m != keep][: max(0, len(models) - MODELS_KEPT)]:
        old.unlink()


def train(model_path: Path) -> None:
    name = model_path.name.removesuffix(".tar.gz")
    started = time.monotonic()
    # Rasa's command line without its training cache (the module says why).
    training_command = [
        sys.executable, "-m", "rasa_extensions.rasa_command", "train",
        "--fixed-model-name", name,
        "--out", str(MODELS_DIR),
    ]  # fmt: skip
    # Rasa's progress output goes to stderr so stdout carries only the path.
    result = subprocess.run(training_command, cwd=PROJECT_DIR, stdout=sys.stderr)
    if result.returncode != 0 or not model_path.exists():
        sys.exit(f"Training failed (exit code {result.returncode}).")
    print(f"Trained {model_path.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="train even if the model is up to date")
    args = parser.parse_args()

    model_path = model_path_for(fingerprint(input_files()))
    if model_path.exists() and not args.force:
        print(f"Model is up to date: {model_path.name}", file=sys.stderr)
    else:
        print("Training data or configuration changed: training a new model...", file=sys.stderr)
        train(model_path)
        prune_old_models(keep=model_path)
    print(model_path)


if __name__ == "__main__":
    main()
