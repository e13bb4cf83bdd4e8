"""The business policy (bot/policy.yml) as typed values.

The policy names catalog keys for what the bot says (disclosures, payment options, fees); they
are read here, in every language of the catalog, so an unknown key fails at start-up and the rest
of the code gets the texts (templates with their placeholders) in the conversation's language.
The plain fields (`disclosures`, `fees`, ...) are the English texts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from bot.conversation.messages import configured, languages


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
    # The same texts by language: {lang: {jurisdiction: template}} and {lang: templates}.
    disclosures_in: dict[str, dict[str, str]]
    later_disclosures_in: dict[str, dict[str, str]]
    payment_options_in: dict[str, tuple[str, ...]]
    fees_in: dict[str, str]

    def disclosure(self, jurisdiction: str, lang: str = "en") -> str:
        texts = self.disclosures_in.get(lang) or self.disclosures
        return texts.get(jurisdiction) or texts["US"]

    def later_disclosure(self, jurisdiction: str, lang: str = "en") -> str:
        texts = self.later_disclosures_in.get(lang) or self.later_disclosures
        return texts.get(jurisdiction) or texts["US"]

    def payment_options_for(self, lang: str = "en") -> tuple[str, ...]:
        return self.payment_options_in.get(lang) or self.payment_options

    def fees_for(self, lang: str = "en") -> str:
        return self.fees_in.get(lang) or self.fees


def parse_policy(raw: dict) -> Policy:
    promise, plans = raw["promise"], raw["instalments"]
    places = raw["jurisdictions"]
    langs = languages()
    disclosures_in = {
        lang: {k: configured(v["disclosure"], lang) for k, v in places.items()} for lang in langs
    }
    later_in = {
        lang: {k: configured(v["later_disclosure"], lang) for k, v in places.items()}
        for lang in langs
    }
    options_in = {
        lang: tuple(configured(key, lang) for key in raw["payment_options"]) for lang in langs
    }
    fees_in = {lang: configured(raw["fees"], lang) for lang in langs}
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
        payment_options=options_in["en"],
        fees=fees_in["en"],
        hardship_followup_days=int(raw["hardship_followup_days"]),
        disclosures=disclosures_in["en"],
        later_disclosures=later_in["en"],
        disclosures_in=disclosures_in,
        later_disclosures_in=later_in,
        payment_options_in=options_in,
        fees_in=fees_in,
    )


@lru_cache(maxsize=4)
def load_policy(path: Path | None = None) -> Policy:
    if path is None:
        from bot.settings import get_settings

        path = get_settings().policy_file
    return parse_policy(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
