"""Build the project's own small English spaCy pipeline for Rasa's SpacyNLP.

No model is downloaded: the pipeline is `spacy.blank("en")` (spaCy's rule-based
English tokenizer) plus a lookup lemmatizer whose table is assembled here from
`spacy-lookups-data`. The table is lowercase-insensitive, folds British
spellings into American ones and maps the clinic's vocabulary variants
(`word_variants.yml`) to one lemma, so "Roaccutane", "accutane" and
"isotretinoin" all reach the classifier as the same word.

Usage: python spacy_pipeline/build.py [output_dir]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, Mapping

import spacy
import spacy_lookups_data
import srsly
import yaml
from spacy.lookups import Lookups

PIPELINE_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = PIPELINE_DIR / "en_clinic"
WORD_VARIANTS_FILE = PIPELINE_DIR / "word_variants.yml"
LOOKUPS_DATA = Path(spacy_lookups_data.__file__).parent / "data"


def load_word_variants(path: Path = WORD_VARIANTS_FILE) -> Dict[str, str]:
    """Return variant -> canonical lemma from the project's variants file."""
    groups = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    variants: Dict[str, str] = {}
    for canonical, spellings in groups.items():
        for spelling in spellings or []:
            variants[str(spelling).lower()] = str(canonical).lower()
    return variants


def build_lemma_table(
    lemma_lookup: Mapping[str, str],
    spelling_norms: Mapping[str, str],
    word_variants: Mapping[str, str],
) -> Dict[str, str]:
    """Merge spaCy's lemma lookup, spelling norms and clinic variants.

    The lookup lemmatizer matches the token text exactly, so every entry is
    stored lowercase, Capitalised and UPPERCASE to cover how people type.
    """
    table: Dict[str, str] = {}
    for word, lemma in lemma_lookup.items():
        table[word.lower()] = lemma.lower()
    for variant, norm in spelling_norms.items():
        # The norm table also expands slang ("cuz" -> "because"): keep only
        # single-word spelling variants so phrases are not glued into one lemma.
        if " " in norm:
            continue
        table[variant.lower()] = table.get(norm.lower(), norm.lower())
    table.update(word_variants)

    cased: Dict[str, str] = {}
    for word, lemma in table.items():
        for form in (word, word.capitalize(), word.upper()):
            cased.setdefault(form, lemma)
    return cased


def build_pipeline(output_dir: Path = DEFAULT_OUTPUT) -> Path:
    """Assemble the pipeline and save it where config.yml's SpacyNLP expects it."""
    lemma_table = build_lemma_table(
        srsly.read_gzip_json(LOOKUPS_DATA / "en_lemma_lookup.json.gz"),
        srsly.read_gzip_json(LOOKUPS_DATA / "en_lexeme_norm.json.gz"),
        load_word_variants(),
    )
    lookups = Lookups()
    lookups.add_table("lemma_lookup", lemma_table)

    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    # initialize() loads the stock tables; replace them with the merged one.
    lemmatizer.lookups = lookups
    nlp.meta["name"] = "clinic"
    nlp.meta["description"] = "Blank English tokenizer + clinic lookup lemmatizer"
    output_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    return output_dir


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    print(f"spaCy pipeline written to {build_pipeline(target)}")
