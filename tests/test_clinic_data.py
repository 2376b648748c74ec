"""The clinic data loader: clear errors for bad files, honest sentences for gaps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.clinic_data import ClinicDataError, ClinicDataSource, load_clinic
from actions.clinic_sentences import describe_hours, template_values

FIXTURES = Path(__file__).parent / "fixtures"
COMPLETE = FIXTURES / "clinic_complete.yml"
SHIPPED = Path(__file__).resolve().parents[1] / "clinic" / "clinic.yml"
CHICAGO = ZoneInfo("America/Chicago")


def write_clinic(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def complete_data() -> dict:
    return yaml.safe_load(COMPLETE.read_text(encoding="utf-8"))


def test_shipped_file_loads_with_only_the_known_facts() -> None:
    clinic = load_clinic(SHIPPED)
    assert clinic.brand == "Charming Skin & Vein Clinics"
    assert [(loc.name, loc.zip) for loc in clinic.locations] == [
        ("Oak Brook", "60523"),
        ("Orland Park", "60462"),
    ]
    assert clinic.phone == "" and all(not loc.street_address for loc in clinic.locations)
    assert "phone" in clinic.missing_details()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClinicDataError, match="not found"):
        load_clinic(tmp_path / "nope.yml")


def test_malformed_yaml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClinicDataError, match="not valid YAML"):
        load_clinic(write_clinic(tmp_path, "brand: [unclosed\n  - x"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("brand"), "'brand' is required"),
        (lambda d: d.pop("locations"), "'locations' is required"),
        (lambda d: d["locations"][0].pop("zip"), r"'locations\[0\]\.zip' is required"),
        (lambda d: d["locations"][0].update(zip="6052"), "5-digit ZIP"),
        (lambda d: d["locations"][0].pop("latitude"), "must be a number"),
        (lambda d: d.update(timezone="Mars/Olympus"), "not a known time zone"),
        (lambda d: d["locations"][0]["opening_hours"].update(monday="9 to 5"), "must look like"),
        (lambda d: d["locations"][0]["opening_hours"].update(funday="09:00-17:00"), "not a weekday"),
        (lambda d: d["locations"][0]["opening_hours"].update(monday="17:00-09:00"), "close after it opens"),
        (lambda d: d.update(phone=["a", "list"]), "'phone' must be text"),
        (lambda d: d["locations"][1].update(id="oak_brook"), "same id"),
    ],
)
def test_invalid_fields_name_the_field(tmp_path: Path, change, message: str) -> None:
    data = complete_data()
    change(data)
    with pytest.raises(ClinicDataError, match=message):
        load_clinic(write_clinic(tmp_path, data))


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ClinicDataError, match="must contain a mapping"):
        load_clinic(write_clinic(tmp_path, "- just\n- a list\n"))


def test_command_line_check_reports_errors_without_a_stack_trace(tmp_path: Path) -> None:
    bad = write_clinic(tmp_path, "brand: [")
    result = subprocess.run(
        [sys.executable, "-m", "actions.clinic_data", str(bad)], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert result.returncode == 1
    assert "ERROR:" in result.stderr and "Traceback" not in result.stderr


def test_command_line_check_warns_about_empty_fields() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "actions.clinic_data", str(SHIPPED)], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert result.returncode == 0
    assert "WARNING" in result.stdout and "street_address" in result.stdout


def test_opening_hours_decide_whether_the_clinic_is_open() -> None:
    clinic = load_clinic(COMPLETE)
    assert clinic.is_open(datetime(2026, 11, 26, 18, 30, tzinfo=CHICAGO)) is True  # Thursday late opening
    assert clinic.is_open(datetime(2026, 11, 27, 18, 30, tzinfo=CHICAGO)) is False  # Friday evening
    assert clinic.is_open(datetime(2026, 11, 29, 11, 0, tzinfo=CHICAGO)) is False  # Sunday
    assert load_clinic(SHIPPED).is_open(datetime(2026, 11, 26, 12, 0, tzinfo=CHICAGO)) is None


def test_hours_are_described_as_ranges() -> None:
    oak_brook = load_clinic(COMPLETE).location("oak_brook")
    assert describe_hours(oak_brook) == "Mon-Wed 9am-5pm, Thu 9am-7pm, Fri 9am-5pm, Sat 9am-1pm"


def test_sentences_are_honest_when_details_are_missing() -> None:
    values = template_values(load_clinic(SHIPPED))
    assert "aren't listed" in values["clinic_hours"]
    assert "aren't listed" in values["clinic_addresses"]
    assert "leave your details" in values["clinic_contact"]
    assert "911" in values["clinic_urgent_contact"]
    assert values["clinic_towns"] == "Oak Brook, IL and Orland Park, IL"


def test_sentences_use_configured_details() -> None:
    values = template_values(load_clinic(COMPLETE))
    assert "(630) 555-0100" in values["clinic_contact"]
    assert "(630) 555-0199" in values["clinic_urgent_contact"]
    assert "1 Example Plaza" in values["clinic_addresses"]
    assert "Dr. Test Person (board-certified dermatologist)" in values["clinic_providers"]
    assert values["clinic_consultation_fee"] == "Consultations cost $50."


def test_source_rereads_a_changed_file_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = write_clinic(tmp_path, complete_data())
    source = ClinicDataSource(path)
    assert source.get().phone == "(630) 555-0100"

    changed = complete_data()
    changed["phone"] = "(630) 555-0111"
    write_clinic(tmp_path, changed)
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert source.get().phone == "(630) 555-0111"

    path.write_text("brand: [broken", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert source.get().phone == "(630) 555-0111"
