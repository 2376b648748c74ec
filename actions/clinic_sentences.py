"""Turns clinic data into the sentences that fill {clinic_...} placeholders.

Each value is a whole sentence (or empty), so a response reads naturally
whether or not staff have filled in a detail: a missing detail becomes an
honest "our team will confirm it", never a guess.
"""

from __future__ import annotations

from datetime import time
from itertools import groupby
from typing import Dict, List, Sequence, Tuple

from actions.clinic_data import WEEKDAYS, Clinic, Location, OpeningHours

_DAY_ABBREVIATIONS = {
    "monday": "Mon",
    "tuesday": "Tue",
    "wednesday": "Wed",
    "thursday": "Thu",
    "friday": "Fri",
    "saturday": "Sat",
    "sunday": "Sun",
}


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def format_time(moment: time) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def describe_hours(location: Location) -> str:
    """'Mon-Fri 9am-5pm, Sat 9am-1pm' from a location's opening hours."""
    days: List[Tuple[str, OpeningHours]] = [
        (day, location.opening_hours[day]) for day in WEEKDAYS if day in location.opening_hours
    ]
    parts = []
    # Consecutive weekdays with identical hours are written as one range.
    indexed = [(WEEKDAYS.index(day) - position, day, hours) for position, (day, hours) in enumerate(days)]
    for _, run in groupby(indexed, key=lambda item: (item[0], item[2])):
        run_days = [day for _, day, _ in run]
        hours = location.opening_hours[run_days[0]]
        first, last = _DAY_ABBREVIATIONS[run_days[0]], _DAY_ABBREVIATIONS[run_days[-1]]
        span = first if first == last else f"{first}-{last}"
        parts.append(f"{span} {format_time(hours.opens)}-{format_time(hours.closes)}")
    return ", ".join(parts)


def contact_sentence(clinic: Clinic) -> str:
    """How to reach the clinic, from whatever contact details are configured."""
    ways = []
    if clinic.phone:
        ways.append(f"call us at {clinic.phone}")
    if clinic.email:
        ways.append(f"email {clinic.email}")
    if clinic.website:
        ways.append(f"visit {clinic.website}")
    if not ways:
        return "You can leave your details with me and our team will get back to you."
    return f"You can {join_words(ways)}, or leave your details with me and our team will get back to you."


def urgent_contact_sentence(clinic: Clinic) -> str:
    """The numbers to call about a worrying symptom, or an honest fallback."""
    if clinic.phone and clinic.after_hours_phone:
        return (
            f"Our clinic's number is {clinic.phone}, and after hours please call "
            f"{clinic.after_hours_phone}. If it's an emergency, call 911."
        )
    if clinic.phone:
        return f"Our clinic's number is {clinic.phone}. If it's an emergency, call 911."
    return (
        "Our clinic's phone number isn't listed in this chat yet. If you can't "
        "reach the clinic that treated you, contact your doctor or an urgent care "
        "centre, and if it's an emergency, call 911."
    )


def addresses_sentence(clinic: Clinic) -> str:
    known = [loc for loc in clinic.locations if loc.street_address]
    if not known:
        return (
            "The street addresses aren't listed in this chat yet; our team will "
            "confirm the address when they contact you."
        )
    details = []
    for loc in known:
        detail = f"{loc.name}: {loc.street_address}, {loc.town} {loc.zip}"
        if loc.parking:
            detail += f" ({loc.parking})"
        details.append(detail)
    return f"Addresses: {'; '.join(details)}."


def hours_sentence(clinic: Clinic) -> str:
    known = [loc for loc in clinic.locations if loc.hours_known]
    if not known:
        return (
            "Our opening hours aren't listed in this chat yet, so our team will "
            "confirm a time that suits you when they contact you."
        )
    listed = "; ".join(f"{loc.name}: {describe_hours(loc)}" for loc in known)
    return f"Our opening hours are {listed}."


def providers_sentence(clinic: Clinic) -> str:
    if not clinic.providers:
        return "Our team can tell you who performs treatments at our clinics and what their credentials are."
    people = [
        f"{person.name} ({person.credentials})" if person.credentials else person.name for person in clinic.providers
    ]
    return f"At our clinics, laser treatments are performed by {join_words(people)}."


def template_values(clinic: Clinic) -> Dict[str, str]:
    """Every {clinic_...} placeholder used in responses, as sentences."""
    return {
        "clinic_name": clinic.brand,
        "clinic_towns": join_words([loc.town for loc in clinic.locations]),
        "clinic_addresses": addresses_sentence(clinic),
        "clinic_hours": hours_sentence(clinic),
        "clinic_contact": contact_sentence(clinic),
        "clinic_urgent_contact": urgent_contact_sentence(clinic),
        "clinic_payment_options": clinic.payment_options
        or "Our team can tell you about payment options when you book.",
        "clinic_consultation_fee": clinic.consultation_fee
        or "Our team will tell you about any consultation fee when you book.",
        "clinic_providers": providers_sentence(clinic),
    }
