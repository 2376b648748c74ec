"""Action-server answers are validated as strictly as Rasa does, with a prepared validator."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions import action_response_validation

SESSION_START_ANSWER: Dict[str, Any] = {
    "events": [
        {"event": "session_started"},
        {"event": "slot", "name": "clinic_phone", "value": "+1 312 555 0100"},
        {"event": "action", "name": "action_listen"},
    ],
    "responses": [{"text": "Welcome back!"}],
}
MALFORMED_ANSWERS = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def action(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    action_response_validation.use_prepared_validator()
    return RemoteAction("action_session_start", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_rasas_method_is_replaced(action: RemoteAction) -> None:
    assert RemoteAction._validate_action_result is action_response_validation._validate_action_result


def test_a_valid_answer_passes_without_checking_the_schema_again(
    action: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert action._validate_action_result(SESSION_START_ANSWER) is True
    # jsonschema.validate, what Rasa calls, checks the schema on every call.
    validator_class = validator_for(RemoteAction.action_response_format_spec())

    def schema_checked_again(*_: Any) -> None:
        raise AssertionError("the schema was checked again")

    monkeypatch.setattr(validator_class, "check_schema", schema_checked_again)
    assert action._validate_action_result(SESSION_START_ANSWER) is True


@pytest.mark.parametrize("answer", MALFORMED_ANSWERS)
def test_a_malformed_answer_gets_rasas_error(action: RemoteAction, answer: Dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(answer)
