"""The action server registers exactly the actions the domain lists, and the engine handles each."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml
from rasa_sdk import Action

import actions.actions as module
from bot.conversation import engine

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


def domain_actions() -> set[str]:
    names: set[str] = set()
    for path in DOMAIN.glob("*.yml"):
        names.update((yaml.safe_load(path.read_text()) or {}).get("actions") or [])
    return names


def registered_actions() -> dict[str, type]:
    """What rasa_sdk's executor registers: every concrete Action subclass defined in the module."""
    found = {}
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, Action) and cls.__module__ == module.__name__:
            name = cls().name()
            if name:  # the ConversationTurn base has no name and is not registered
                found[name] = cls
    return found


def test_domain_actions_equal_registered_action_classes():
    assert set(registered_actions()) == domain_actions()


def test_every_registered_action_is_an_engine_action():
    assert set(registered_actions()) == set(engine.ACTIONS)


def test_each_action_is_a_class_written_in_the_module_source():
    """Greppable: `class Name(...)` appears in actions.py for every action, not made by type()."""
    source = Path(module.__file__).read_text()
    for name, cls in registered_actions().items():
        assert f"class {cls.__name__}(" in source, name
        assert f'"{name}"' in source
