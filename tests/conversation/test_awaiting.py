"""The awaited question is one enum for the engine, the wording and the keypad menu, and the
state keeps it as the same plain strings as before (JSON in a Rasa slot)."""

import json

import pytest

from bot.channels.voice.menu import menu_for
from bot.conversation.awaiting import Awaiting
from tests.conversation.test_engine import Chat

# Every awaited question as earlier versions wrote it into saved states.
SAVED_NAMES = {
    "identity",
    "third_party_callback",
    "verification",
    "callback_time",
    "human_offer",
    "offer",
    "promise_details",
    "promise_amount",
    "promise_date",
    "promise_confirm",
    "counter_offer",
    "instalment_offer",
    "instalment_months",
    "instalment_confirm",
    "already_paid_details",
    "extension_plan",
    "anything_else",
}


def test_the_values_are_the_names_saved_states_hold():
    assert {a.value for a in Awaiting} == SAVED_NAMES


@pytest.mark.parametrize("name", sorted(SAVED_NAMES))
def test_a_saved_name_reads_back_and_serialises_unchanged(name):
    awaiting = Awaiting.read(name)
    assert awaiting == name and str(awaiting) == name
    assert json.dumps({"awaiting": awaiting}) == json.dumps({"awaiting": name})


def test_an_ended_conversation_awaits_nothing():
    assert Awaiting.read(None) is None


def test_the_state_keeps_plain_strings():
    chat = Chat()
    assert type(chat.state["awaiting"]) is str and chat.state["awaiting"] == "identity"
    chat.verified()
    assert type(chat.state["awaiting"]) is str and chat.state["awaiting"] == "offer"


def test_a_state_saved_as_json_resumes():
    chat = Chat().verified()
    chat.state = json.loads(json.dumps(chat.state))
    reply = chat.say("action_confirm", "yes")
    assert chat.state["awaiting"] == "promise_confirm" and "Just to confirm" in reply


@pytest.mark.parametrize("awaiting", [Awaiting.PROMISE_CONFIRM, "promise_confirm"])
def test_the_keypad_menu_takes_the_enum_or_the_meta_string(awaiting):
    menu = menu_for(awaiting, 0)
    assert menu.yes_no and menu.keys == {"1": "yes", "2": "no"}
