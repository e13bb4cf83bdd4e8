"""Payment dates in Chinese: "周五"/"星期五"/"礼拜五", "下周三", "下下周", "明天"/"后天"/"大后天",
"三天后", "15号", "12月15日", "月底"/"月初"/"月中", "下个月5号". "发工资那天", "有钱的时候" name
no date: a `vague` reading, so the bot asks for one.

Weeks run Monday to Sunday, as on a Chinese calendar: "下周三" is the Wednesday of next week (said
on a Sunday, next week starts tomorrow). A bare weekday ("周五") is its next occurrence after
today, as in English. The rest follows the English reader's rules (understanding/dates.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.conversation.understanding.dates import (
    DateReading,
    _add_months,
    _clamped,
    _day_of_month,
    _end_of_month,
    _month_day,
)
from bot.conversation.understanding.words import safe_date
from bot.conversation.understanding.zh.numbers import NUMBER, integer, normalize

_WEEKDAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAY_CHARS |= {str(i + 1): i for i in range(7)}  # 周1 … 周7
_WD_CHAR = r"(?P<wd>[一二三四五六日天七1-7])"
_WEEK = r"(?:周|星期|礼拜)"
_DAY = rf"(?P<day>{NUMBER})\s*[号日]"
_COUNT = rf"(?P<n>{NUMBER}|[两几半])"
_UNIT = r"(?P<unit>天|日|周|星期|礼拜|个\s*(?:星期|礼拜|月)|个半月|月)"
_AFTER = r"(?:之后|以后|后)"


def _next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _weekday(m: re.Match, today: date) -> date:
    """ "周五": the next Friday after today; "这周五"/"本周五" too (never a past day)."""
    weekday = _WEEKDAY_CHARS[m["wd"]]
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _next_week(m: re.Match, today: date) -> date:
    """ "下周三": that day of next week; "下下周三" of the week after; "下周" alone is a week
    from today, as "next week" in English ("下下周" two)."""
    weeks = len(m["next"])
    if m["wd"]:
        return _next_monday(today) + timedelta(7 * (weeks - 1) + _WEEKDAY_CHARS[m["wd"]])
    if m.group().endswith("末"):
        return _next_monday(today) + timedelta(7 * (weeks - 1) + 5)
    return today + timedelta(7 * weeks)


def _within_the_week(m: re.Match, today: date) -> date:
    """ "这周内": by this week's Friday, as "end of the week" in English; said at the weekend,
    by this week's Sunday (the Chinese week ends on Sunday)."""
    return today + timedelta(days=(4 if today.weekday() <= 4 else 6) - today.weekday())


def _weekend(m: re.Match, today: date) -> date:
    """ "周末": the coming Saturday (today at the weekend), as in English."""
    if today.weekday() >= 5:
        return today
    return today + timedelta(days=5 - today.weekday())


def _in(m: re.Match, today: date) -> date | None:
    """ "三天后", "过两周", "一个月以后", "半个月后" (15 days)."""
    unit = re.sub(r"\s", "", m["unit"])
    if m["n"] == "半":
        return today + timedelta(15) if "月" in unit else None
    count = 2 if m["n"] == "两" else integer(m["n"]) if m["n"] != "几" else None
    if count is None:
        return None
    if unit in ("天", "日"):
        return today + timedelta(count)
    if unit == "个半月":
        return _clamped(*_add_months(today, count), today.day) + timedelta(15)
    if "月" in unit:
        return _clamped(*_add_months(today, count), today.day)
    return today + timedelta(7 * count)


def _day(m: re.Match, today: date) -> date | None:
    day = integer(m["day"])
    return None if day is None else _day_of_month({"day": str(day)}, today)


def _next_month_day(m: re.Match, today: date) -> date | None:
    day = integer(m["day"])
    return _clamped(*_add_months(today, 1), day) if day and 1 <= day <= 31 else None


def _this_month_day(m: re.Match, today: date) -> date | None:
    day = integer(m["day"])
    return safe_date(today.year, today.month, day) if day else None


def _month_and_day(m: re.Match, today: date) -> date | None:
    month, day = integer(m["month"]), integer(m["day"])
    if not month or not day or not 1 <= month <= 12:
        return None
    year = m.groupdict().get("year")
    return _month_day(month, day, str(integer(year)) if year else None, today)


def _next_month(m: re.Match, today: date) -> date | None:
    """ "下个月5号": that day next month; "下个月" alone a month from today, as "next month"."""
    if m["day"]:
        return _next_month_day(m, today)
    return _clamped(*_add_months(today, 1), today.day)


_PART_OF_MONTH = {"初": 1, "上旬": 1, "中": 15, "中旬": 15, "底": 31, "末": 31, "下旬": 31}


def _part_of_named_month(m: re.Match, today: date) -> date | None:
    """ "1月中旬" the 15th, "12月底" the last day, "3月初" the 1st: the next such day."""
    month = integer(m["month"])
    if not month or not 1 <= month <= 12:
        return None
    for year in (today.year, today.year + 1):
        when = _clamped(year, month, _PART_OF_MONTH[m["part"]])
        if when >= today:
            return when
    return None


