"""The business policy (bot/policy.yml) as typed values.

The policy names catalog keys for what the bot says (disclosures, payment options, fees); they
are read here, so the rest of the code gets the texts (templates with their placeholders)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from bot.conversation.messages import configured


@dataclass(frozen=True)
class Policy:
    promise_max_days_ahead: int
    allow_partial_below_minimum: bool
    follow_up_days_after_partial: int
    # An amount below this share of the minimum is read back before it is taken ("2 hundrd").
    check_below_share_of_minimum: Decimal
    instalment_months: dict[str, tuple[int, ...]]
    instalment_monthly_fee_rate: Decimal
    instalment_first_due_in_days: int
    instalment_auto_approve_max_months: int
    instalment_auto_approve_max_balance: Decimal
    payment_options: tuple[str, ...]
    fees: str
    hardship_followup_days: int
    disclosures: dict[str, str]
    later_disclosures: dict[str, str]


def parse_policy(raw: dict) -> Policy:
    promise, plans = raw["promise"], raw["instalments"]
    return Policy(
        promise_max_days_ahead=int(promise["max_days_ahead"]),
        allow_partial_below_minimum=bool(promise["allow_partial_below_minimum"]),
        follow_up_days_after_partial=int(promise["follow_up_days_after_partial"]),
        check_below_share_of_minimum=Decimal(
            str(promise.get("check_below_share_of_minimum", "0.1"))
        ),
        instalment_months={k: tuple(v) for k, v in plans["months_by_product"].items()},
        instalment_monthly_fee_rate=Decimal(str(plans["monthly_fee_rate"])),
        instalment_first_due_in_days=int(plans["first_due_in_days"]),
        instalment_auto_approve_max_months=int(plans["auto_approve_max_months"]),
        instalment_auto_approve_max_balance=Decimal(str(plans["auto_approve_max_balance"])),
        payment_options=tuple(configured(key) for key in raw["payment_options"]),
        fees=configured(raw["fees"]),
        hardship_followup_days=int(raw["hardship_followup_days"]),
        disclosures={k: configured(v["disclosure"]) for k, v in raw["jurisdictions"].items()},
        later_disclosures={
            k: configured(v["later_disclosure"]) for k, v in raw["jurisdictions"].items()
        },
    )


@lru_cache(maxsize=4)
def load_policy(path: Path | None = None) -> Policy:
    if path is None:
        from bot.settings import get_settings

        path = get_settings().policy_file
    return parse_policy(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
