"""Whole-conversation figures: fuzzed conversations, visitors who book with
detours, and Rasa's conversation markers over what they left in the store.

* The conversation fuzzer (tests/conversation_fuzzer/) plays random
  conversations: the share with no broken turn, red-flag messages answered
  with the safety reply in whatever state, the fallback rate.
* Scripted visitors who want to book answer the booking questions in their
  own words (the fuzzer's answer pools) and make one or two detours (a
  question, a thank-you, "are you a bot?") at random points: the share whose
  request reaches the clinic.
* `rasa evaluate markers` (staff/markers.yml, the same counts staff run on
  real traffic) over the conversation store those visitors filled.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
from pathlib import Path
from typing import Any, Dict, List

from rasa_extensions.rasa_command import command
from settings import Settings
from tests.conversation_fuzzer.fuzzer import fuzz, visitor_messages
from tests.support.dialogue_checks import RecordedChat
from tests.support.servers import PROJECT_DIR, AssistantServers

MARKERS = PROJECT_DIR / "staff" / "markers.yml"
DETOURS = (
    ("intents", "faq"),
    ("intents", "thank"),
    ("intents", "bot_challenge"),
    ("intents", "greet"),
)
# A visitor gives up after this many messages.
PATIENCE = 20


def book_with_detours(servers: AssistantServers, rng: random.Random) -> bool:
    """One visitor who wants to book and makes one or two detours; True if the request was sent."""
    pools = visitor_messages()
    chat = RecordedChat(servers, sender=f"booker-{rng.getrandbits(128):032x}")
    detour_turns = set(rng.sample(range(1, 8), rng.randint(1, 2)))
    turn = chat.say(rng.choice(pools["intents"]["book_appointment"]))
    for number in range(1, PATIENCE):
        if "utter_booking_saved" in turn.responses:
            return True
        slot = turn.after.requested_slot
        if turn.after.form != "booking_form" or not slot:
            return False
        if number in detour_turns:
            group, pool = rng.choice(DETOURS)
            text = rng.choice(pools[group][pool])
        elif slot in {"contact_consent", "booking_confirmed"}:
            text = rng.choice(pools["answers"]["yes"])
        else:
            text = rng.choice(pools["answers"][slot])
        turn = chat.say(text)
    return "utter_booking_saved" in turn.responses


def marker_counts(state_dir: Path, out_dir: Path) -> Dict[str, int]:
    """How many conversations each marker of staff/markers.yml applies to."""
    env = dict(os.environ, TRACKER_STORE_URL=f"sqlite:///{state_dir / 'conversations.db'}")
    # endpoints.yml reads its values from the environment, as `make run` sets it.
    env.update(Settings.from_environment(env).shell_environment())
    prefix = out_dir / "markers-stats"
    subprocess.run(
        [*command("evaluate"), "markers", "all", "--config", str(MARKERS), "--endpoints", "endpoints.yml",
         "--stats-file-prefix", str(prefix), str(out_dir / "markers.csv")],
        cwd=PROJECT_DIR, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    counts: Dict[str, int] = {}
    with open(f"{prefix}-overall.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            if row.get("statistic") == "number_of_sessions_where_marker_applied_at_least_once":
                counts[row["marker"]] = int(float(row["value"]))
    return counts


def conversation_figures(
    servers: AssistantServers, out_dir: Path, fuzzed: int, bookers: int, first_seed: int
) -> Dict[str, Any]:
    """The figures for the benchmark report, from one running assistant."""
    report = fuzz(servers, first_seed, fuzzed, log=servers.state_dir / "rasa.log")
    rng = random.Random(first_seed)
    booked = [book_with_detours(servers, rng) for _ in range(bookers)]
    safe, flags = report.red_flags()
    failures: List[str] = [line for line in report.failures(3).splitlines() if line.startswith(("---", "    turn"))]
    return {
        "first_seed": first_seed,
        **report.figures(),
        "red_flags_safe_share": safe / flags if flags else 1.0,
        "booking_visitors": bookers,
        "booking_completion_rate": sum(booked) / bookers if bookers else 0.0,
        "markers": marker_counts(servers.state_dir, out_dir),
        "first_failures": failures,
    }
