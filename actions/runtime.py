"""Process-wide resources the actions share, built once from settings.py.

Keeping the wiring here lets every action stay a thin class and lets tests
point the whole action server at a fixture clinic file, a test database or a
fixed clock through environment variables.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Dict

from actions.clinic_data import Clinic, ClinicDataSource
from actions.clinic_sentences import template_values
from actions.outbox import Outbox
from settings import get_settings


@lru_cache(maxsize=1)
def clinic_source() -> ClinicDataSource:
    return ClinicDataSource(get_settings().clinic_data_file)


def current_clinic() -> Clinic:
    """The clinic data as staff last saved it."""
    return clinic_source().get()


def clinic_template_values() -> Dict[str, str]:
    """Values for the {clinic_...} placeholders in responses."""
    return template_values(current_clinic())


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    """The durable store of visitor requests (BOOKING_OUTBOX_URL)."""
    return Outbox.from_url(get_settings().booking_outbox_url)


def now() -> datetime:
    """The current time, or FIXED_TIME when set (demos and tests of opening hours)."""
    fixed = get_settings().fixed_time
    if fixed:
        moment = datetime.fromisoformat(fixed)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)
