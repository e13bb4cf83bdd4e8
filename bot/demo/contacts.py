"""What the synthetic campaign does to each customer, day by day: attempts, conversations and
their outcomes (promises, instalments, callbacks, escalations, follow-ups)."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from bot.demo.customers import (
    CNY_PER_USD,
    GRACE_DAYS,
    PRIORITY,
    ZERO,
    _Account,
    _money,
    _Population,
    _sigmoid,
)


class _Simulation(_Population):
    def day(self, acct: _Account, day: int) -> None:
        for amount in acct.scheduled.pop(day, []):
            if acct.paused != "paid_in_full":
                self.pay(acct, day, amount)
        if acct.paused != "paid_in_full" and self.chance(_sigmoid(self.appetite(acct, day) - 4.2)):
            self.pay(acct, day, self.spontaneous_amount(acct))
        if acct.paused or day <= acct.promise_until or not self.chance(0.33):
            return
        allowed = self.channels(acct)
        if allowed:
            self.attempt(acct, day, self.pick(tuple(allowed)))

    def attempt(self, acct: _Account, day: int, channel: str) -> None:
        w = acct.willing
        started = self.at(acct, day)
        answered_by = None
        if channel == "voice":
            reached = self.chance(_sigmoid(-0.8 + 0.9 * w))
            if reached:
                status, answered_by = "completed", "human"
            else:
                status = self.pick(
                    (("completed", 30), ("no-answer", 45), ("busy", 15), ("failed", 10))
                )
                answered_by = "machine_end_beep" if status == "completed" else None
        else:
            reached = self.chance(_sigmoid(-1.3 + 0.9 * w))
            status = "completed" if reached else self.pick((("no-answer", 92), ("failed", 8)))
        attempt = dict(
            id=self.new_id(),
            account_id=acct.row["account_id"],
            conversation_id=None,
            channel=channel,
            direction="outbound",
            provider_sid=None,
            status=status,
            answered_by=answered_by,
            disposition=None,
            started_at=started,
            ended_at=started + timedelta(seconds=self.rng.randint(5, 40)),
        )
        self.rows["contact_attempts"].append(attempt)
        if reached:
            attempt["conversation_id"], attempt["disposition"], attempt["ended_at"] = (
                self.conversation(acct, day, channel, started)
            )

    def conversation(
        self, acct: _Account, day: int, channel: str, started: datetime
    ) -> tuple[str, str, datetime]:
        rng, w = self.rng, acct.willing
        conv_id = self.new_id()
        seconds = (
            rng.randint(45, 120) + int(rng.expovariate(1 / 150))
            if channel == "voice"
            else rng.randint(60, 300) + int(rng.expovariate(1 / 400))
        )
        ended = started + timedelta(seconds=seconds)
        common = dict(account_id=acct.row["account_id"], conversation_id=conv_id)
        verified = False
        escalate: str | None = None
        dpd = acct.dpd0 + day
        if self.chance(0.06):
            disposition = "wrong_number"
            acct.wrong_number = True
            self.rows["wrong_number_flags"].append(
                dict(id=self.new_id(), phone=acct.row["phone"], created_at=ended, **common)
            )
        elif not self.chance(_sigmoid(1.0 + 0.6 * w)):
            # Not verified: failed the questions, or the customer could not talk now.
            disposition = self.pick((("verification_failed", 50), ("callback", 50)))
            if disposition == "callback":
                self.callback(acct, day, ended, common)
            elif self.chance(0.5):
                escalate = "verification_failed"
        else:
            verified = True
            acct.boost_until = day + 7
            disposition, escalate = self.verified_outcome(acct, day, channel, ended, common, dpd)
        self.rows["conversations"].append(
            dict(
                id=conv_id,
                account_id=acct.row["account_id"],
                channel=channel,
                started_at=started,
                ended_at=ended,
                verified=verified,
                disposition=disposition,
            )
        )
        # The customer's side of it: a contact is a person who answered or replied (the KPIs
        # count a conversation with a customer's turn, bot/analytics/kpi.py).
        self.rows["conversation_turns"].append(
            dict(conversation_id=conv_id, speaker="customer", text="(synthetic)", at=started)
        )
        if escalate:
            self.escalation(acct, day, escalate, ended, common)
        return conv_id, disposition, ended

    def verified_outcome(
        self, acct: _Account, day: int, channel: str, ended: datetime, common: dict, dpd: int
    ) -> tuple[str, str | None]:
        w = acct.willing
        product = acct.row["product"]
        u = self.rng.random()
        if u < 0.02:
            target = channel if self.chance(0.6) else "all"
            acct.opted_out.add(target)
            self.rows["opt_outs"].append(
                dict(
                    id=self.new_id(),
                    channel=target,
                    source_text="please stop contacting me",
                    created_at=ended,
                    revoked_at=None,
                    **common,
                )
            )
            return "opted_out", None
        if u < 0.05:
            acct.paused = "dispute"
            self.rows["disputes"].append(
                dict(
                    id=self.new_id(),
                    text="I don't recognise this debt",
                    status="open",
                    created_at=ended,
                    **common,
                )
            )
            return "dispute", "dispute"
        if u < 0.065:
            acct.paused = "already_paid"
            self.rows["already_paid_claims"].append(
                dict(id=self.new_id(), details="paid last week", created_at=ended, **common)
            )
            return "already_paid", "already_paid"
        if u < 0.105:
            self.rows["hardship_notes"].append(
                dict(id=self.new_id(), text="lost my job", created_at=ended, **common)
            )
            return "hardship", "hardship"
        if u < 0.175:
            if product == "business_loan":
                return "extension_request", "extension_request"
            return "instalment_request", self.instalment(acct, day, ended, common)
        if self.chance(_sigmoid(-0.4 + 1.0 * w - 0.012 * dpd)):
            self.promise(acct, day, channel, ended, common)
            return "promise_to_pay", None
        if self.chance(_sigmoid(-1.8 - 0.9 * w)):
            return "refusal", ("refusal" if self.chance(0.4) else None)
        v = self.rng.random()
        if v < 0.12:
            self.callback(acct, day, ended, common)
            return "callback", None
        if v < 0.15:
            return "escalated", "customer_request"
        return "no_commitment", None

    def promise(
        self, acct: _Account, day: int, channel: str, ended: datetime, common: dict
    ) -> None:
        rng, w = self.rng, acct.willing
        kind = self.pick((("minimum", 65), ("full", 15), ("part", 20)))
        if kind == "full" or acct.minimum == ZERO:
            amount = acct.balance
        elif kind == "minimum":
            amount = acct.minimum
        else:
            amount = max(_money(1), _money(float(acct.minimum) * 0.5))
        due_in = rng.randint(1, 10)
        acct.promise_until = day + due_in + GRACE_DAYS
        usd = float(acct.balance) / (1 if acct.row["currency"] == "USD" else CNY_PER_USD)
        keep = _sigmoid(
            0.6 + 1.3 * w - 0.015 * (acct.dpd0 + day) - 0.3 * (math.log(max(usd, 1)) - 8)
        )
        if self.chance(keep):
            acct.scheduled[day + rng.randint(0, due_in + (1 if self.chance(0.1) else 0))].append(
                amount
            )
        elif self.chance(0.25):
            acct.scheduled[day + rng.randint(0, due_in)].append(_money(float(amount) / 2))
        self.rows["promises"].append(
            dict(
                id=self.new_id(),
                amount=amount,
                currency=acct.row["currency"],
                due_date=self.start + timedelta(days=day + due_in),
                channel=channel,
                status="pending",
                created_at=ended,
                **common,
            )
        )

    def instalment(self, acct: _Account, day: int, ended: datetime, common: dict) -> str | None:
        months = self.rng.choice((3, 6, 12))
        fee = _money(float(acct.balance) * 0.006)
        approved = months <= 6 and acct.balance <= Decimal("20000")
        self.rows["instalment_requests"].append(
            dict(
                id=self.new_id(),
                months=months,
                monthly_amount=_money(float(acct.balance) / months) + fee,
                fee=fee,
                currency=acct.row["currency"],
                first_due_date=self.start + timedelta(days=day + 30),
                status="approved" if approved else "pending_approval",
                created_at=ended,
                **common,
            )
        )
        return None if approved else "instalment_approval"

    def callback(self, acct: _Account, day: int, ended: datetime, common: dict) -> None:
        when = self.at(acct, day + self.rng.randint(1, 3), 10, 18)
        self.rows["callback_requests"].append(
            dict(
                id=self.new_id(),
                callback_at=when,
                requested_text="call me back later",
                status="done" if when.date() <= self.last_day else "scheduled",
                created_at=ended,
                **common,
            )
        )

    def escalation(
        self, acct: _Account, day: int, reason: str, ended: datetime, common: dict
    ) -> None:
        resolved = self.start + timedelta(days=day + 2) <= self.last_day and self.chance(0.85)
        claimed = ended + timedelta(minutes=self.rng.randint(2, 240))
        self.rows["escalations"].append(
            dict(
                id=self.new_id(),
                reason=reason,
                priority=PRIORITY[reason],
                summary=f"{reason.replace('_', ' ')} ({acct.row['product']})",
                status="resolved" if resolved else "open",
                stream_id=None,
                claimed_by="agent.synthetic" if resolved else None,
                claimed_at=claimed if resolved else None,
                resolved_at=claimed + timedelta(minutes=self.rng.randint(5, 60))
                if resolved
                else None,
                disposition="handled" if resolved else None,
                note=None,
                created_at=ended,
                **common,
            )
        )

    # ---- after the last day -----------------------------------------------------------------
    def follow_up(self, acct: _Account, promise: dict, due: date) -> None:
        """The reminder a broken promise earns, as bot.analytics.payments schedules it."""
        if "all" in acct.opted_out or acct.paused in ("dispute", "already_paid"):
            return
        if acct.row["consent_sms"] and "sms" not in acct.opted_out:
            channel = "sms"
        elif acct.row["consent_voice"] and "voice" not in acct.opted_out:
            channel = "voice"
        else:
            return
        if acct.paused == "paid_in_full":
            status = "cancelled"
        else:
            status = "done" if due < self.last_day else "scheduled"
        self.rows["follow_ups"].append(
            dict(
                id=self.new_id(),
                account_id=promise["account_id"],
                promise_id=promise["id"],
                due_at=datetime.combine(due, time(10), acct.tz).astimezone(timezone.utc),
                channel=channel,
                reason="broken_promise",
                status=status,
                created_at=datetime.combine(due, time(), timezone.utc),
            )
        )
