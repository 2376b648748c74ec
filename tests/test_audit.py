"""`make audit` judges pip-audit's findings against the listed exceptions
(scripts/audit_report.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from scripts.audit_report import EXCEPTIONS_FILE, describe, judge, load_exceptions, main

TENSORFLOW_FINDING = {"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-0001"], "fix_versions": ["2.12.1"]}


def report(*dependencies: Dict[str, Any]) -> Dict[str, Any]:
    return {"dependencies": list(dependencies), "fixes": []}


def dependency(name: str, version: str, vulns: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"name": name, "version": version, "vulns": vulns}


def test_a_finding_not_listed_fails() -> None:
    verdict = judge(report(dependency("tensorflow", "2.12.0", [TENSORFLOW_FINDING])), [])
    assert not verdict.passed
    assert "FAILING   tensorflow 2.12.0 GHSA-aaaa-bbbb-cccc (CVE-2099-0001): fixed in 2.12.1" in describe(verdict)


@pytest.mark.parametrize("listed_id", ["GHSA-aaaa-bbbb-cccc", "CVE-2099-0001"])
def test_a_listed_finding_passes_with_its_reason(listed_id: str) -> None:
    exceptions = [{"id": listed_id, "package": "TensorFlow", "reason": "Rasa 3.6.21 pins tensorflow==2.12.0."}]
    verdict = judge(report(dependency("tensorflow", "2.12.0", [TENSORFLOW_FINDING])), exceptions)
    assert verdict.passed
    assert "accepted  tensorflow 2.12.0 GHSA-aaaa-bbbb-cccc: Rasa 3.6.21 pins tensorflow==2.12.0." in describe(verdict)


def test_an_exception_covers_its_own_package_only() -> None:
    exceptions = [{"id": "GHSA-aaaa-bbbb-cccc", "package": "sanic", "reason": "pinned"}]
    assert not judge(report(dependency("tensorflow", "2.12.0", [TENSORFLOW_FINDING])), exceptions).passed


def test_an_unreachable_service_is_reported_not_failed() -> None:
    skipped = {"name": "absl-py", "version": "1.4.0", "skip_reason": "Dependency not found on PyPI"}
    verdict = judge(report(skipped, {**skipped, "name": "sanic"}), [])
    assert verdict.passed and verdict.checked == 0
    assert describe(verdict).startswith("NOT CHECKED: the vulnerability service answered for none of the 2")


def test_stale_exceptions_are_reported() -> None:
    exceptions = [{"id": "GHSA-gone", "package": "sanic", "reason": "was pinned"}]
    verdict = judge(report(dependency("sanic", "21.12.2", [])), exceptions)
    assert verdict.passed and "matches no finding any more" in describe(verdict)


def test_every_exception_says_why(tmp_path: Path) -> None:
    assert isinstance(load_exceptions(EXCEPTIONS_FILE), list)  # the project's own file reads
    bad = tmp_path / "exceptions.yml"
    bad.write_text("exceptions:\n  - id: GHSA-x\n    package: sanic\n")
    with pytest.raises(ValueError, match="reason"):
        load_exceptions(bad)


def test_the_command_exits_1_on_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report(dependency("aiohttp", "3.9.5", [TENSORFLOW_FINDING]))))
    assert main([str(path), str(EXCEPTIONS_FILE)]) == 1
    assert "FAILING   aiohttp 3.9.5" in capsys.readouterr().out
