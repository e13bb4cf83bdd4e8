"""Verification lockout: failed answers are counted per account in the ledger, across
conversations and channels, so opening conversation after conversation does not give an
attacker fresh tries. After VERIFICATION_LOCK_FAILURES failures within VERIFICATION_LOCK_WINDOW_H
hours, self-service verification is locked for VERIFICATION_LOCK_HOURS: the bot says a person
will call back, a `verification_failed` escalation goes to the queue and the lock is audited;
an agent lifts it (`reminderbot agents unlock ACCOUNT`).

A customer who mistyped is not punished: a successful verification clears the failures counted
so far, and the limit (5) is above one conversation's three tries.

This runs around the engine (bot/conversation/service.py): the engine stays pure and knows
nothing of other conversations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.conversation.core import Effect, Outcome, priority_for
from bot.conversation.messages import text
from bot.ledger.repo import verification as ledger
from bot.settings import get_settings


@dataclass(frozen=True)
class Limits:
    failures: int
    window: timedelta
    duration: timedelta

    @classmethod
    def from_settings(cls) -> Limits:
        s = get_settings()
        return cls(
            s.verification_lock_failures,
            timedelta(hours=s.verification_lock_window_h),
            timedelta(hours=s.verification_lock_hours),
        )


def _verifications(outcome: Outcome) -> tuple[list[Effect], bool]:
    answers = [e for e in outcome.effects if e.kind == "verified"]
    return [e for e in answers if not e.data.get("result")], any(
        e.data.get("result") for e in answers
    )


def _reaches_verification(before: dict, after: dict) -> bool:
    """The turn asks for the verification answer or passes it."""
    was, now = before.get("phase"), after.get("phase")
    return (now == "verifying" and was != "verifying") or (now == "verified" and was != "verified")


def guard(
    session: Session,
    *,
    before: dict,
    outcome: Outcome,
    account_id: str,
    days_past_due: int,
    bank_phone: str,
    now: datetime,
    limits: Limits | None = None,
) -> Outcome:
    """The engine's outcome, or the locked one when verification is (or just became) locked."""
    limits = limits or Limits.from_settings()
    failed, passed = _verifications(outcome)
    lock = ledger.active_lock(session, account_id, now)
    new_lock = None
    if lock is None and failed:
        for _ in failed:
            ledger.add_failure(
                session,
                account_id=account_id,
                conversation_id=before.get("conversation_id"),
                channel=before.get("channel", "chat"),
                at=now,
            )
        counted = ledger.failures_since(session, account_id, now - limits.window)
        if counted >= limits.failures:
            lock = new_lock = ledger.add_lock(
                session, account_id=account_id, locked_at=now, locked_until=now + limits.duration
            )
    if lock is None:
        if passed:
            ledger.clear_failures(session, account_id, now)
        return outcome
    if not (failed or passed or _reaches_verification(before, outcome.state)):
        return outcome  # an opt-out or a wrong number is still honoured while locked
    effects = list(failed)  # the failed answers stay on the audit trail
    if new_lock is not None:
        hours = int(limits.window.total_seconds() // 3600)
        effects += [
            Effect(
                "verification_lock",
                {
                    "result": "locked",
                    "lock_id": new_lock.id,
                    "locked_until": new_lock.locked_until.isoformat(),
                    "failures": limits.failures,
                },
            ),
            Effect(
                "escalation",
                dict(
                    reason="verification_failed",
                    priority=priority_for("verification_failed", days_past_due),
                    summary=f"Self-service verification is locked after {limits.failures} "
                    f"failed answers within {hours} h (any channel). Call the customer back on "
                    "the number on file and verify them yourself; lift the lock with "
                    f"`reminderbot agents unlock {account_id}` once they are verified.",
                ),
            ),
        ]
    effects.append(Effect("ended", {"disposition": "verification_failed"}))
    outcomes = [*before.get("outcomes", []), "verification_failed"]
    state = {
        **before,
        "ended": True,
        "awaiting": None,
        "outcomes": outcomes if new_lock is None else [*outcomes, "escalated"],
        # Whatever the customer sent with this turn may be (part of) an answer.
        "_redact": bool(outcome.state.get("_redact") or failed or passed),
    }
    lang = outcome.state.get("lang") or before.get("lang") or "en"
    return Outcome([text("verification.locked", lang, bank_phone=bank_phone)], state, effects)


def unlock(session: Session, account_id: str, *, by: str) -> int:
    """Lift the account's locks in force and clear its counted failures; how many were lifted.
    The caller audits it (the CLI, as an agent action)."""
    from bot.ledger.models import utcnow

    lifted = ledger.lift_locks(session, account_id, by)
    ledger.clear_failures(session, account_id, utcnow())
    return len(lifted)
