"""List, export and purge visitor requests (bookings and callbacks).

    python -m staff.requests list [--status pending|delivered]
    python -m staff.requests export requests.csv [--status ...]
    python -m staff.requests purge --delivered-older-than-days 90

Reads BOOKING_OUTBOX_URL like the action server (default: var/booking_outbox.db).
The CSV holds personal data: store it only where the clinic keeps patient data.
Cells that a spreadsheet would run as a formula (starting with = + - @, a tab
or a carriage return) are written with a leading apostrophe, so a visitor's
answer such as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Dict, Iterable, List, Optional, TextIO

from actions.outbox import Outbox, StoredRequest
from settings import get_settings

CSV_COLUMNS = [
    "reference", "kind", "status", "created_at", "delivered_at", "attempts", "last_error",
    "name", "phone", "email", "clinic", "visitor_location", "preferred_times", "treatment_interest",
    "callback_best_time", "callback_reason", "faq_topics_asked", "reported_urgent_symptom", "id",
]  # fmt: skip


# What starts a formula in Excel, LibreOffice and Google Sheets (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Phone numbers are stored as E.164 ("+16305550142"): digits only, no formula.
_E164 = re.compile(r"\+\d{7,15}")


def spreadsheet_text(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text, never runs."""
    if value.lstrip(" ").startswith(_FORMULA_START) and not _E164.fullmatch(value):
        return "'" + value
    return value


def as_row(request: StoredRequest) -> Dict[str, str]:
    """One request flattened for a spreadsheet."""
    payload = request.payload
    visitor = payload.get("visitor") or {}
    callback = payload.get("callback") or {}
    summary = payload.get("conversation_summary") or {}
    values = {
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "created_at": request.created_at.isoformat(timespec="seconds"),
        "delivered_at": request.delivered_at.isoformat(timespec="seconds") if request.delivered_at else "",
        "attempts": request.attempts,
        "last_error": request.last_error or "",
        "name": visitor.get("name"),
        "phone": visitor.get("phone"),
        "email": visitor.get("email"),
        "clinic": (payload.get("clinic") or {}).get("name"),
        "visitor_location": payload.get("visitor_location"),
        "preferred_times": payload.get("preferred_times"),
        "treatment_interest": payload.get("treatment_interest"),
        "callback_best_time": callback.get("best_time"),
        "callback_reason": callback.get("reason"),
        "faq_topics_asked": ", ".join(summary.get("faq_topics_asked") or []),
        "reported_urgent_symptom": "yes" if summary.get("reported_urgent_symptom") else "no",
        "id": request.id,
    }
    return {key: "" if value is None else str(value) for key, value in values.items()}


def write_csv(requests: Iterable[StoredRequest], stream: TextIO) -> int:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for request in requests:
        writer.writerow({column: spreadsheet_text(value) for column, value in as_row(request).items()})
        count += 1
    return count


def print_table(requests: List[StoredRequest], stream: TextIO) -> None:
    if not requests:
        print("No requests.", file=stream)
        return
    for request in requests:
        row = as_row(request)
        print(
            f"{row['reference']}  {row['kind']:<20} {row['status']:<9} {row['created_at']}  "
            f"{row['name']}  {row['phone'] or row['email']}  {row['clinic'] or ''}",
            file=stream,
        )
    print(f"{len(requests)} request(s).", file=stream)


def main(argv: Optional[List[str]] = None, outbox: Optional[Outbox] = None, stream: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m staff.requests", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    list_command = commands.add_parser("list", help="show requests")
    list_command.add_argument("--status", choices=["pending", "delivered"])
    export_command = commands.add_parser("export", help="write requests to a CSV file")
    export_command.add_argument("path", type=Path)
    export_command.add_argument("--status", choices=["pending", "delivered"])
    purge_command = commands.add_parser("purge", help="delete delivered requests older than N days")
    purge_command.add_argument("--delivered-older-than-days", type=int, required=True)
    args = parser.parse_args(argv)

    outbox = outbox or Outbox.from_url(get_settings().booking_outbox_url)
    if args.command == "list":
        print_table(outbox.list(args.status), stream)
    elif args.command == "export":
        with args.path.open("w", newline="", encoding="utf-8") as handle:
            count = write_csv(outbox.list(args.status), handle)
        print(f"Wrote {count} request(s) to {args.path}", file=stream)
    else:
        removed = outbox.purge_delivered(timedelta(days=args.delivered_older_than_days))
        print(f"Deleted {removed} delivered request(s).", file=stream)
    return 0


if __name__ == "__main__":
    sys.exit(main())
