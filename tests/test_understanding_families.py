"""The kinds of visitor messages the understanding issue found misread.

Each family below is one kind of question the model used to send to a
neighbouring topic (issue "Understanding what visitors really ask"). The
messages are paraphrases written for this test, never training examples, and
were written before the training data that covers the families; the test
checks they stay out of the training data and the blind set, so this stays a
check of understanding, not of memory. They are development material: a
failure here is fixed by covering the family in data/nlu/, not by adding the
sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from staff.nlu_evaluation import Example, evaluate_model, load_examples, normalised_text
from staff.quality_gate import BLIND_SET, TRAINING_FILES

FAMILIES: Dict[str, List[Example]] = {
    "a sunburnt or tanned visitor asks whether they can still be treated": [
        Example(
            "i burned pretty badly on vacation a few days ago, is it still ok to come in for my laser",
            "faq/preparation",
        ),
        Example(
            "my face is really tanned from a beach holiday, can i still have the resurfacing next week",
            "faq/preparation",
        ),
    ],
    "what happens on the day itself": [
        Example("will you take pictures of my face before the laser starts", "faq/procedure_day"),
        Example("does the laser make a noise or smell like burning", "faq/procedure_day"),
        Example("is it just the scarred parts that get lasered or the whole face", "faq/procedure_day"),
        Example("how long will i actually be at the clinic for the treatment itself", "faq/session_length"),
    ],
    "side effects described by how they look": [
        Example("how red does your face get afterwards", "faq/side_effects"),
        Example("does the skin peel and crust over after the laser", "faq/side_effects"),
    ],
    "candidacy with a named condition": [
        Example("i have lupus, can i still get laser resurfacing", "faq/good_candidate"),
        Example("my cuts take forever to heal, does that rule me out", "faq/good_candidate"),
        Example("is laser ok if you have psoriasis", "faq/good_candidate"),
    ],
    "brand names and shorthand": [
        Example("finished absorica in the spring, when can i do the laser", "faq/isotretinoin"),
        Example("me and my husband are ttc, is laser resurfacing safe", "faq/pregnancy"),
    ],
    "the clinic's experience and local travel": [
        Example("how many of these laser treatments has your clinic done", "faq/provider_qualifications"),
        Example("can i take the metra to the oak brook clinic", "faq/locations"),
        Example("is there somewhere to park at orland park", "faq/locations"),
    ],
    "a scar type alone, other scars, pigment": [
        Example("boxcar scars", "faq/scar_types"),
        Example("what about ice pick scars on my temples", "faq/scar_types"),
        Example("can it help a scar from a dog bite", "faq/other_uses"),
        Example("i have melasma, would the laser help", "faq/other_uses"),
    ],
    "out of scope but sharing a word with a topic": [
        Example("do you do tummy tucks", "out_of_scope"),
        Example("when does the white sox season start", "out_of_scope"),
        Example("can you help with my chemistry homework", "out_of_scope"),
        Example("how long is recovery from a nose job", "out_of_scope"),
    ],
}


# Quoted word for word in the issue: they must not become training examples.
ISSUE_SENTENCES = ("can i get the laser done if i got sunburnt at the beach last weekend",)


def test_the_issue_sentences_are_not_training_examples() -> None:
    trained = {normalised_text(e.text) for e in load_examples(TRAINING_FILES)}
    assert [s for s in ISSUE_SENTENCES if normalised_text(s) in trained] == []


def test_the_family_messages_are_neither_training_examples_nor_blind_messages() -> None:
    known = {normalised_text(e.text) for e in load_examples([*TRAINING_FILES, BLIND_SET])}
    reused = [e.text for family in FAMILIES.values() for e in family if normalised_text(e.text) in known]
    assert reused == []


@pytest.fixture(scope="module")
def mistakes(model_path: Path) -> List[Tuple[str, str, str]]:
    """(text, gold, predicted) for every family message the model gets wrong: one model load for all."""
    return evaluate_model(model_path, [e for family in FAMILIES.values() for e in family]).mistakes()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_gets_the_right_answer(mistakes: List[Tuple[str, str, str]], family: str) -> None:
    texts = {e.text for e in FAMILIES[family]}
    assert [m for m in mistakes if m[0] in texts] == []
