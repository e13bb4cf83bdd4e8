"""The campaign planner: every account's next contact, or why there is none, for a whole
portfolio at once. No SQL in here: the ledger's facts come through
`bot.ledger.repo.contact_history` (`load_accounts`), the contact rules from
`bot.compliance.rules` (the gate's own).

- inputs.py        Accounts (columns) and History (sparse facts)
- ledger_input.py  load_accounts: the ledger into Accounts and History
- columns.py       the contact rules on arrays (ColumnGate) and the per-zone context
- plan.py          plan(): the strategy and the rules, now and at the window's opening
- result.py        Plan, PlanSummary and the reason codes
"""

from bot.campaign.planner.columns import ColumnGate, zone_context
from bot.campaign.planner.inputs import OPT_OUT_BITS, SMS_BIT, VOICE_BIT, Accounts, History
from bot.campaign.planner.ledger_input import RECENT_WINDOW, load_accounts
from bot.campaign.planner.plan import plan
from bot.campaign.planner.result import (
    BAD_ZONE,
    CADENCE,
    CHANNEL_CODES,
    CHANNELS_BY_CODE,
    FALLBACK_REASONS,
    GATE_REASONS,
    NO_STEP,
    NOT_OVERDUE,
    REASONS,
    Plan,
    PlanSummary,
)

__all__ = [
    "BAD_ZONE",
    "CADENCE",
    "CHANNEL_CODES",
    "CHANNELS_BY_CODE",
    "FALLBACK_REASONS",
    "GATE_REASONS",
    "NO_STEP",
    "NOT_OVERDUE",
    "OPT_OUT_BITS",
    "RECENT_WINDOW",
    "REASONS",
    "SMS_BIT",
    "VOICE_BIT",
    "Accounts",
    "ColumnGate",
    "History",
    "Plan",
    "PlanSummary",
    "load_accounts",
    "plan",
    "zone_context",
]
