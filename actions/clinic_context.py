"""The clinic data every action reads, loaded once per process from settings."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict

from actions.clinic_data import Clinic, ClinicDataSource
from actions.clinic_sentences import template_values
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
