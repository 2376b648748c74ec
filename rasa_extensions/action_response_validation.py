"""Validate the action server's answers with one prepared jsonschema validator.

Rasa's RemoteAction checks every answer from the action server with
`jsonschema.validate`, which first checks Rasa's own event schema against
the JSON Schema meta-schema, on every call: 17 ms of the Rasa server's main
thread for each custom action (action_session_start at the start of every
conversation, each booking-form turn), against 2.4 ms with the validator
prepared once (benchmarks/README.md). A valid answer passes the same checks;
an invalid one goes to Rasa's own method, which raises its usual error.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Dict

from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_rasa_validation = RemoteAction._validate_action_result


@cache
def _prepared_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every answer
    return validator_class(schema)


def _validate_action_result(action: RemoteAction, result: Dict[str, Any]) -> bool:
    if _prepared_validator().is_valid(result):
        return True
    return _rasa_validation(action, result)


def use_prepared_validator() -> None:
    """Make every RemoteAction in this process validate with the prepared validator."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
