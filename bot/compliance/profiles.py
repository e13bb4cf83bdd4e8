"""Compliance profiles per jurisdiction, read from the `jurisdictions` section of the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path

import yaml

from bot.conversation.messages import configured


@dataclass(frozen=True)
class Profile:
    jurisdiction: str
    window_start: time
    window_end: time
    max_calls_in_7_days: int
    cooldown_days_after_conversation: int
    daily_cap_per_number: dict[str, int]
    consent_required: dict[str, bool]
    record_retention_days: int
    voicemail: str
    sms_opt_out: str


def _profile(code: str, raw: dict) -> Profile:
    start, end = (time.fromisoformat(t) for t in raw["calling_window"])
    return Profile(
        jurisdiction=code,
        window_start=start,
        window_end=end,
        max_calls_in_7_days=int(raw["max_calls_in_7_days"]),
        cooldown_days_after_conversation=int(raw["cooldown_days_after_conversation"]),
        daily_cap_per_number={k: int(v) for k, v in raw["daily_cap_per_number"].items()},
        consent_required={k: bool(v) for k, v in raw["consent_required"].items()},
        record_retention_days=int(raw["record_retention_days"]),
        # The policy names the texts' catalog keys (bot/conversation/messages/).
        voicemail=configured(raw["voicemail"]),
        sms_opt_out=configured(raw["sms_opt_out"]),
    )


@lru_cache(maxsize=4)
def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    if path is None:
        from bot.settings import get_settings

        path = get_settings().policy_file
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["jurisdictions"]
    return {code: _profile(code, body) for code, body in raw.items()}


def profile_for(jurisdiction: str) -> Profile:
    profiles = load_profiles()
    return profiles.get(jurisdiction) or profiles["US"]
