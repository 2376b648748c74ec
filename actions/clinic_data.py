"""Loads and checks the clinic data file (clinic/clinic.yml).

The file is edited by staff, so every problem is reported as a ClinicDataError
naming the file and the field, never as a stack trace. Fields the clinic has
not confirmed yet are empty strings, and `missing_details()` lists them so the
run command can warn about them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

logger = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ClinicDataError(ValueError):
    """The clinic data file is missing, malformed or lacks a required field."""


@dataclass(frozen=True)
class OpeningHours:
    """One day's opening and closing time in the clinic's time zone."""

    opens: time
    closes: time


@dataclass(frozen=True)
class Provider:
    """A person who performs treatments, as the clinic describes them."""

    name: str
    credentials: str


@dataclass(frozen=True)
class Location:
    """One clinic site."""

    id: str
    name: str
    state: str
    zip: str
    latitude: float
    longitude: float
    street_address: str
    phone: str
    parking: str
    # Empty when the clinic has not confirmed its hours; otherwise days that
    # are absent are closed.
    opening_hours: Mapping[str, OpeningHours]

    @property
    def town(self) -> str:
        return f"{self.name}, {self.state}"

    @property
    def hours_known(self) -> bool:
        return bool(self.opening_hours)


@dataclass(frozen=True)
class Clinic:
    """Everything the assistant may say about the clinic."""

    brand: str
    website: str
    timezone: ZoneInfo
    phone: str
    after_hours_phone: str
    email: str
    consultation_fee: str
    payment_options: str
    # The clinic's policy for patients under 18, one sentence as written.
    minors_policy: str
    providers: Tuple[Provider, ...]
    locations: Tuple[Location, ...]

    def location(self, location_id: str) -> Optional[Location]:
        return next((loc for loc in self.locations if loc.id == location_id), None)

    def location_named(self, name: Optional[str]) -> Optional[Location]:
        """The location called `name` (as the booking form stores it), if any."""
        wanted = (name or "").strip().lower()
        return next((loc for loc in self.locations if wanted and loc.name.lower() == wanted), None)

    @property
    def has_urgent_number(self) -> bool:
        """Whether the urgent-symptom reply has any phone number to give."""
        return bool(self.phone or self.after_hours_phone or any(loc.phone for loc in self.locations))

    def is_open(self, moment: datetime) -> Optional[bool]:
        """Whether any location is open at `moment`; None if hours are unknown."""
        if not any(loc.hours_known for loc in self.locations):
            return None
        local = moment.astimezone(self.timezone)
        weekday = WEEKDAYS[local.weekday()]
        for loc in self.locations:
            hours = loc.opening_hours.get(weekday)
            if hours and hours.opens <= local.time() < hours.closes:
                return True
        return False

    def missing_details(self) -> List[str]:
        """Human-readable list of the details staff have not filled in yet."""
        missing = [
            label
            for label, value in (
                ("phone", self.phone),
                ("after_hours_phone", self.after_hours_phone),
            )
            if not value
        ]
        for loc in self.locations:
            for label, value in (
                ("street_address", loc.street_address),
                ("opening_hours", loc.hours_known),
            ):
                if not value:
                    missing.append(f"locations[{loc.id}].{label}")
        return missing


def load_clinic(path: Path) -> Clinic:
    """Read and validate the clinic data file at `path`."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClinicDataError(f"clinic data file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ClinicDataError(f"cannot read clinic data file {path}: {error}") from None
    except yaml.YAMLError as error:
        raise ClinicDataError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ClinicDataError(f"{path} must contain a mapping of clinic fields")
    return _Parser(path).clinic(raw)


