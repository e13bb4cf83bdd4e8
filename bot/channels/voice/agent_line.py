"""Whether the live agent line takes transfers now (its hours and days in its own zone)."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from bot.settings import Settings


def agent_line_open(settings: Settings, now: datetime | None = None) -> bool:
    if not settings.agent_line_number:
        return False
    start, end = (time.fromisoformat(t) for t in settings.agent_line_hours.split("-"))
    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(settings.agent_line_timezone))
    first, last = (int(d) for d in settings.agent_line_days.split("-"))
    return first <= local.weekday() <= last and start <= local.time() < end
