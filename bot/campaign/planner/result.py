"""The plan: every account's decision as columns, the reasons' codes, and the summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.campaign.contacts import DueContact, dispatch_key
from bot.campaign.planner.inputs import Accounts
from bot.campaign.strategy import ACTIONS
from bot.compliance.rules import RULES

# Campaign reasons (the others are the contact rules', and the hand-off actions).
NOT_OVERDUE, NO_STEP, CADENCE, BAD_ZONE = "not_overdue", "no_step_yet", "cadence", "unknown_zone"
GATE_REASONS = ("allowed", *(rule.reason for rule in RULES))
REASONS = GATE_REASONS + (CADENCE, NOT_OVERDUE, NO_STEP, BAD_ZONE, *ACTIONS)
REASON_CODES = {name: code for code, name in enumerate(REASONS)}
# Refusals about one channel only: the step's fallback channel may still be used.
FALLBACK_REASONS = frozenset(rule.reason for rule in RULES if rule.channel_specific)
CHANNEL_CODES = {"voice": 0, "sms": 1}
CHANNELS_BY_CODE = {code: name for name, code in CHANNEL_CODES.items()}


@dataclass
class PlanSummary:
    accounts: int
    contact_now: int
    deferred: int  # window closed now; due at its opening
    not_contacted: int
    by_segment: dict[str, int]
    by_channel: dict[str, int]  # planned contacts (now and deferred)
    by_reason: dict[str, int]  # accounts not contacted now, by reason
    deferred_denied: dict[str, int]  # window closed now, and the gate would refuse at its opening
    by_action: dict[str, int]  # escalation actions (instalment_offer, legal_review, ...)
    fallbacks: int  # contacts on the step's fallback channel
    elapsed_s: float


@dataclass
class Plan:
    """The decisions as columns. `reason_codes` index REASONS ("allowed" = contact now); the
    contact columns hold every planned contact, now and deferred."""

    now: datetime
    accounts: Accounts
    summary: PlanSummary
    segment_names: list[str]
    segment_codes: np.ndarray  # per account
    reason_codes: np.ndarray  # per account
    action_codes: np.ndarray  # per account, -1: no escalation rule
    contact_index: np.ndarray  # account index of each contact
    contact_channel: np.ndarray  # CHANNEL_CODES
    contact_due_us: np.ndarray
    contact_day: list[str]  # local YYYYMMDD per contact
    contact_tag: list[str]  # strategy step, s0, s1, ...
    contact_offer: list[str | None]

    def reason(self, i: int) -> str:
        return REASONS[self.reason_codes[i]]

    @property
    def reasons(self) -> list[str]:
        names = np.array(REASONS, dtype=object)
        return names[self.reason_codes].tolist()

    @property
    def segments(self) -> list[str]:
        return np.array(self.segment_names, dtype=object)[self.segment_codes].tolist()

    def action(self, i: int) -> str | None:
        code = self.action_codes[i]
        return None if code < 0 else tuple(ACTIONS)[code]

    def contacts(self) -> list[tuple[int, str, int, str, str, str | None]]:
        """(account index, channel, due us, day, tag, offer) per planned contact."""
        return list(
            zip(
                self.contact_index.tolist(),
                [CHANNELS_BY_CODE[c] for c in self.contact_channel.tolist()],
                self.contact_due_us.tolist(),
                self.contact_day,
                self.contact_tag,
                self.contact_offer,
                strict=True,
            )
        )

    def contact_by_account(self) -> dict[int, tuple[str, int]]:
        return {c[0]: (c[1], c[2]) for c in self.contacts()}

    def due_contacts(self) -> Iterator[DueContact]:
        a = self.accounts
        for i, channel, due_us, day, tag, offer in self.contacts():
            yield DueContact(
                key=dispatch_key(a.ids[i], channel, day, tag),
                account_id=a.ids[i],
                channel=channel,
                due=due_us / 1e6,
                day=day,
                segment=self.segment_names[self.segment_codes[i]],
                zone=a.zones[i],
                jurisdiction=a.jurisdictions[i],
                offer=offer,
            )

    def handoffs(self) -> Iterator[tuple[str, str, str]]:
        """(account_id, action, segment) for the accounts handed to a person."""
        actions = tuple(ACTIONS)
        for i in np.flatnonzero(self.action_codes >= 0).tolist():
            action = actions[self.action_codes[i]]
            if REASONS[self.reason_codes[i]] == action:
                yield self.accounts.ids[i], action, self.segment_names[self.segment_codes[i]]


def named_counts(counts: np.ndarray, skip: int | None = None) -> dict[str, int]:
    """{reason: count} for the non-zero counts, the largest first."""
    pairs = [(REASONS[c], int(v)) for c, v in enumerate(counts.tolist()) if v and c != skip]
    return dict(sorted(pairs, key=lambda p: -p[1]))
