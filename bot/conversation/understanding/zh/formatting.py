"""Money and dates as a Chinese customer reads them in the bot's messages: "1,240.50元",
"12月15日（星期五）"."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

from bot.conversation.understanding.words import CENT

_WEEKDAYS = "一二三四五六日"


def format_money(amount: Decimal, currency: str) -> str:
    """CNY as the bank's own statements and SMS write it: the number with thousands separators
    and two decimals, then 元 ("1,240.50元"). Other currencies as the English formatter writes
    them ("$1,240.50"), so a dollar amount never reads as yuan."""
    if currency.upper() not in ("CNY", "RMB"):
        from bot.conversation.understanding.formatting import format_money as english

        return english(amount, currency)
    cents = amount.quantize(CENT, ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00
    return f"{format_decimal(cents, format='#,##0.00', locale='en_US')}元"


def format_date(d: date) -> str:
    """ "12月15日（星期五）", with full-width brackets, as Chinese text writes them."""
    return f"{d.month}月{d.day}日（星期{_WEEKDAYS[d.weekday()]}）"
