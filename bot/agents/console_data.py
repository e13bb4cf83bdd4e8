"""What the console shows, read from the ledger (plain functions, no web types)."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.agents.account_view import escalation_json
from bot.ledger import models as m
from bot.ledger.repo import accounts, agents, conversations, escalations, records

CASE_RECORDS = (
    (
        "promises",
        m.Promise,
        lambda r: f"Promise to pay {r.amount} {r.currency} by {r.due_date}" f" ({r.status})",
    ),
    (
        "instalment_requests",
        m.InstalmentRequest,
        lambda r: f"Instalment plan: {r.months} x {r.monthly_amount} {r.currency}, first "
        f"{r.first_due_date} ({r.status})",
    ),
    ("disputes", m.Dispute, lambda r: f"Dispute: {r.text}"),
    ("already_paid_claims", m.AlreadyPaidClaim, lambda r: f"Says already paid: {r.details}"),
    ("hardship_notes", m.HardshipNote, lambda r: f"Hardship: {r.text}"),
    (
        "callbacks",
        m.CallbackRequest,
        lambda r: "Callback requested for "
        + (f"{r.callback_at:%Y-%m-%d %H:%M} UTC" if r.callback_at else "an unknown time")
        + f" ({r.requested_text})",
    ),
    ("opt_outs", m.OptOut, lambda r: f"Opted out of {r.channel}"),
)


def _claim_wait_s(row: m.Escalation) -> float:
    return (row.claimed_at - row.created_at).total_seconds()


def sees_everything(role: str) -> bool:
    return role == "supervisor"


def may_open(username: str, role: str, escalation: dict) -> bool:
    """An agent sees the cases waiting in the queue and the ones they claimed (or resolved);
    a case another agent holds is theirs alone. Supervisors see every case."""
    return (
        sees_everything(role)
        or escalation["status"] == "open"
        or escalation["claimed_by"] == username
    )


def queue(
    session, *, now: datetime | None = None, viewer: str | None = None, role: str = "supervisor"
) -> list[dict]:
    """Open and claimed escalations, most urgent first, then longest waiting. An agent
    (`viewer` with role "agent") gets the open ones and their own claims only."""
    now = now or datetime.now(timezone.utc)
    mine = None if sees_everything(role) else viewer or ""
    out = []
    for escalation, account in escalations.waiting_with_accounts(session, claimed_by=mine):
        conversation = (
            conversations.conversation(session, escalation.conversation_id)
            if escalation.conversation_id
            else None
        )
        out.append(
            {
                **escalation_json(escalation),
                "customer_name": account.customer_name,
                # The language the customer is served in, so the agent who calls back speaks it.
                "language": account.language,
                "balance": str(account.balance),
                "currency": account.currency,
                "days_past_due": account.days_past_due,
                "channel": conversation.channel if conversation else None,
                "waiting_s": int((now - escalation.created_at).total_seconds()),
            }
        )
    return out


def case(session, escalation_id: str) -> dict | None:
    escalation = escalations.escalation(session, escalation_id)
    if escalation is None:
        return None
    account = accounts.account(session, escalation.account_id)
    transcript, captured = [], []
    if escalation.conversation_id:
        transcript = [
            {"speaker": t.speaker, "text": t.text, "at": t.at}
            for t in conversations.transcript(session, escalation.conversation_id)
        ]
        for _name, model, describe in CASE_RECORDS:
            for row in records.for_conversation(session, model, escalation.conversation_id):
                captured.append(describe(row))
    return {
        "escalation": escalation_json(escalation),
        "account": account,
        "transcript": transcript,
        "captured": captured,
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def supervisor(session, *, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    counts: dict[str, dict[str, int]] = {}
    for reason, status, n in escalations.counts_by_reason_and_status(session):
        counts.setdefault(reason, {"open": 0, "claimed": 0, "resolved": 0})[status] = n
    every = escalations.every_escalation(session)
    # The wait before an agent took the case is a figure of the claimed cases only; the cases
    # still open are counted apart, with how long the oldest has waited so far.
    waits = [_claim_wait_s(e) for e in every if e.claimed_at is not None]
    still_open = [int((now - e.created_at).total_seconds()) for e in every if e.status == "open"]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    load = []
    for agent in agents.active_agents(session):
        claimed = escalations.held_by(session, agent.username)
        resolved = escalations.resolved_by_since(session, agent.username, midnight)
        load.append(
            {
                "username": agent.username,
                "name": agent.display_name,
                "claimed": claimed,
                "resolved_today": resolved,
            }
        )
    return {
        "counts": dict(sorted(counts.items())),
        "claim_wait": {
            "claimed": len(waits),
            "mean": round(sum(waits) / len(waits), 1) if waits else None,
            **{f"p{int(q * 100)}": percentile(waits, q) for q in (0.5, 0.9, 0.95)},
        },
        "open_cases": {"count": len(still_open), "oldest_s": max(still_open, default=None)},
        "load": load,
    }


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 x 10^k at or above value (at least 1): the chart's top line."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * step:
                return factor * step
        step *= 10


# The attempts chart's plot area in its SVG's units (viewBox 0 0 760 250).
CHART = {"left": 56, "top": 16, "width": 690, "height": 180}


def kpi_charts(session, *, days: int = 14, now: datetime | None = None) -> dict:
    """The last `days` days' KPIs per channel and per day, shaped for the supervisor's page: a
    table per channel and a bar chart per day (attempts, contacts, promises) with its y axis."""
    from datetime import timedelta

    from bot.analytics.kpi import kpis, totals

    today = (now or datetime.now(timezone.utc)).date()
    rows = kpis(session, start=today - timedelta(days=days - 1), end=today)
    by_channel = {}
    for channel in sorted({r.channel for r in rows}):
        by_channel[channel] = totals([r for r in rows if r.channel == channel])
    per_day = []
    for offset in range(days):
        day = today - timedelta(days=days - 1 - offset)
        total = totals([r for r in rows if r.day == day])
        per_day.append(
            {
                "day": day,
                "attempts": total.attempts,
                "contacts": total.contacts,
                "promises": total.promises,
            }
        )
    top = nice_ceiling(max([max(d["attempts"], d["contacts"]) for d in per_day] + [1]))
    plot, slot = CHART, CHART["width"] / days
    for index, d in enumerate(per_day):
        d["x"] = round(plot["left"] + index * slot, 1)
        for name in ("attempts", "contacts", "promises"):
            d[f"{name}_h"] = round(d[name] / top * plot["height"], 1)
    ticks = [
        {"value": top * i // 4, "y": round(plot["top"] + plot["height"] * (1 - i / 4), 1)}
        for i in range(5)
        if top * i % 4 == 0  # whole numbers only on the axis
    ]
    return {
        "by_channel": by_channel,
        "per_day": per_day,
        "peak": top,
        "ticks": ticks,
        "plot": {**plot, "bottom": plot["top"] + plot["height"], "slot": round(slot, 1)},
        "overall": totals(rows) if rows else None,
    }
