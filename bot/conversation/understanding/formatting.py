"""Money and dates as a customer reads them in the bot's messages."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal

from bot.conversation.understanding.words import CENT, MONTHS, WEEKDAYS, chinese

_MONEY_LOCALES = {"USD": "en_US", "CNY": "zh_CN", "EUR": "en_IE", "GBP": "en_GB"}


def format_money(amount: Decimal, currency: str, *, lang: str = "en") -> str:
    """Money as a customer expects to read it: "$1,234.50", "¥1,234.50", "€…", "£…".

    Any other currency code is written after the number: "1,234.50 JPY".

    Rounds half-up to cents first (babel alone would round half-even). The locale per currency
    is chosen so the bare symbol is used: CNY in en_US would print "CN¥". ``lang`` "zh…"
    writes CNY as Chinese bank staff do, "1,240.50元"; other currencies as in English.
    """
    if chinese(lang):
        from bot.conversation.understanding.zh.formatting import format_money as chinese_money

        return chinese_money(amount, currency)
    code = currency.upper()
    cents = amount.quantize(CENT, ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00
    locale = _MONEY_LOCALES.get(code)
    if locale:
        return format_currency(cents, code, locale=locale)
    return f"{format_decimal(cents, format='#,##0.00', locale='en_US')} {code}"


def format_date(d: date, *, lang: str = "en") -> str:
    """A due date as a person says it, "Friday, December 5", whatever the process locale.
    ``lang`` "zh…": "12月5日（星期五）"."""
    if chinese(lang):
        from bot.conversation.understanding.zh.formatting import format_date as chinese_date

        return chinese_date(d)
    return f"{WEEKDAYS[d.weekday()].title()}, {MONTHS[d.month - 1].title()} {d.day}"
