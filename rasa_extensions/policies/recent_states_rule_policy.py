"""Rasa's RulePolicy, reading only as much of the conversation as a rule can match.

Before every prediction Rasa's RulePolicy turns the whole conversation into
a list of dialogue states, twice per visitor message (once matching the
text, once the intent), and then checks every rule against every state. A
rule only ever compares its own states with the same number of states at
the end of the conversation (`RulePolicy._is_rule_applicable` accepts any
state further back), so this policy builds only that many: the longest rule
decides the window. The conversation is still replayed from its start, so
slots and forms at the start of the window are what they were; the
prediction is the same, and a long conversation no longer makes every
message slower (benchmarks/README.md).

Training is left exactly as Rasa does it: its training conversations
(TrackerWithCachedStates) already keep their states.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


def recent_states(tracker: DialogueStateTracker, domain: Domain, count: int) -> List[State]:
    """The last `count` of `tracker.past_states(domain)`, computing only those.

    Equal to Rasa's `Domain.states_for_tracker_history` without rule-only
    turns hidden (what RulePolicy asks for): one state before each action
    and one for now.
    """
    actions = sum(isinstance(event, ActionExecuted) for event in tracker.applied_events())
    first_kept = actions + 1 - count
    return [
        domain._clean_state(domain.get_active_state(prior))
        for index, (prior, _) in enumerate(tracker.generate_all_prior_trackers())
        if index >= first_kept
    ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RecentStatesRulePolicy(RulePolicy):
    """RulePolicy whose predictions look only at the states its rules can match."""

    def _longest_rule(self) -> int:
        keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        return max((len(self._rule_key_to_state(key)) for key in keys), default=1)

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        if isinstance(tracker, TrackerWithCachedStates):
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
        # RulePolicy keeps rule-only turns and has no maximum history, so
        # Rasa's featurizer would return all past states with the last user
        # input chosen; the same here, for the window only.
        states = recent_states(tracker, domain, self._longest_rule())
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states
