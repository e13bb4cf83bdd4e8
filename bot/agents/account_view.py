"""An account with everything recorded about it, as the text API shows it (no secrets)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.ledger import models as m
from bot.ledger.repo import accounts, conversations, escalations, records


def _iso(value):
    return value.isoformat() if value is not None else None


def account_record(session: Session, account_id: str) -> dict | None:
    account = accounts.account(session, account_id)
    if account is None:
        return None

    def rows(model, order):
        return records.for_account(session, model, account_id, order)

    return {
        "account": {
            "account_id": account.account_id,
            "customer_name": account.customer_name,
            "phone": account.phone,
            "timezone": account.timezone,
            "language": account.language,
            "product": account.product,
            "currency": account.currency,
            "balance": str(account.balance),
            "minimum_due": str(account.minimum_due),
            "due_date": _iso(account.due_date),
            "days_past_due": account.days_past_due,
            "jurisdiction": account.jurisdiction,
            "consent_voice": account.consent_voice,
            "consent_sms": account.consent_sms,
            "paused_reason": account.paused_reason,
        },
        "promises": [
            {
                "id": p.id,
                "amount": str(p.amount),
                "currency": p.currency,
                "due_date": _iso(p.due_date),
                "status": p.status,
                "channel": p.channel,
                "conversation_id": p.conversation_id,
            }
            for p in rows(m.Promise, m.Promise.created_at)
        ],
        "instalment_requests": [
            {
                "id": r.id,
                "months": r.months,
                "monthly_amount": str(r.monthly_amount),
                "fee": str(r.fee),
                "currency": r.currency,
                "first_due_date": _iso(r.first_due_date),
                "status": r.status,
                "conversation_id": r.conversation_id,
            }
            for r in rows(m.InstalmentRequest, m.InstalmentRequest.created_at)
        ],
        "disputes": [
            {
                "id": d.id,
                "text": d.text,
                "status": d.status,
                "created_at": _iso(d.created_at),
                "conversation_id": d.conversation_id,
            }
            for d in rows(m.Dispute, m.Dispute.created_at)
        ],
        "already_paid_claims": [
            {
                "id": c.id,
                "details": c.details,
                "created_at": _iso(c.created_at),
                "conversation_id": c.conversation_id,
            }
            for c in rows(m.AlreadyPaidClaim, m.AlreadyPaidClaim.created_at)
        ],
        "hardship_notes": [
            {
                "id": h.id,
                "text": h.text,
                "created_at": _iso(h.created_at),
                "conversation_id": h.conversation_id,
            }
            for h in rows(m.HardshipNote, m.HardshipNote.created_at)
        ],
        "callbacks": [
            {
                "id": c.id,
                "callback_at": _iso(c.callback_at),
                "status": c.status,
                "conversation_id": c.conversation_id,
            }
            for c in rows(m.CallbackRequest, m.CallbackRequest.created_at)
        ],
        "opt_outs": [
            {
                "channel": o.channel,
                "created_at": _iso(o.created_at),
                "active": o.revoked_at is None,
                "conversation_id": o.conversation_id,
            }
            for o in rows(m.OptOut, m.OptOut.created_at)
        ],
        "wrong_number_flags": [
            {
                "phone": w.phone,
                "created_at": _iso(w.created_at),
                "conversation_id": w.conversation_id,
            }
            for w in rows(m.WrongNumberFlag, m.WrongNumberFlag.created_at)
        ],
        "escalations": [escalation_json(e) for e in escalations.for_account(session, account_id)],
        "contacts": [
            {
                "conversation_id": c.id,
                "channel": c.channel,
                "started_at": _iso(c.started_at),
                "ended_at": _iso(c.ended_at),
                "verified": c.verified,
                "disposition": c.disposition,
            }
            for c in conversations.for_account(session, account_id)
        ],
    }


def escalation_json(e: m.Escalation) -> dict:
    return {
        "id": e.id,
        "account_id": e.account_id,
        "conversation_id": e.conversation_id,
        "reason": e.reason,
        "priority": e.priority,
        "summary": e.summary,
        "status": e.status,
        "claimed_by": e.claimed_by,
        "disposition": e.disposition,
        "note": e.note,
        "created_at": _iso(e.created_at),
        "resolved_at": _iso(e.resolved_at),
    }
