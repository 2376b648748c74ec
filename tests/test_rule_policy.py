"""The project's RulePolicy predicts exactly what Rasa's does, from fewer states.

Both policies are trained on the project's rules and domain, then follow the
same long random conversations (intents, slots, forms starting and ending);
every prediction must be identical, and the states the project's policy
builds must be the end of Rasa's full list.
"""

from __future__ import annotations

import random
from typing import Dict, List, Tuple

import pytest
import yaml
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from rasa_extensions.policies.recent_states_rule_policy import RecentStatesRulePolicy
from tests.support.project_data import PROJECT_DIR

FORM_INTENTS = ["book_appointment", "human_handoff", "urgent_symptom", "faq", "stop"]


def project_policy_config() -> Dict:
    config = yaml.safe_load((PROJECT_DIR / "config.yml").read_text())
    (policy,) = config["policies"]
    return {key: value for key, value in policy.items() if key != "name"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Domain, RulePolicy, RecentStatesRulePolicy]:
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(PROJECT_DIR / "domain.yml"), training_data_paths=[str(PROJECT_DIR / "data")]
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    storage = LocalModelStorage(tmp_path_factory.mktemp("policies"))
    context = ExecutionContext(GraphSchema({}), "rule-policy-test")
    policies = []
    for cls in (RulePolicy, RecentStatesRulePolicy):
        config = {**cls.get_default_config(), **project_policy_config()}
        policy = cls.create(config, storage, Resource(cls.__name__), context)
        policy.train(trackers, domain)
        policies.append(policy)
    rasa_policy, project_policy = policies
    assert project_policy.lookup == rasa_policy.lookup
    return domain, rasa_policy, project_policy


def same_prediction(first: PolicyPrediction, second: PolicyPrediction) -> bool:
    return (
        first.probabilities == second.probabilities
        and first.events == second.events
        and first.optional_events == second.optional_events
        and first.is_end_to_end_prediction == second.is_end_to_end_prediction
        and first.is_no_user_prediction == second.is_no_user_prediction
        and first.policy_name == second.policy_name.replace(RecentStatesRulePolicy.__name__, RulePolicy.__name__)
    )


def test_the_window_holds_the_longest_rule(trained: Tuple[Domain, RulePolicy, RecentStatesRulePolicy]) -> None:
    _, _, policy = trained
    longest = policy._longest_rule()
    assert 3 <= longest < 20  # the rules are a few turns long, not whole conversations


@pytest.mark.parametrize("seed", range(3))
def test_long_conversations_get_the_same_predictions(
    trained: Tuple[Domain, RulePolicy, RecentStatesRulePolicy], seed: int
) -> None:
    domain, rasa_policy, project_policy = trained
    rng = random.Random(seed)
    tracker = DialogueStateTracker.from_events(f"visitor-{seed}", [ActionExecuted(ACTION_LISTEN_NAME)], domain.slots)
    influential_slots = [slot for slot in domain.slots if slot.influence_conversation]
    # Visitors' intents; Rasa's restart/back/session_start come from buttons and the server.
    intents = [intent for intent in domain.intents if intent not in {"restart", "back", "session_start"}]
    predicted_actions: List[str] = []
    for turn in range(60):
        # Often the intents that start, interrupt and leave forms: their rules are the longest.
        intent = rng.choice(FORM_INTENTS if rng.random() < 0.5 else intents)
        tracker.update(UserUttered(f"message {turn}", {"name": intent, "confidence": 1.0}))
        for _ in range(8):  # actions until the assistant listens again (Rasa stops after 10)
            expected = rasa_policy.predict_action_probabilities(tracker, domain)
            actual = project_policy.predict_action_probabilities(tracker, domain)
            assert same_prediction(expected, actual), (turn, intent, tracker.events[-6:])
            window = project_policy._longest_rule()
            for use_text in (True, False):
                full = rasa_policy._prediction_states(tracker, domain, use_text)
                assert project_policy._prediction_states(tracker, domain, use_text) == full[-window:]
            action = domain.action_names_or_texts[expected.max_confidence_index]
            predicted_actions.append(action)
            tracker.update(ActionExecuted(action))
            if action in domain.form_names:
                # A form either asks its next question or has just finished.
                finished = rng.random() < 0.4
                tracker.update(ActiveLoop(None if finished else action))
                tracker.update(SlotSet(REQUESTED_SLOT, None if finished else "visitor_name"))
                if not finished:
                    break
            if influential_slots and rng.random() < 0.2:
                slot = rng.choice(influential_slots)
                tracker.update(SlotSet(slot.name, rng.choice([True, False])))
            if action == ACTION_LISTEN_NAME:
                break
        else:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    # The walk reached forms and FAQ answers, not only fallbacks.
    assert any(action in domain.form_names for action in predicted_actions), sorted(set(predicted_actions))
    assert "utter_faq" in predicted_actions