class _Parser:
    """Turns the YAML mapping into a Clinic, naming the field on any error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field_name: str, problem: str) -> ClinicDataError:
        return ClinicDataError(f"{self.path}: field '{field_name}' {problem}")

    def text(self, data: Mapping[str, Any], key: str, where: str, required: bool = False) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", "must be text")
        value = str(value).strip()
        if required and not value:
            raise self.fail(f"{where}{key}", "is required")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where}{key}", "is required and must be a number")
        return float(value)

    def clinic(self, raw: Mapping[str, Any]) -> Clinic:
        timezone_name = self.text(raw, "timezone", "", required=True)
        try:
            timezone = ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("timezone", f"is not a known time zone: {timezone_name!r}") from None
        locations = raw.get("locations")
        if not isinstance(locations, list) or not locations:
            raise self.fail("locations", "is required and must list at least one clinic")
        parsed_locations = tuple(self.location(item, index) for index, item in enumerate(locations))
        ids = [loc.id for loc in parsed_locations]
        if len(set(ids)) != len(ids):
            raise self.fail("locations", "has two entries with the same id")
        providers = raw.get("providers") or []
        if not isinstance(providers, list):
            raise self.fail("providers", "must be a list")
        return Clinic(
            brand=self.text(raw, "brand", "", required=True),
            website=self.text(raw, "website", ""),
            timezone=timezone,
            phone=self.text(raw, "phone", ""),
            after_hours_phone=self.text(raw, "after_hours_phone", ""),
            email=self.text(raw, "email", ""),
            consultation_fee=self.text(raw, "consultation_fee", ""),
            payment_options=self.text(raw, "payment_options", ""),
            minors_policy=self.text(raw, "minors_policy", ""),
            providers=tuple(self.provider(item, index) for index, item in enumerate(providers)),
            locations=parsed_locations,
        )

    def provider(self, raw: Any, index: int) -> Provider:
        where = f"providers[{index}]."
        if not isinstance(raw, dict):
            raise self.fail(where.rstrip("."), "must be a mapping with name and credentials")
        return Provider(
            name=self.text(raw, "name", where, required=True),
            credentials=self.text(raw, "credentials", where),
        )

    def location(self, raw: Any, index: int) -> Location:
        where = f"locations[{index}]."
        if not isinstance(raw, dict):
            raise self.fail(where.rstrip("."), "must be a mapping of location fields")
        zip_code = self.text(raw, "zip", where, required=True)
        if not re.fullmatch(r"\d{5}", zip_code):
            raise self.fail(f"{where}zip", f"must be a 5-digit ZIP code, got {zip_code!r}")
        return Location(
            id=self.text(raw, "id", where, required=True),
            name=self.text(raw, "name", where, required=True),
            state=self.text(raw, "state", where, required=True),
            zip=zip_code,
            latitude=self.number(raw, "latitude", where),
            longitude=self.number(raw, "longitude", where),
            street_address=self.text(raw, "street_address", where),
            phone=self.text(raw, "phone", where),
            parking=self.text(raw, "parking", where),
            opening_hours=self.opening_hours(raw.get("opening_hours") or {}, f"{where}opening_hours"),
        )

    def opening_hours(self, raw: Any, where: str) -> Dict[str, OpeningHours]:
        if not isinstance(raw, dict):
            raise self.fail(where, 'must map weekdays to "HH:MM-HH:MM"')
        hours: Dict[str, OpeningHours] = {}
        for day, span in raw.items():
            day_name = str(day).strip().lower()
            if day_name not in WEEKDAYS:
                raise self.fail(f"{where}.{day}", "is not a weekday name")
            match = _HOURS_PATTERN.match(str(span))
            if not match:
                raise self.fail(f"{where}.{day}", f'must look like "09:00-17:00", got {span!r}')
            open_h, open_m, close_h, close_m = (int(group) for group in match.groups())
            try:
                opens, closes = time(open_h, open_m), time(close_h, close_m)
            except ValueError:
                raise self.fail(f"{where}.{day}", f"has an impossible time: {span!r}") from None
            if closes <= opens:
                raise self.fail(f"{where}.{day}", "must close after it opens")
            hours[day_name] = OpeningHours(opens=opens, closes=closes)
        return hours


class ClinicDataSource:
    """Serves the clinic data file, re-reading it when staff save a change.

    A change that breaks the file is logged and the last good version keeps
    being used, so a typo never takes the assistant's answers down.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._clinic: Optional[Clinic] = None
        self._loaded_mtime: Optional[float] = None

    def get(self) -> Clinic:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            mtime = None
        if self._clinic is None or mtime != self._loaded_mtime:
            try:
                self._clinic = load_clinic(self.path)
            except ClinicDataError:
                if self._clinic is None:
                    raise
                logger.exception("clinic data file changed but is invalid; keeping the last good version")
            self._loaded_mtime = mtime
        return self._clinic


def missing_details_warning(clinic: Clinic, path: Path) -> Optional[str]:
    """A warning for staff listing unfilled details, or None when complete."""
    missing = clinic.missing_details()
    if not missing:
        return None
    return (
        f"Clinic details not filled in yet: {', '.join(missing)}. The assistant "
        f"tells visitors the team will confirm them. Edit {path} to add them."
    )


def urgent_contact_warning(clinic: Clinic, path: Path) -> Optional[str]:
    """A warning for staff when the urgent-symptom reply would give no phone number at all."""
    if clinic.has_urgent_number:
        return None
    return (
        f"The urgent-symptom reply has no phone number to give: patients with a worrying "
        f"symptom after treatment are only told to call their doctor, urgent care or 911. "
        f"Fill in phone, after_hours_phone or a location's phone in {path}."
    )


def warnings(clinic: Clinic, path: Path) -> List[str]:
    """Every warning for staff about the clinic data file, most serious first."""
    return [w for w in (urgent_contact_warning(clinic, path), missing_details_warning(clinic, path)) if w]


def main() -> None:
    """`python -m actions.clinic_data [file]`: check the clinic data file."""
    import sys

    from settings import get_settings

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().clinic_data_file
    try:
        clinic = load_clinic(path)
    except ClinicDataError as error:
        sys.exit(f"ERROR: {error}")
    found = warnings(clinic, path)
    for warning in found:
        print(f"WARNING: {warning}")
    if not found:
        print(f"{path}: all clinic details are filled in.")


if __name__ == "__main__":
    main()
