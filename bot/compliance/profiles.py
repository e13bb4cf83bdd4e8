"""Compliance profiles per jurisdiction, read from the `jurisdictions` section of the policy."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    # The opt-out line's catalog key (its text in the customer's language: "回复TD退订"), the
    # signature every text starts with where the carriers require one (China: 【浦发银行】) and
    # the segments one text may take (concatenated; 1: every text a single segment).
    sms_opt_out_key: str = "sms.opt_out_line"
    voicemail_key: str = "voicemail.US"  # the catalog key, for the message in other languages
    sms_signature: str = ""
    sms_max_segments: int = 1
    # A state overlay on top of the jurisdiction (`with_overlay`): its code, its cap on calls and
    # texts together in 7 days (None: none), and whether the creditor may be named to others.
    state: str | None = None
    max_communications_in_7_days: int | None = None
    name_creditor_to_others: bool = True


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
        sms_opt_out_key=raw["sms_opt_out"],
        voicemail_key=raw["voicemail"],
        sms_signature=str(raw.get("sms_signature") or ""),
        sms_max_segments=int(raw.get("sms_max_segments", 1)),
    )


@lru_cache(maxsize=4)
def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    if path is None:
        from bot.settings import get_settings

        path = get_settings().policy_file
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["jurisdictions"]
    return {code: _profile(code, body) for code, body in raw.items()}


@lru_cache(maxsize=4)
def load_overlays(path: Path | None = None) -> dict[str, dict]:
    """The `state_overlays` section: state -> {applies_to, max_communications_in_7_days, ...}."""
    if path is None:
        from bot.settings import get_settings

        path = get_settings().policy_file
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("state_overlays") or {}


def with_overlay(profile: Profile, state: str | None, overlays: dict | None = None) -> Profile:
    """The profile with the state's overlay applied (more states are data in the policy file);
    the profile itself when the state has none for this jurisdiction."""
    overlays = load_overlays() if overlays is None else overlays
    raw = overlays.get(state or "")
    if not raw or raw.get("applies_to", "US") != profile.jurisdiction:
        return profile
    cap = raw.get("max_communications_in_7_days")
    return replace(
        profile,
        state=state,
        max_communications_in_7_days=None if cap is None else int(cap),
        name_creditor_to_others=bool(raw.get("name_creditor_to_others", True)),
    )


def profile_for(jurisdiction: str, state: str | None = None) -> Profile:
    """The jurisdiction's profile (an unknown one gets the US rules), with the state's overlay."""
    profiles = load_profiles()
    return with_overlay(profiles.get(jurisdiction) or profiles["US"], state)
