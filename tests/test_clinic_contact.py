"""Who to call: the urgent and contact replies use every number the clinic
file has, always leave a way to get help after hours, and warn staff when
the urgent reply has no number at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.booking import ValidateBookingForm
from actions.clinic_data import load_clinic, urgent_contact_warning
from actions.clinic_locator import ActionFindNearestClinic
from actions.clinic_sentences import chosen_clinic_values, template_values
from settings import get_settings
from tests.support.project_data import domain
from tests.support.trackers import tracker_with, user_event

PROJECT_DIR = Path(__file__).resolve().parents[1]
COMPLETE = PROJECT_DIR / "tests" / "fixtures" / "clinic_complete.yml"
OAK_BROOK, ORLAND_PARK, MAIN, AFTER_HOURS = "(630) 555-0101", "(708) 555-0102", "(630) 555-0100", "(630) 555-0199"


def clinic_file(tmp_path: Path, **changes: Any) -> Path:
    """The complete fixture clinic with some fields changed (`oak_brook_phone=""` for a location)."""
    data = yaml.safe_load(COMPLETE.read_text(encoding="utf-8"))
    for field, value in changes.items():
        location = next((loc for loc in data["locations"] if field == f"{loc['id']}_phone"), None)
        if location is not None:
            location["phone"] = value
        else:
            data[field] = value
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def values(path: Path) -> Dict[str, str]:
    return template_values(load_clinic(path))


def test_only_location_phones_are_listed_by_location(tmp_path: Path) -> None:
    path = clinic_file(tmp_path, phone="", after_hours_phone="")
    urgent, contact = values(path)["clinic_urgent_contact"], values(path)["clinic_contact"]
    assert f"Oak Brook {OAK_BROOK}" in urgent and f"Orland Park {ORLAND_PARK}" in urgent
    assert "isn't listed" not in urgent
    assert f"our Oak Brook clinic at {OAK_BROOK} or our Orland Park clinic at {ORLAND_PARK}" in contact


def test_a_daytime_number_alone_still_gives_an_after_hours_path(tmp_path: Path) -> None:
    urgent = values(clinic_file(tmp_path, after_hours_phone=""))["clinic_urgent_contact"]
    assert MAIN in urgent
    assert "When the clinic is closed, go to an urgent care center" in urgent and "911" in urgent


def test_daytime_and_after_hours_numbers_are_both_given() -> None:
    urgent = values(COMPLETE)["clinic_urgent_contact"]
    assert MAIN in urgent and f"After hours, call {AFTER_HOURS}" in urgent and "911" in urgent


def test_an_after_hours_number_alone_is_given(tmp_path: Path) -> None:
    path = clinic_file(tmp_path, phone="", oak_brook_phone="", orland_park_phone="")
    assert AFTER_HOURS in values(path)["clinic_urgent_contact"]
    assert urgent_contact_warning(load_clinic(path), path) is None


def test_the_chosen_clinic_number_is_given_once_known(tmp_path: Path) -> None:
    clinic = load_clinic(COMPLETE)
    chosen = chosen_clinic_values(clinic, "Orland Park")
    assert f"Our Orland Park clinic's number is {ORLAND_PARK}" in chosen["clinic_urgent_contact"]
    assert MAIN not in chosen["clinic_urgent_contact"] and AFTER_HOURS in chosen["clinic_urgent_contact"]
    assert f"our Orland Park clinic at {ORLAND_PARK}" in chosen["clinic_contact"]
    # A clinic without its own number falls back to the main one.
    no_phone = load_clinic(clinic_file(tmp_path, orland_park_phone=""))
    assert MAIN in chosen_clinic_values(no_phone, "Orland Park")["clinic_urgent_contact"]
    assert chosen_clinic_values(clinic, None) == {
        name: template_values(clinic)[name] for name in ("clinic_contact", "clinic_urgent_contact")
    }


def test_no_number_at_all_is_honest_and_warns_staff(tmp_path: Path) -> None:
    path = clinic_file(tmp_path, phone="", after_hours_phone="", oak_brook_phone="", orland_park_phone="")
    urgent = values(path)["clinic_urgent_contact"]
    assert "isn't listed" in urgent and "urgent care center" in urgent and "911" in urgent
    assert "no phone number" in urgent_contact_warning(load_clinic(path), path)
    result = subprocess.run(
        [sys.executable, "-m", "actions.clinic_data", str(path)], capture_output=True, text=True, cwd=PROJECT_DIR
    )
    assert result.returncode == 0
    assert result.stdout.startswith("WARNING: The urgent-symptom reply has no phone number to give")


def test_the_shipped_clinic_file_gets_the_urgent_warning() -> None:
    shipped = PROJECT_DIR / "clinic" / "clinic.yml"
    assert urgent_contact_warning(load_clinic(shipped), shipped) is not None
    assert urgent_contact_warning(load_clinic(COMPLETE), COMPLETE) is None


def test_the_minors_policy_comes_from_the_clinic_file(tmp_path: Path) -> None:
    policy = yaml.safe_load(COMPLETE.read_text(encoding="utf-8"))["minors_policy"]
    assert values(COMPLETE)["clinic_minors_policy"] == policy
    fallback = values(clinic_file(tmp_path, minors_policy=""))["clinic_minors_policy"]
    assert "parent" in fallback and "confirm" in fallback


@pytest.fixture
def fixture_clinic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINIC_DATA_FILE", str(COMPLETE))
    get_settings.cache_clear()
    runtime.clinic_source.cache_clear()
    yield
    get_settings.cache_clear()
    runtime.clinic_source.cache_clear()


def slot_values(events: list) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_asking_for_the_nearer_clinic_sets_its_number(fixture_clinic: None) -> None:
    events = await ActionFindNearestClinic().run(
        CollectingDispatcher(), tracker_with([user_event("i live in tinley park", "inform")]), domain()
    )
    assert f"Our Orland Park clinic's number is {ORLAND_PARK}" in slot_values(events)["clinic_urgent_contact"]


async def test_choosing_a_clinic_in_the_booking_form_sets_its_number(fixture_clinic: None) -> None:
    tracker = tracker_with([user_event("oak brook please", "inform")], slots={"requested_slot": "preferred_clinic"})
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain())
    slots = slot_values(events)
    assert slots["preferred_clinic"] == "Oak Brook"
    assert f"Our Oak Brook clinic's number is {OAK_BROOK}" in slots["clinic_urgent_contact"]
