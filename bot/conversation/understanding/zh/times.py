"""When a Chinese-speaking customer wants a call back: "明天下午三点", "晚上八点", "半小时后",
"两个小时以后", "下午3点半", as an aware datetime in the customer's own time zone.

The same rules as the English reader (understanding/times.py): elapsed time for "…后", a day
(the Chinese pay-date rules, default today) plus a time of day, 10:00 for a day alone.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.conversation.understanding.times import _after, callback_moment
from bot.conversation.understanding.zh.dates import read_date
from bot.conversation.understanding.zh.numbers import NUMBER, integer, normalize

_COUNT = rf"(?P<n>{NUMBER}|两|半)"
_IN_DURATION = re.compile(
    rf"(?:过\s*)?{_COUNT}\s*(?:个\s*)?(?P<half>半\s*)?(?P<unit>小时|钟头|钟|分钟|分|刻钟)"
    r"\s*(?:之后|以后|后|内|之内|以内)?"
)
_PERIODS = {
    "凌晨": 6, "早上": 9, "早晨": 9, "上午": 9, "早": 9, "中午": 12, "午饭": 12, "午休": 12,
    "下午": 14, "下班": 18, "傍晚": 18, "晚上": 18, "今晚": 18, "明晚": 18, "晚": 18,
    "夜里": 20, "夜": 20,
}  # fmt: skip
# "早点"/"晚点" are sooner and later, not morning and evening.
_PERIOD = re.compile(
    "|".join(sorted((p for p in _PERIODS if len(p) > 1), key=len, reverse=True))
    + r"|[早晚夜](?![点些])"
)
_PM = ("下午", "下班", "傍晚", "晚上", "今晚", "明晚", "晚", "夜里", "夜")
_MINUTES = {"半": 30, "一刻": 15, "三刻": 45}
_CLOCKS = [
    re.compile(rf"(?P<h>{NUMBER})\s*(?:点|时)(?:钟)?\s*(?P<mi>半|一刻|三刻|{NUMBER}\s*分?)?"),
    re.compile(r"(?<!\d)(?P<h>\d{1,2}):(?P<mi>[0-5]\d)(?!\d)"),
]


def _hour24(hour: int, period: str | None) -> int | None:
    """With 下午/晚上 a small hour is pm; with none, 1-7 is pm as in English (nobody asks a
    bank to call at 6 in the morning); 中午 1 is 13:00."""
    if hour > 23:
        return None
    if period in _PM and hour < 12 or period == "中午" and hour < 6:
        return hour + 12
    if period is None and 1 <= hour <= 7:
        return hour + 12
    return hour


def _clock(s: str, period: str | None) -> tuple[time | None, str]:
    for pattern in _CLOCKS:
        m = pattern.search(s)
        said_hour = m["h"] if m else ""
        if re.fullmatch(r"[一二两三四五六七八九]{2}", said_hour):
            said_hour = said_hour[0]  # "七八点": from the earlier hour
        hour = integer(said_hour) if m else None
        hour = _hour24(hour, period) if hour is not None else None
        if hour is None:
            continue
        said = re.sub(r"\s|分", "", m["mi"] or "")
        minute = _MINUTES.get(said, integer(said) if said else 0)
        if minute is None or not 0 <= minute < 60:
            return None, s
        return time(hour, minute), s[: m.start()] + " " + s[m.end() :]
    return None, s


def parse_callback_time(text: str, *, now: datetime) -> datetime | None:
    """When the customer wants a call back, in ``now``'s time zone, or None (see the English
    `parse_callback_time` for the rules about past times and vague "今天"/"今晚")."""
    s = normalize(text)
    m = _IN_DURATION.search(s)
    if m and (m["unit"] != "分" or re.search(r"后|内", m.group())):
        count = 0.5 if m["n"] == "半" else 2 if m["n"] == "两" else integer(m["n"])
        if count is None:
            return None
        per = {"小时": 60, "钟头": 60, "钟": 60, "刻钟": 15}.get(m["unit"], 1)
        minutes = count * per + (per / 2 if m["half"] else 0)
        return _after(now, timedelta(minutes=minutes))
    period_match = _PERIOD.search(s)
    period = period_match.group() if period_match else None
    clock, s = _clock(s, period)
    exact = clock is not None
    if clock is None and period:
        clock = time(_PERIODS[period])
    today = now.date()
    reading = read_date(s, today)
    day = reading.value if reading else None
    if reading and reading.past:
        return None
    named_day = day is not None or period in ("今晚",)
    return callback_moment(day, clock, named_day=named_day, exact=exact, now=now)
