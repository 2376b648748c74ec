"""'Which clinic is closest to me?': the nearer clinic to a town or ZIP code."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_sentences import CHOSEN_CLINIC_SLOTS, chosen_clinic_values
from actions.geocoder import PlaceLookup, find_place, nearest_clinic
from actions.runtime import current_clinic
from actions.visitor_forms import latest_text


def clinic_coordinates() -> List[Tuple[float, float]]:
    return [(loc.latitude, loc.longitude) for loc in current_clinic().locations]


def describe_nearest(dispatcher: CollectingDispatcher, lookup: PlaceLookup) -> Optional[Dict[str, Any]]:
    """Tell the visitor which clinic is closer; the slots to set, or None."""
    if lookup.is_ambiguous:
        states = ", ".join(sorted({place.state for place in lookup.alternatives}))
        dispatcher.utter_message(response="utter_ambiguous_place", place=lookup.alternatives[0].name, states=states)
        return None
    if lookup.place is None:
        dispatcher.utter_message(response="utter_unknown_place")
        return None
    nearest = nearest_clinic(lookup.place, current_clinic().locations)
    others = "; ".join(f"{name} is about {miles:.0f} miles" for name, miles in nearest.other_miles.items())
    dispatcher.utter_message(
        response="utter_far_from_clinics" if nearest.far_away else "utter_nearest_clinic",
        clinic=nearest.location.name,
        place=lookup.place.label,
        miles=f"{nearest.miles:.0f}",
        others=others,
    )
    return {
        "visitor_location": lookup.place.label,
        "preferred_clinic": nearest.location.name,
        # From now on the safety reply and contact details give the nearer clinic's number.
        **chosen_clinic_values(current_clinic(), nearest.location.name),
    }


class ActionFindNearestClinic(Action):
    """Answers with the nearer clinic when the visitor names a town or ZIP code."""

    def name(self) -> str:
        return "action_find_nearest_clinic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lookup = find_place(latest_text(tracker), near=clinic_coordinates())
        if lookup.place is None and not lookup.is_ambiguous:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        found = describe_nearest(dispatcher, lookup) or {}
        return [SlotSet(name, found[name]) for name in CHOSEN_CLINIC_SLOTS if name in found]
