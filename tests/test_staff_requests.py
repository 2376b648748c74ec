"""The staff command that lists, exports and purges visitor requests."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from actions.outbox import Outbox
from staff.requests import CSV_COLUMNS, main

PAYLOAD = {
    "visitor": {"name": "Test Visitor", "phone": "+16305550142", "email": None},
    "clinic": {"id": "oak_brook", "name": "Oak Brook"},
    "preferred_times": "mornings",
    "treatment_interest": "boxcar scars",
    "conversation_summary": {"faq_topics_asked": ["cost", "recovery_time"], "reported_urgent_symptom": False},
}


def test_list_export_and_purge(tmp_path: Path) -> None:
    outbox = Outbox.from_url(f"sqlite:///{tmp_path / 'outbox.db'}")
    booking = outbox.store("consultation_booking", PAYLOAD)
    callback = outbox.store("callback", {**PAYLOAD, "callback": {"best_time": "4pm", "reason": "prices"}})
    outbox.mark_delivered(callback.id)

    listing = io.StringIO()
    assert main(["list", "--status", "pending"], outbox=outbox, stream=listing) == 0
    assert booking.reference in listing.getvalue() and callback.reference not in listing.getvalue()

    export_path = tmp_path / "requests.csv"
    main(["export", str(export_path)], outbox=outbox, stream=io.StringIO())
    rows = list(csv.DictReader(export_path.open(encoding="utf-8")))
    assert [row["reference"] for row in rows] == [booking.reference, callback.reference]
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["phone"] == "+16305550142" and rows[0]["faq_topics_asked"] == "cost, recovery_time"
    assert rows[1]["status"] == "delivered" and rows[1]["callback_reason"] == "prices"

    report = io.StringIO()
    main(["purge", "--delivered-older-than-days", "0"], outbox=outbox, stream=report)
    assert "Deleted 1" in report.getvalue()
    assert [r.id for r in outbox.list()] == [booking.id]


def test_command_line_reads_the_configured_outbox(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    Outbox.from_url(url).store("callback", PAYLOAD)
    result = subprocess.run(
        [sys.executable, "-m", "staff.requests", "list"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
        env={"BOOKING_OUTBOX_URL": url, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 request(s)." in result.stdout


def test_export_writes_formula_like_answers_as_text(tmp_path: Path) -> None:
    outbox = Outbox.from_url(f"sqlite:///{tmp_path / 'outbox.db'}")
    hostile = {
        **PAYLOAD,
        "visitor": {"name": '=HYPERLINK("http://x.example","Click")', "phone": "+16305550142", "email": None},
        "preferred_times": "+cmd|' /C calc'!A0",
        "treatment_interest": "@SUM(1+1)*cmd|' /C calc'!A0",
        "visitor_location": "-2+3",
        "callback": {"best_time": "\t=1+1", "reason": "\r=1+1"},
        "clinic": {"id": "oak_brook", "name": "  =1+1"},
    }
    outbox.store("consultation_booking", hostile)
    export_path = tmp_path / "requests.csv"
    main(["export", str(export_path)], outbox=outbox, stream=io.StringIO())
    [row] = list(csv.DictReader(export_path.open(encoding="utf-8", newline="")))
    for column in ("name", "preferred_times", "treatment_interest", "visitor_location", "callback_best_time",
                   "callback_reason", "clinic"):  # fmt: skip
        assert row[column].startswith("'"), (column, row[column])
    assert row["phone"] == "+16305550142"  # a phone number is not a formula
    assert row["reference"].startswith("REQ-")
