"""Changes our Rasa server makes to Rasa itself, installed when Rasa imports our tracker store
(the endpoints file names it, so every stack's Rasa process loads this module first).

The action response check: Rasa 3.6 checks every response of the action server with
`jsonschema.validate(result, schema)`, which first checks the (constant) schema itself against
JSON Schema's metaschema: ~17 ms of CPU per action call, a third of a turn's CPU in Rasa
(docs/performance.md). The same check with a validator built once costs ~0.5 ms. A response that
fails it is checked again by Rasa's own method, so the error raised is exactly Rasa's.
"""

from __future__ import annotations

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

_rasa_check = RemoteAction._validate_action_result


def _action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    kind = validators.validator_for(schema)
    kind.check_schema(schema)  # once, as jsonschema.validate does on every call
    return kind(schema)


_validator = _action_response_validator()


def _validate_action_result(self: RemoteAction, result: dict) -> bool:
    try:
        _validator.validate(result)
    except ValidationError:
        return _rasa_check(self, result)  # raises Rasa's own error, with its message
    return True


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
