"""Responses filled with slot values as they are, braces and brackets included.

Rasa 3.6 fills "{slot}" placeholders by rewriting them to "{0[slot]}" and
calling str.format; if the filled text then contains "0[" it assumes a
placeholder was left unfilled and returns the template unfilled. A visitor
whose answer contains "0[" ("room 10[b]", a typo) therefore got the raw
"{preferred_times}" back, in the summary of their own booking. Here each
placeholder is replaced once, by its value as text, and values are never
parsed again, so nothing a visitor types can change how a response is
filled. "{{" and "}}" still stand for literal braces, and a placeholder with
no value leaves the template unfilled, as in Rasa.

endpoints.yml selects this generator (`nlg: type: ...`).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions.rasa_internals import require_rasa_version

require_rasa_version("PlainValueResponseGenerator")
logger = logging.getLogger(__name__)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^\n{}]+?)\}")
# The parts of a response Rasa fills (TemplatedNaturalLanguageGenerator._fill_response).
FILLED_KEYS = ("text", "image", "custom", "buttons", "attachment", "quick_replies")


class MissingValueError(KeyError):
    """A placeholder names neither a slot nor a value given with the response."""


def fill_text(template: str, values: Dict[str, Any]) -> str:
    """`template` with each {name} replaced by str(values[name])."""

    def replace(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        name = match.group(1)
        if name not in values:
            raise MissingValueError(name)
        return f"{values[name]}"

    return _TOKEN.sub(replace, template)


def fill(part: Any, values: Dict[str, Any]) -> Any:
    """Every string inside `part` (text, buttons, custom payloads) filled."""
    if isinstance(part, str):
        return fill_text(part, values)
    if isinstance(part, list):
        return [fill(item, values) for item in part]
    if isinstance(part, dict):
        return {key: fill(value, values) for key, value in part.items()}
    return part


class PlainValueResponseGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's response generator, filling placeholders with fill() above."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    def _fill_response(
        self, response: Dict[str, Any], filled_slots: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Dict[str, Any]:
        values = self._response_variables(filled_slots or {}, kwargs)
        for key in FILLED_KEYS:
            if key in response:
                try:
                    response[key] = fill(response[key], values)
                except MissingValueError as missing:
                    logger.error("Response part %r has no value for {%s}; left unfilled", key, missing.args[0])
        return response
