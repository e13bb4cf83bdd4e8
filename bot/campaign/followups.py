"""Follow-ups the ledger owes (a broken promise's reminder, ...) become campaign contacts.

`schedule_follow_ups` reads the `follow_ups` rows still `scheduled` and due within the horizon,
puts each on the Redis schedule at its due time under the key `{account}|{channel}|{day}|fu-<id>`
(so doing it twice schedules it once), and marks the rows `done` in the same transaction. If the
commit fails after Redis took them, the next run finds the rows still scheduled and the keys
already seen: nothing is scheduled twice. The contact itself is made by a worker like any other,
gate check included.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.analytics.segments import dpd_bucket
from bot.campaign.contacts import DueContact, dispatch_key
from bot.campaign.dispatch import CampaignQueue
from bot.compliance.rules import CHANNELS
from bot.ledger.repo import follow_ups


def due_follow_ups(
    session: Session, *, now: datetime, horizon: timedelta = timedelta(hours=24)
) -> list[tuple[str, DueContact]]:
    """(follow-up id, contact) for the scheduled follow-ups due before now + horizon."""
    rows = follow_ups.due_before(session, now + horizon)
    found = []
    for fid, account_id, channel, due_at, product, dpd, zone, jurisdiction in rows:
        if channel not in CHANNELS:
            channel = "sms"
        due_at = due_at if due_at.tzinfo else due_at.replace(tzinfo=timezone.utc)
        day = due_at.astimezone(timezone.utc).strftime("%Y%m%d")
        found.append(
            (
                fid,
                DueContact(
                    key=dispatch_key(account_id, channel, day, f"fu-{fid}"),
                    account_id=account_id,
                    channel=channel,
                    due=max(due_at, now).timestamp(),
                    day=day,
                    segment=f"{product}:{dpd_bucket(dpd)}:unscored",
                    zone=zone,
                    jurisdiction=jurisdiction,
                    origin="follow_up",
                ),
            )
        )
    return found


def schedule_follow_ups(
    session: Session,
    queue: CampaignQueue,
    *,
    now: datetime,
    horizon: timedelta = timedelta(hours=24),
) -> int:
    """Schedule the due follow-ups and mark them done; returns how many rows were taken."""
    found = due_follow_ups(session, now=now, horizon=horizon)
    if not found:
        return 0
    queue.schedule(contact for _fid, contact in found)
    ids = [fid for fid, _contact in found]
    follow_ups.mark_done(session, ids)
    return len(ids)
