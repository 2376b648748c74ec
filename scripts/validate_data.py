"""`rasa data validate`, plus the one check Rasa's validator cannot make.

Rasa warns "The utterance X is not used in any story or rule" for every
response that a form or a custom action sends, because it only reads stories
and rules. This script runs the validator and accepts that warning only when
the response really is used: it is a form question (`utter_ask_<slot>` or
`utter_ask_<form>_<slot>`), its name appears in the actions code or the
Rasa server's own extensions (rasa_extensions/), or it is `utter_default`,
which Rasa's core fallback action sends (config.yml). Any other
warning, and any response used nowhere at all, fails.

Usage: python scripts/validate_data.py   (exit code 0 = clean)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
UNUSED_UTTERANCE = re.compile(r"The utterance '([^']+)' is not used in any story or rule")
# Rasa's importer merges a generated domain containing the retrieval intent
# into domain.yml and then reports the intent as "duplicated across domain
# files" (ResponsesSyncImporter.get_domain); it is not a problem in the data.
RETRIEVAL_INTENT_NOTICE = "duplicated intents have been found across multiple domain files: faq"
# Sent by Rasa's action_default_fallback, the policy's core fallback action.
CORE_FALLBACK_RESPONSE = "utter_default"


def form_questions(domain: dict) -> Set[str]:
    """Response names Rasa's forms send to ask for their slots."""
    questions: Set[str] = set()
    actions_code = actions_source()
    for form, spec in (domain.get("forms") or {}).items():
        slots = list(spec.get("required_slots") or [])
        # Slots a validation action adds to a form at run time.
        slots += re.findall(r'slots\.insert\([^,]+,\s*"(\w+)"\)', actions_code)
        for slot in slots:
            questions.update({f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"})
    return questions


def actions_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in (PROJECT_DIR / "actions").rglob("*.py"))


def server_extensions_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in (PROJECT_DIR / "rasa_extensions").rglob("*.py"))


def problems(validator_output: str) -> List[str]:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    used_by_code = set(re.findall(r'"(utter_\w+)"', actions_source() + server_extensions_source()))
    allowed = form_questions(domain) | used_by_code | {CORE_FALLBACK_RESPONSE}
    found = []
    for line in validator_output.splitlines():
        if "UserWarning" not in line or RETRIEVAL_INTENT_NOTICE in line:
            continue
        unused = UNUSED_UTTERANCE.search(line)
        if unused and unused.group(1) in allowed:
            continue
        found.append(line.split("UserWarning:", 1)[-1].strip())
    return found


def main() -> int:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "data", "validate"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    issues = problems(output)
    if result.returncode != 0 or "No story structure conflicts found" not in output:
        issues.append(f"rasa data validate failed (exit code {result.returncode})")
    for issue in issues:
        print(f"PROBLEM: {issue}")
    print("Training data is valid." if not issues else f"{len(issues)} problem(s) found.")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
