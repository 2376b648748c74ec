"""Understanding quality: held-out accuracy and k-fold cross-validation.

Compares the project's pipeline, Rasa's default pipeline and a TF-IDF +
logistic-regression classifier on the same data. Rasa pipelines are trained
with `rasa train nlu` in a subprocess, exactly as `make train` would.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rasa_extensions.rasa_command import command
from staff.nlu_evaluation import Example, Report, combine, evaluate_model

PROJECT_DIR = Path(__file__).resolve().parent.parent
FAQ_RESPONSES = PROJECT_DIR / "data" / "responses" / "faq.yml"


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    seconds: float


def write_nlu_file(examples: Sequence[Example], path: Path) -> None:
    """Examples as a Rasa NLU YAML file (one block per label)."""
    by_label: Dict[str, List[str]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example.text)
    blocks = [
        {"intent": label, "examples": "".join(f"- {text}\n" for text in texts)}
        for label, texts in sorted(by_label.items())
    ]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, sort_keys=False, allow_unicode=True))


def write_training_data(examples: Sequence[Example], work_dir: Path, name: str) -> Path:
    """A training-data folder with `examples` and the FAQ answers."""
    data_dir = work_dir / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    write_nlu_file(examples, data_dir / "nlu.yml")
    shutil.copy(FAQ_RESPONSES, data_dir / "responses.yml")
    return data_dir


def train_nlu(config: Path, training_data: Path, work_dir: Path, name: str) -> TrainedModel:
    """Train an NLU-only model on the data in `training_data` with `config`; time it."""
    started = time.monotonic()
    result = subprocess.run(
        command("train", "nlu", "--config", str(config), "--nlu", str(training_data),
                "--out", str(work_dir), "--fixed-model-name", name),
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    model = work_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"training {name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return TrainedModel(model, seconds)


def stratified_folds(examples: Sequence[Example], folds: int, seed: int = 13) -> List[List[Example]]:
    """Split examples into `folds` parts with every label spread evenly."""
    by_label: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    parts: List[List[Example]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    offset = 0
    for label in sorted(by_label):
        group = list(by_label[label])
        rng.shuffle(group)
        for index, example in enumerate(group):
            parts[(index + offset) % folds].append(example)
        offset += len(group)
    return parts


def tfidf_logistic_regression(train: Sequence[Example], test: Sequence[Example]) -> List[str]:
    """Baseline (c): word 1-2 and character 2-5 n-gram TF-IDF + logistic regression."""
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    train_texts, test_texts = [e.text for e in train], [e.text for e in test]
    train_features = hstack([words.fit_transform(train_texts), chars.fit_transform(train_texts)]).tocsr()
    test_features = hstack([words.transform(test_texts), chars.transform(test_texts)]).tocsr()
    model = LogisticRegression(C=10, max_iter=3000).fit(train_features, [e.label for e in train])
    return list(model.predict(test_features))


def rasa_holdout(config: Path, training_data: Path, test: Sequence[Example], work_dir: Path, name: str
                 ) -> Tuple[Report, TrainedModel]:  # fmt: skip
    model = train_nlu(config, training_data, work_dir, name)
    return evaluate_model(model.path, test), model


def rasa_cross_validation(config: Path, examples: Sequence[Example], folds: int, work_dir: Path, name: str) -> Report:
    """Pooled predictions of `folds` models, each scored on the part it did not see."""
    parts = stratified_folds(examples, folds)
    reports = []
    for index, part in enumerate(parts):
        fold = f"{name}-fold{index}"
        train = write_training_data([e for other, p in enumerate(parts) if other != index for e in p], work_dir, fold)
        reports.append(rasa_holdout(config, train, part, work_dir, fold)[0])
    return combine(reports)


def baseline_cross_validation(examples: Sequence[Example], folds: int) -> Report:
    parts = stratified_folds(examples, folds)
    scored: List[Example] = []
    predictions: List[str] = []
    for index, part in enumerate(parts):
        train = [e for other, p in enumerate(parts) if other != index for e in p]
        scored.extend(part)
        predictions.extend(tfidf_logistic_regression(train, part))
    return Report(examples=scored, predictions=predictions)
