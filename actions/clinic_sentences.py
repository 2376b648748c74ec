"""Turns clinic data into the sentences that fill {clinic_...} placeholders.

Each value is a whole sentence (or empty), so a response reads naturally
whether or not staff have filled in a detail: a missing detail becomes an
honest "our team will confirm it", never a guess.
"""

from __future__ import annotations

from datetime import time
from itertools import groupby
from typing import Dict, List, Optional, Sequence, Tuple

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


def join_words(items: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or 'a, b or c')."""
    if len(items) <= 2:
        return f" {last} ".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


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


def daytime_phones(clinic: Clinic, chosen: Optional[Location] = None) -> List[Tuple[str, str]]:
    """(clinic name or "", number) to call in opening hours.

    The chosen clinic's number when it has one, else the main number, else
    each location's number.
    """
    if chosen is not None and chosen.phone:
        return [(chosen.name, chosen.phone)]
    if clinic.phone:
        return [("", clinic.phone)]
    return [(loc.name, loc.phone) for loc in clinic.locations if loc.phone]


def _our_numbers(phones: List[Tuple[str, str]]) -> str:
    """'Our clinic's number is X', 'Our Oak Brook clinic's number is X', or each clinic's."""
    if len(phones) == 1:
        name, number = phones[0]
        return f"Our {name + ' ' if name else ''}clinic's number is {number}"
    return "Our clinics' numbers are " + join_words([f"{name} {number}" for name, number in phones])


def contact_sentence(clinic: Clinic, chosen: Optional[Location] = None) -> str:
    """How to reach the clinic, from whatever contact details are configured."""
    ways = []
    phones = daytime_phones(clinic, chosen)
    if phones:
        ways.append(
            "call "
            + join_words(
                [f"our {name} clinic at {number}" if name else f"us at {number}" for name, number in phones], last="or"
            )
        )
    if clinic.email:
        ways.append(f"email {clinic.email}")
    if clinic.website:
        ways.append(f"visit {clinic.website}")
    if not ways:
        return "You can leave your details with me and our team will get back to you."
    return f"You can {join_words(ways)}, or leave your details with me and our team will get back to you."


def urgent_contact_sentence(clinic: Clinic, chosen: Optional[Location] = None) -> str:
    """The numbers to call about a worrying symptom, always with a way to get help after hours."""
    phones = daytime_phones(clinic, chosen)
    if phones and clinic.after_hours_phone:
        return f"{_our_numbers(phones)}. After hours, call {clinic.after_hours_phone}. In an emergency, call 911."
    if phones:
        # A daytime number alone would send people to a closed clinic.
        return (
            f"{_our_numbers(phones)}. When the clinic is closed, go to an urgent care center, "
            "or call 911 in an emergency."
        )
    if clinic.after_hours_phone:
        return f"Our number for symptoms after treatment is {clinic.after_hours_phone}. In an emergency, call 911."
    return (
        "Our clinic's phone number isn't listed in this chat yet. If you can't reach the clinic that "
        "treated you, call your doctor or go to an urgent care center. In an emergency, call 911."
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


def minors_policy_sentence(clinic: Clinic) -> str:
    return clinic.minors_policy or (
        "Patients under 18 usually need a parent's or guardian's consent. Our team can confirm the clinic's policy."
    )


# The slots that follow the clinic a visitor chose or is nearest to.
CHOSEN_CLINIC_SLOTS = ("clinic_contact", "clinic_urgent_contact")


def chosen_clinic_values(clinic: Clinic, location_name: Optional[str]) -> Dict[str, str]:
    """The contact sentences for the clinic a visitor chose or is nearest to.

    Set beside the preferred_clinic slot, so the safety reply and the contact
    details give that clinic's number first from then on.
    """
    chosen = clinic.location_named(location_name)
    values = (contact_sentence(clinic, chosen), urgent_contact_sentence(clinic, chosen))
    return dict(zip(CHOSEN_CLINIC_SLOTS, values, strict=True))


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
        "clinic_minors_policy": minors_policy_sentence(clinic),
    }
