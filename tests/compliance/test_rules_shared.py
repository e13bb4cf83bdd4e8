"""Each contact rule is defined once (bot/compliance/rules.py) and both deciders use it: the
per-contact gate with scalars, the campaign planner with numpy columns."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from bot.campaign.planner import GATE_REASONS, Accounts, History, plan
from bot.campaign.strategy import load_strategy
from bot.compliance import rules
from bot.compliance.gate import ContactFacts, decide
from bot.compliance.profiles import load_profiles, with_overlay
from bot.settings import ROOT

PROFILES = load_profiles(ROOT / "bot" / "policy.yml")
NOON_NY = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
# The profile's fields that turn into rule parameters: read in rules.py, nowhere else.
RULE_PARAMETERS = (
    "window_start",
    "window_end",
    "max_calls_in_7_days",
    "cooldown_days_after_conversation",
    "daily_cap_per_number",
    "consent_required",
    "max_communications_in_7_days",
)
DECIDERS = [ROOT / "bot" / "compliance" / "gate.py", *(ROOT / "bot" / "campaign").rglob("*.py")]


@pytest.fixture
def spied(monkeypatch):
    """Every rule's evaluation recorded as "scalar" or "array", by rule reason."""
    calls: dict[str, set[str]] = {rule.reason: set() for rule in rules.RULES}
    originals = {rule: rule.refuses for rule in rules.RULES}

    def spy(rule, refuses):
        def recorded(view):
            result = refuses(view)
            calls[rule.reason].add("array" if isinstance(result, np.ndarray) else "scalar")
            return result

        return recorded

    for rule, refuses in originals.items():
        object.__setattr__(rule, "refuses", spy(rule, refuses))  # frozen: patched for the test
    try:
        yield calls
    finally:
        for rule, refuses in originals.items():
            object.__setattr__(rule, "refuses", refuses)


def test_the_gate_and_the_planner_evaluate_the_same_rule_objects(spied):
    for channel in ("voice", "sms"):  # allowed: every rule governing the channel is asked
        facts = ContactFacts(channel=channel, timezone="America/New_York", consent=True)
        assert decide(facts, PROFILES["US"], NOON_NY).allowed
    accounts = Accounts(
        ids=["A1", "A2"],
        products=["credit_card", "personal_loan"],  # voice and sms in the shipped strategy
        dpd=[10, 10],
        zones=["America/New_York"] * 2,
        jurisdictions=["US"] * 2,
        phones=["+15550000001", "+15550000002"],
        consent_voice=[True, True],
        consent_sms=[True, True],
        paused=[None, None],
    )
    result = plan(
        accounts, now=NOON_NY, strategy=load_strategy(), profiles=PROFILES, history=History()
    )
    assert result.summary.contact_now == 2
    assert spied == {rule.reason: {"scalar", "array"} for rule in rules.RULES}


def test_the_planners_reasons_are_the_rules_in_the_gates_order():
    assert ("allowed", *(rule.reason for rule in rules.RULES)) == GATE_REASONS
    denials = {
        "opted_out": {"opted_out": True},
        "dispute_open": {"dispute_open": True},
        "paused": {"paused_reason": "review"},
        "wrong_number": {"wrong_number": True},
        "no_consent": {"consent": False},
        "cooldown_after_conversation": {"last_conversation_at": NOON_NY},
        "frequency_cap": {"calls_last_7_days": 7},
        "daily_cap": {"attempts_today_to_number": 3},
        "state_frequency_cap": {"communications_last_7_days": 2},
    }
    massachusetts = with_overlay(PROFILES["US"], "MA")
    for rule in rules.RULES:
        if rule.reason == "outside_window":
            facts = ContactFacts("voice", "Asia/Shanghai", True)  # 01:00 in Shanghai
        else:
            given = {"consent": True, **denials[rule.reason]}
            facts = ContactFacts("voice", "America/New_York", **given)
        assert decide(facts, massachusetts, NOON_NY).reason == rule.reason


def test_every_rule_cites_its_source():
    for rule in rules.RULES:
        assert rule.source.strip(), rule.reason


@pytest.mark.parametrize("path", DECIDERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_rule_parameter_is_read_outside_the_rules(path: Path):
    """The gate and the campaign hand the profile to rules.py and never read its numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    read = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and "profile" in node.value.id
    }
    assert not read & set(RULE_PARAMETERS), f"{path} reads a rule's parameter itself"
