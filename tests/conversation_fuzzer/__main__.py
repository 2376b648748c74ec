"""`make fuzz`: random conversations against freshly started servers.

    python -m tests.conversation_fuzzer [--conversations 2000] [--turns 12] [--seed N] [--json figures.json]

Starts the action server and the Rasa server as the tests do (the fixture
clinic, a fixed clock), plays the conversations, prints a summary and the
first failing conversations (each with its seed and as a Rasa test story),
and exits 1 if any conversation broke.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conversation_fuzzer.fuzzer import fuzz
from tests.support.servers import PROJECT_DIR, start_assistant

FIXTURE_CLINIC = PROJECT_DIR / "tests" / "fixtures" / "clinic_complete.yml"
# A Thursday morning in Chicago: the fixture clinic is open.
OPEN_TIME = "2026-11-26T11:00:00-06:00"


def trained_model() -> Path:
    output = subprocess.run(
        [sys.executable, "scripts/train_if_stale.py"], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True, check=True
    ).stdout
    return Path(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 1_000_000, help="first seed (default: now)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="fuzz-") as state,
        start_assistant(
            trained_model(),
            Path(state),
            {"CLINIC_DATA_FILE": str(FIXTURE_CLINIC), "FIXED_TIME": OPEN_TIME},
        ) as servers,
    ):
        report = fuzz(servers, args.seed, args.conversations, args.turns, log=Path(state) / "rasa.log")
    print(report.summary(args.seed))
    if report.broken:
        print(report.failures())
    if args.json:
        args.json.write_text(json.dumps({"first_seed": args.seed, **report.figures()}, indent=2) + "\n")
    sys.exit(1 if report.broken else 0)


if __name__ == "__main__":
    main()
