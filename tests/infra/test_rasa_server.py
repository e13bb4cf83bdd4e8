"""Rasa's check of the action server's responses, with the validator built once
(bot/infra/rasa_server.py): installed where Rasa loads our tracker store, and deciding exactly as
Rasa's own check does, with Rasa's error for a response that fails it."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.events import ActionExecuted, BotUttered, FollowupAction, SlotSet

import bot.infra.tracker_store  # noqa: F401 (what Rasa imports from the endpoints file)
from bot.infra import rasa_server

STATE = {"phase": "promise", "pending": {"amount": "200", "date": "2026-12-02"}, "tries": 0}
VALID = [
    {"events": [], "responses": []},
    {
        "events": [SlotSet("dialogue_state", STATE), BotUttered("Receipt", {"kind": "receipt"})],
        "responses": [{"text": "Thank you.", "custom": {"meta": {"redact": True}}}],
    },
    {"events": [ActionExecuted("action_listen"), FollowupAction("action_listen")]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 7}]},  # a slot's name is a string
    {"events": [{"no": "event key"}]},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_converse", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_the_check_built_once_is_what_rasa_runs_in_our_server():
    assert RemoteAction._validate_action_result is rasa_server._validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_a_valid_response_passes_both_checks(action, result):
    assert rasa_server._rasa_check(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_fails_with_rasas_own_error(action, result):
    with pytest.raises(ValidationError) as rasas:
        rasa_server._rasa_check(action, result)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    assert "Failed to validate Action server response" in ours.value.message
    assert ours.value.message == rasas.value.message
