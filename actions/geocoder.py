"""Offline geocoding of US ZIP codes and town names, and the nearest clinic.

Uses the `zipcodes` package, which ships the US ZIP database inside the
package, so nothing is looked up over the network.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Set, Tuple

import zipcodes

from actions.clinic_data import Location

# The clinics are in Illinois: a town name that exists in several states is
# read as the Illinois one unless the visitor names another state.
HOME_STATE = "IL"
STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
}  # fmt: skip
_STATE_ABBREVIATION = re.compile(r"(?:,\s*|\s)([A-Z]{2})\b")
FAR_AWAY_MILES = 100
_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z.'-]*")
# Common words that are also US town names ("Normal", "Hope", "Park").
_NOT_TOWNS = frozenset(
    "a about after all and any are at be best can city clinic close closer closest come could do does "
    "drive easy either far from go good hope how i in is it live living me my near nearest normal not "
    "of on one or park please so that the there to town village we what which who will with would you "
    "your yes no ok okay thanks thank whichever fine also just".split()
)


@dataclass(frozen=True)
class Place:
    """A town or ZIP code with its approximate centre."""

    name: str
    state: str
    latitude: float
    longitude: float

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class PlaceLookup:
    """What the visitor's words point to: one place, several, or none."""

    place: Optional[Place] = None
    alternatives: Tuple[Place, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return self.place is None and len(self.alternatives) > 1


@dataclass(frozen=True)
class NearestClinic:
    location: Location
    miles: float
    other_miles: Dict[str, float]

    @property
    def far_away(self) -> bool:
        return self.miles > FAR_AWAY_MILES


@lru_cache(maxsize=1)
def _towns() -> Dict[str, List[Place]]:
    """Lowercase town name -> one Place per state (centre of its ZIP codes)."""
    points: Dict[Tuple[str, str], List[Tuple[float, float]]] = defaultdict(list)
    for record in zipcodes.list_all():
        if record.get("lat") and record.get("long"):
            points[(record["city"], record["state"])].append((float(record["lat"]), float(record["long"])))
    towns: Dict[str, List[Place]] = defaultdict(list)
    for (city, state), coordinates in points.items():
        latitude = sum(lat for lat, _ in coordinates) / len(coordinates)
        longitude = sum(lon for _, lon in coordinates) / len(coordinates)
        towns[city.lower()].append(Place(city, state, latitude, longitude))
    return dict(towns)


def load_town_index() -> None:
    """Build the town index now (0.7 s), not while a visitor waits for the nearest clinic."""
    _towns()


def place_for_zip(zip_code: str) -> Optional[Place]:
    matches = zipcodes.matching(zip_code)
    if not matches or not matches[0].get("lat"):
        return None
    record = matches[0]
    return Place(record["city"], record["state"], float(record["lat"]), float(record["long"]))


def states_mentioned(text: str) -> Set[str]:
    """US states named in `text` ('gary, indiana', 'Gary, IN')."""
    lowered = text.lower()
    named = {code for name, code in STATES.items() if re.search(rf"\b{name}\b", lowered)}
    abbreviations = {code for code in _STATE_ABBREVIATION.findall(text) if code in STATES.values()}
    return named | abbreviations


def _choose(candidates: Sequence[Place], text: str, near: Sequence[Tuple[float, float]]) -> PlaceLookup:
    in_named_state = [place for place in candidates if place.state in states_mentioned(text)]
    if in_named_state:
        return PlaceLookup(place=in_named_state[0])
    nearby = [
        place
        for place in candidates
        if any(miles_between(place.latitude, place.longitude, lat, lon) <= FAR_AWAY_MILES for lat, lon in near)
    ]
    if len(nearby) == 1:
        return PlaceLookup(place=nearby[0])
    home = [place for place in candidates if place.state == HOME_STATE]
    if home:
        return PlaceLookup(place=home[0])
    if len(candidates) == 1:
        return PlaceLookup(place=candidates[0])
    return PlaceLookup(alternatives=tuple(sorted(candidates, key=lambda p: p.state)))


def find_place(text: str, near: Sequence[Tuple[float, float]] = ()) -> PlaceLookup:
    """The town or ZIP code a visitor mentions ('i live in naperville', '60540').

    A town name found in several states is resolved by a state the visitor
    names, then by being the only one near `near` (the clinics), then Illinois.
    """
    zip_match = _ZIP.search(text)
    if zip_match:
        place = place_for_zip(zip_match.group(1))
        return PlaceLookup(place=place) if place else PlaceLookup()

    words = [word.strip(".'").lower() for word in _WORD.findall(text.replace(",", " , "))]
    towns = _towns()
    # Longest phrase first, so "oak brook terrace" beats "oak brook".
    for length in range(min(4, len(words)), 0, -1):
        for start in range(len(words) - length + 1):
            phrase_words = words[start : start + length]
            if length == 1 and (phrase_words[0] in _NOT_TOWNS or len(phrase_words[0]) < 4):
                continue
            if all(word in _NOT_TOWNS for word in phrase_words):
                continue
            candidates = towns.get(" ".join(phrase_words))
            if candidates:
                return _choose(candidates, text, near)
    return PlaceLookup()


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles (haversine)."""
    earth_radius_miles = 3958.8
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * earth_radius_miles * math.asin(math.sqrt(a))


def nearest_clinic(place: Place, locations: Sequence[Location]) -> NearestClinic:
    """The clinic location closest to `place`, with the distances to the others."""
    distances = {
        loc.id: miles_between(place.latitude, place.longitude, loc.latitude, loc.longitude) for loc in locations
    }
    best = min(locations, key=lambda loc: distances[loc.id])
    return NearestClinic(
        location=best,
        miles=distances[best.id],
        other_miles={loc.name: distances[loc.id] for loc in locations if loc.id != best.id},
    )