DATE_RULES = [
    (re.compile(p), resolve)
    for p, resolve in [
        (r"大后天", lambda m, t: t + timedelta(3)),
        (r"后天", lambda m, t: t + timedelta(2)),
        (r"明天|明日|明儿|明早|明晚", lambda m, t: t + timedelta(1)),
        (r"今天|今日|今儿|今晚|今早|马上|现在|立刻|立即|当天|等会|待会|一会儿", lambda m, t: t),
        (r"前天", lambda m, t: t - timedelta(2)),
        (r"昨天|昨日|昨晚", lambda m, t: t - timedelta(1)),
        (rf"{_COUNT}\s*{_UNIT}\s*{_AFTER}", _in),
        (rf"(?:再\s*)?过\s*{_COUNT}\s*{_UNIT}", _in),
        (rf"(?:等|给|宽限|缓)\s*我?\s*(?:再)?\s*{_COUNT}\s*{_UNIT}", _in),
        (rf"{_COUNT}\s*{_UNIT}\s*(?:内|之内|以内)", _in),
        (rf"(?P<next>下{{1,2}})\s*(?:个\s*)?{_WEEK}\s*{_WD_CHAR}?末?", _next_week),
        (rf"(?:这|本|这个)?\s*{_WEEK}{_WD_CHAR}", _weekday),
        (
            r"(?:这|本|这个)\s*(?:周|星期|礼拜)\s*(?:之?内|以内)|周末(?:之?前|以前)",
            _within_the_week,
        ),
        (r"(?:这|本|这个)?\s*周末", _weekend),
        (r"(?:今年)?\s*年\s*(?:底|末)", lambda m, t: date(t.year, 12, 31)),
        (r"下\s*个?\s*月\s*(?:初|头)", lambda m, t: date(*_add_months(t, 1), 1)),
        (r"下\s*个?\s*月\s*中", lambda m, t: date(*_add_months(t, 1), 15)),
        (r"下\s*个?\s*月\s*(?:底|末)", lambda m, t: _clamped(*_add_months(t, 1), 31)),
        (rf"下\s*个?\s*月\s*(?:{_DAY})?", _next_month),
        (rf"(?:这|本|这个)\s*个?\s*月\s*{_DAY}", _this_month_day),
        (r"(?:这|本|这个)?\s*个?\s*月\s*(?:底|末)", _end_of_month),
        (r"(?:这|本|这个)?\s*个?\s*月\s*中", lambda m, t: _day_of_month({"day": "15"}, t)),
        (r"月\s*(?:初|头)", lambda m, t: date(*_add_months(t, 1), 1)),
        (
            rf"(?P<month>{NUMBER})\s*月\s*份?\s*(?P<part>上旬|中旬|下旬|初|中|底|末)",
            _part_of_named_month,
        ),
        (
            rf"(?:(?P<year>\d{{4}})\s*年\s*)?(?P<month>{NUMBER})\s*月\s*(?P<day>{NUMBER})\s*[日号]?",
            _month_and_day,
        ),
        (
            r"(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})",
            lambda m, t: safe_date(int(m["year"]), int(m["month"]), int(m["day"])),
        ),
        (r"(?<![\d/])(?P<month>\d{1,2})\s*/\s*(?P<day>\d{1,2})(?![\d/])", _month_and_day),
        (_DAY, _day),
    ]
]


# A time but no date: "发工资那天", "有钱的时候", "过几天", "过段时间", "到时候".
_VAGUE = re.compile(
    r"发\s*(?:工资|薪水|薪)|工资\s*(?:到|下来|发)|开\s*工资|有\s*钱|手头\s*(?:宽裕|松)"
    r"|过\s*(?:几|些|一段|段)\s*(?:天|时间|日子)|过阵子|到时候|回头|以后再说|再说吧|等等看"
    r"|尽快|尽量早|等\s*(?:钱|回款|结款|款)|这\s*(?:两|几)\s*天|近期|最近|改天|晚些|晚点"
    r"|春节|过年|年后"
)
# "今天不行，周五吧": a day the customer rules out is not the date they name.
_RULED_OUT = re.compile(
    rf"(?:不是|除了)\s*(?:今天|明天|后天|(?:这|本|下)?{_WEEK}[一二三四五六日天七])"
    rf"|(?:今天|明天|后天|(?:这|本|下)?{_WEEK}[一二三四五六日天七])\s*"
    r"(?:不行|不可以|不方便|还不了|没钱|不能|没办法|来不及|不太行)"
)
# "我先还两千": paying first, before the rest, is paying now.
_FIRST = re.compile(r"先\s*(?:还|付|转|交|打|给)")


def read_date(text: str, today: date) -> DateReading | None:
    """The first date the Chinese text names (from today on; else the past one it names), a
    vague reading when it names a time without a date, or None."""
    s = normalize(text)
    found: list[tuple[tuple[int, int], int, date]] = []
    for pattern, resolve in DATE_RULES:
        for m in pattern.finditer(s):
            when = resolve(m, today)
            if when is not None:
                found.append(((m.start(), m.start() - m.end()), m.end(), when))
    if not found:
        return DateReading(None, vague=True) if _VAGUE.search(s) else None
    (start, _), end, first = min(found)
    if first >= today:
        return DateReading(first)
    ahead = [f for f in found if f[2] >= today and not (f[0][0] < end and f[1] > start)]
    return DateReading(min(ahead)[2]) if ahead else DateReading(None, past=first)


def read_pay_date(text: str, *, today: date) -> DateReading | None:
    """The payment date the customer names (see `read_date`); a day they rule out is skipped,
    and "先还…" with no date is today."""
    s = _RULED_OUT.sub(" ", normalize(text))
    reading = read_date(s, today)
    if reading is None and _FIRST.search(s):
        return DateReading(today)
    return reading
