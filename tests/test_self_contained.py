"""The repository is complete on its own: a clone with nothing beside it tests.

Nothing in it may read or link above the repository root (a folder beside
the clone is not there for someone who clones the project from its public
home), and the test collection and the content tests run in such a copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from tests.support.project_data import PROJECT_DIR

# A relative path that climbs: one or more "../" then a name.
_CLIMBING_PATH = re.compile(r"(?<![\w.])((?:\.\./)+)([\w.\-/]*)")
# Python ways to name a folder above a file: parents[N], a chain of .parent.
_PARENTS_INDEX = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?\.parents\[(\d+)\]")
_PARENT_CHAIN = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent)+)")
# The project root's own parent, however the root is named.
_ROOT_PARENT = re.compile(r"\b(PROJECT_DIR|PROJECT_ROOT|REPO_ROOT|ROOT_DIR)\.parent\b")


def tracked_files() -> List[str]:
    """What a commit of this checkout holds: tracked and new, unignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return sorted(path for path in listed.split("\0") if path and (PROJECT_DIR / path).is_file())


def text_files() -> Iterator[Tuple[str, str]]:
    for path in tracked_files():
        if "/reports/" in path:  # dated benchmark outputs, not code or documents
            continue
        try:
            yield path, (PROJECT_DIR / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def climbs_out(relative_file: str, levels_up_from_file_dir: int) -> bool:
    """Whether going up that many folders from the file's folder leaves the root."""
    return levels_up_from_file_dir > len(Path(relative_file).parts) - 1


def references_above_the_root() -> List[str]:
    found = []
    for path, text in text_files():
        for match in _CLIMBING_PATH.finditer(text):
            if climbs_out(path, match.group(1).count("../")):
                found.append(f"{path}: {match.group(0)}")
        for match in _PARENTS_INDEX.finditer(text):
            # parents[0] is the file's own folder.
            if climbs_out(path, int(match.group(1))):
                found.append(f"{path}: {match.group(0)}")
        for match in _PARENT_CHAIN.finditer(text):
            if climbs_out(path, match.group(1).count(".parent") - 1):
                found.append(f"{path}: {match.group(0)}")
        found.extend(f"{path}: {match.group(0)}" for match in _ROOT_PARENT.finditer(text))
    return found


def test_the_checks_see_a_path_above_the_root() -> None:
    assert climbs_out("tests/support/project_data.py", 3)
    assert not climbs_out("tests/support/project_data.py", 2)
    up = "../"  # written apart so that this file does not match its own check
    assert _CLIMBING_PATH.search(f"see {up}shared/content/x.md")
    assert _ROOT_PARENT.search("PROJECT_DIR" + '.parent / "shared"')


def test_nothing_in_the_repository_reaches_above_its_root() -> None:
    assert references_above_the_root() == []


@pytest.fixture(scope="module")
def lone_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files alone in an empty folder, as a fresh clone has them."""
    copy = tmp_path_factory.mktemp("lone") / "repository"
    for path in tracked_files():
        target = copy / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / path, target)
    assert list(copy.parent.iterdir()) == [copy]
    return copy


def run_pytest_in(copy: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "ASSISTANT_MODEL_PATH"}}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_lone_copy_collects_every_test(lone_copy: Path) -> None:
    result = run_pytest_in(lone_copy, "--collect-only")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert re.search(r"\d+ tests? collected", result.stdout)
    assert "error" not in result.stdout.lower().split("collected")[-1]


def test_a_lone_copy_passes_the_content_tests(lone_copy: Path) -> None:
    result = run_pytest_in(lone_copy, "tests/test_training_data.py")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
