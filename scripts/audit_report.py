"""Judge a pip-audit JSON report against security/audit-exceptions.yml.

    python scripts/audit_report.py REPORT.json [EXCEPTIONS.yml]

Exit status 1 when a finding is not among the listed exceptions (each with
its reason); 0 otherwise. Packages pip-audit could not look up (the
vulnerability service unreachable, or a package it does not know) are
reported, not failed: they were not checked, and the output says so. Run by
scripts/audit.sh (`make audit`, and `make test`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXCEPTIONS_FILE = PROJECT_DIR / "security" / "audit-exceptions.yml"


@dataclass(frozen=True)
class Finding:
    """One advisory pip-audit found for a locked package."""

    package: str
    version: str
    id: str
    aliases: Tuple[str, ...]
    fix_versions: Tuple[str, ...]

    @property
    def names(self) -> Set[str]:
        return {self.id, *self.aliases}


@dataclass
class Verdict:
    """What the audit found, sorted out."""

    accepted: List[Tuple[Finding, str]] = field(default_factory=list)
    failing: List[Finding] = field(default_factory=list)
    unchecked: List[Tuple[str, str]] = field(default_factory=list)
    checked: int = 0
    stale_exceptions: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failing


def normalised(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def load_exceptions(path: Path) -> List[Dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    exceptions = document.get("exceptions") or []
    for entry in exceptions:
        missing = [key for key in ("id", "package", "reason") if not str(entry.get(key) or "").strip()]
        if missing:
            raise ValueError(f"{path}: the exception {entry} needs {', '.join(missing)}")
    return exceptions


def judge(report: Dict[str, Any], exceptions: Sequence[Dict[str, Any]]) -> Verdict:
    verdict = Verdict()
    used = set()
    for dependency in report.get("dependencies", []):
        name, version = dependency.get("name", "?"), dependency.get("version", "?")
        if dependency.get("skip_reason"):
            verdict.unchecked.append((f"{name} {version}", dependency["skip_reason"]))
            continue
        verdict.checked += 1
        for vulnerability in dependency.get("vulns", []):
            finding = Finding(
                normalised(name), version, vulnerability["id"], tuple(vulnerability.get("aliases") or ()),
                tuple(vulnerability.get("fix_versions") or ()),
            )  # fmt: skip
            match: Optional[int] = next(
                (
                    index
                    for index, entry in enumerate(exceptions)
                    if normalised(str(entry["package"])) == finding.package and str(entry["id"]) in finding.names
                ),
                None,
            )
            if match is None:
                verdict.failing.append(finding)
            else:
                used.add(match)
                verdict.accepted.append((finding, str(exceptions[match]["reason"]).strip()))
    if verdict.checked:
        verdict.stale_exceptions = [entry for index, entry in enumerate(exceptions) if index not in used]
    return verdict


def describe(verdict: Verdict) -> str:
    lines = []
    total = verdict.checked + len(verdict.unchecked)
    if verdict.unchecked and not verdict.checked:
        reason = verdict.unchecked[0][1]
        lines.append(
            f"NOT CHECKED: the vulnerability service answered for none of the {total} locked packages "
            f"(first answer: {reason}). Nothing was audited; run `make audit` where PyPI's JSON API "
            "or OSV is reachable."
        )
    elif verdict.unchecked:
        names = ", ".join(name for name, _ in verdict.unchecked)
        lines.append(f"Not checked ({len(verdict.unchecked)} of {total}): {names}")
    for finding, reason in verdict.accepted:
        lines.append(f"accepted  {finding.package} {finding.version} {finding.id}: {reason.splitlines()[0]}")
    for finding in verdict.failing:
        fix = f"fixed in {', '.join(finding.fix_versions)}" if finding.fix_versions else "no fixed version"
        aliases = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
        lines.append(f"FAILING   {finding.package} {finding.version} {finding.id}{aliases}: {fix}")
    for entry in verdict.stale_exceptions:
        lines.append(f"note: the exception {entry['package']} {entry['id']} matches no finding any more")
    if verdict.checked:
        lines.append(
            f"{verdict.checked} package(s) checked: {len(verdict.failing)} finding(s) to fix, "
            f"{len(verdict.accepted)} accepted in {EXCEPTIONS_FILE.relative_to(PROJECT_DIR)}."
        )
    if verdict.failing:
        lines.append("Upgrade the package in constraints.txt, or, if Rasa pins it, list the finding with the reason.")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(arguments) <= 2:
        sys.exit("usage: python scripts/audit_report.py REPORT.json [EXCEPTIONS.yml]")
    report = json.loads(Path(arguments[0]).read_text(encoding="utf-8"))
    verdict = judge(report, load_exceptions(Path(arguments[1]) if len(arguments) > 1 else EXCEPTIONS_FILE))
    print(describe(verdict))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
