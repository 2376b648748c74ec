"""Reading names, phone numbers, emails, places and yes/no from visitors' words."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.clinic_data import load_clinic
from actions.geocoder import find_place, miles_between, nearest_clinic
from actions.visitor_details import (
    clean_free_text,
    find_contact,
    find_email,
    find_name,
    find_phone,
    looks_like_phone_attempt,
    looks_like_question,
    yes_or_no,
)

CLINIC = load_clinic(Path(__file__).resolve().parents[1] / "clinic" / "clinic.yml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("630-555-0142", "+16305550142"),
        ("(708) 555 0199", "+17085550199"),
        ("+1 312 555 0100", "+13125550100"),
        ("7085550123", "+17085550123"),
        ("my cell is 630.555.0142 thanks", "+16305550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+52 55 5555 5555", "+525555555555"),
    ],
)
def test_phone_numbers_us_and_international(text: str, expected: str) -> None:
    assert find_phone(text) == expected


@pytest.mark.parametrize("text", ["555-0142", "12345", "630-555-01", "000-000-0000", "call me"])
def test_incomplete_or_impossible_phone_numbers_are_rejected(text: str) -> None:
    assert find_phone(text) is None


def test_phone_attempts_are_told_apart_from_other_text() -> None:
    assert looks_like_phone_attempt("630-555-01") and not looks_like_phone_attempt("tuesday afternoons")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("email me at Maria.Lopez@Example.COM please", "Maria.Lopez@example.com"),
        ("name@sub.example.co.uk.", "name@sub.example.co.uk"),
    ],
)
def test_emails(text: str, expected: str) -> None:
    assert find_email(text) == expected


@pytest.mark.parametrize("text", ["jane.doe@", "@example.com", "jane at example dot com", "a@b"])
def test_invalid_emails(text: str) -> None:
    assert find_email(text) is None


def test_contact_prefers_the_email_and_formats_us_numbers_readably() -> None:
    assert find_contact("630 555 0142 or jane@example.com").kind == "email"
    assert find_contact("630 555 0142").readable == "(630) 555-0142"
    assert find_contact("+44 20 7946 0958").readable == "+44 20 7946 0958"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maria Gonzalez", "Maria Gonzalez"),
        ("its john", "John"),
        ("my name is Priya Patel", "Priya Patel"),
        ("sarah o'connor", "Sarah O'Connor"),
        ("I'm DeShawn Williams", "DeShawn Williams"),
        ("José García", "José García"),
        ("actually my name is Ann Lee", "Ann Lee"),
    ],
)
def test_names(text: str, expected: str) -> None:
    assert find_name(text) == expected


@pytest.mark.parametrize("text", ["does it hurt?", "630-555-0142", "i want to book", "hi", "no thanks", ""])
def test_non_names(text: str) -> None:
    assert find_name(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes please", True), ("yep", True), ("sure, go ahead", True), ("no", False), ("nope not now", False),
     ("maybe", None), ("tuesday", None)],
)  # fmt: skip
def test_yes_or_no(text: str, expected: object) -> None:
    assert yes_or_no(text) is expected


def test_questions_and_free_text() -> None:
    assert looks_like_question("wait, does it hurt?") and looks_like_question("how long is recovery")
    assert not looks_like_question("tuesday afternoons")
    assert clean_free_text("  next week   after 5 ") == "next week after 5"
    assert clean_free_text("🙂 ") is None and clean_free_text("x" * 500) == "x" * 300


@pytest.mark.parametrize(
    ("text", "place", "clinic"),
    [
        ("i live in naperville", "Naperville, IL", "Oak Brook"),
        ("60540", "Naperville, IL", "Oak Brook"),
        ("near joliet", "Joliet, IL", "Orland Park"),
        ("Tinley Park", "Tinley Park, IL", "Orland Park"),
        ("Gary, Indiana", "Gary, IN", "Orland Park"),
        ("downers grove please", "Downers Grove, IL", "Oak Brook"),
    ],
)
def test_towns_and_zip_codes_find_the_nearer_clinic(text: str, place: str, clinic: str) -> None:
    lookup = find_place(text)
    assert lookup.place is not None and lookup.place.label == place
    assert nearest_clinic(lookup.place, CLINIC.locations).location.name == clinic


def test_zip_outside_the_area_is_found_and_flagged_far_away() -> None:
    lookup = find_place("my zip is 90210")
    nearest = nearest_clinic(lookup.place, CLINIC.locations)
    assert lookup.place.label == "Beverly Hills, CA" and nearest.far_away and nearest.miles > 1500


def test_town_in_several_other_states_is_ambiguous() -> None:
    lookup = find_place("portland")  # Maine and Oregon, none in Illinois
    assert lookup.is_ambiguous and {"ME", "OR"} <= {p.state for p in lookup.alternatives}


def test_town_in_several_states_prefers_the_chicago_area() -> None:
    assert find_place("springfield").place.state == "IL"


@pytest.mark.parametrize("text", ["whichever is closer", "what is normal recovery", "i hope so", "99999"])
def test_words_that_are_not_places(text: str) -> None:
    lookup = find_place(text)
    assert lookup.place is None and not lookup.is_ambiguous


def test_distance_between_the_two_clinics_is_realistic() -> None:
    oak_brook, orland_park = CLINIC.locations
    assert 14 < miles_between(oak_brook.latitude, oak_brook.longitude, orland_park.latitude, orland_park.longitude) < 18


def test_town_in_several_states_prefers_the_one_near_the_clinics() -> None:
    near = [(loc.latitude, loc.longitude) for loc in CLINIC.locations]
    assert find_place("gary", near=near).place.label == "Gary, IN"
    assert find_place("gary").is_ambiguous
