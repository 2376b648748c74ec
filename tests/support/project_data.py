"""Read the project's real data files for tests (never restate them)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from staff.nlu_evaluation import normalised_text

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The project's own content reference (docs/content/README.md).
CONTENT_DIR = PROJECT_DIR / "docs" / "content"
CATALOGUE = CONTENT_DIR / "faq_catalogue.md"
MEDICAL_FACTS = CONTENT_DIR / "medical_facts.md"
HOLDOUT = PROJECT_DIR / "tests" / "nlu_holdout" / "holdout.yml"
# A second, harder set written blind later (see tests/nlu_holdout/README.md).
FRESH_HOLDOUT = PROJECT_DIR / "tests" / "nlu_holdout" / "fresh.yml"
# Never tuned on: tests/nlu_blind/README.md.
BLIND = PROJECT_DIR / "tests" / "nlu_blind" / "blind.yml"


def _table_first_column(markdown: str, heading: str) -> List[str]:
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if (
            line.startswith("|")
            and cells
            and re.fullmatch(r"[a-z_/ ]+", cells[0])
            and cells[0] not in {"key", "intent"}
        ):
            names.extend(name.strip() for name in cells[0].split("/"))
    return names


@lru_cache(maxsize=1)
def catalogue_faq_keys() -> Tuple[str, ...]:
    return tuple(_table_first_column(CATALOGUE.read_text(encoding="utf-8"), "## FAQ topics"))


@lru_cache(maxsize=1)
def catalogue_conversation_intents() -> Tuple[str, ...]:
    return tuple(_table_first_column(CATALOGUE.read_text(encoding="utf-8"), "## Conversation intents"))


def examples_by_intent(paths: List[Path]) -> Dict[str, List[str]]:
    examples: Dict[str, List[str]] = defaultdict(list)
    for path in paths:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []):
            if "intent" in block:
                examples[block["intent"]].extend(
                    line.strip()[2:].strip()
                    for line in str(block["examples"]).splitlines()
                    if line.strip().startswith("- ")
                )
    return dict(examples)


def training_nlu_files() -> List[Path]:
    return sorted((PROJECT_DIR / "data" / "nlu").glob("*.yml"))


@lru_cache(maxsize=1)
def training_examples() -> Dict[str, List[str]]:
    return examples_by_intent(training_nlu_files())


@lru_cache(maxsize=1)
def holdout_examples() -> Dict[str, List[str]]:
    return examples_by_intent([HOLDOUT])


@lru_cache(maxsize=1)
def blind_examples() -> Dict[str, List[str]]:
    return examples_by_intent([BLIND])


@lru_cache(maxsize=1)
def domain() -> dict:
    return yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def faq_responses() -> Dict[str, str]:
    """FAQ key -> answer text, from data/responses/faq.yml."""
    document = yaml.safe_load((PROJECT_DIR / "data" / "responses" / "faq.yml").read_text(encoding="utf-8"))
    return {name.split("/", 1)[1]: variants[0]["text"] for name, variants in document["responses"].items()}


@lru_cache(maxsize=1)
def medical_fact_sections() -> Tuple[str, ...]:
    """Section ids of medical_facts.md: '### name' headings and '## N.' numbers."""
    text = MEDICAL_FACTS.read_text(encoding="utf-8")
    topics = re.findall(r"^### (\w+)", text, flags=re.MULTILINE)
    numbered = re.findall(r"^## (\d+)\.", text, flags=re.MULTILINE)
    return tuple(topics + numbered)


def normalise(text: str) -> str:
    """Lowercase, punctuation-free text for duplicate checks (the gate's own comparison)."""
    return normalised_text(text)
