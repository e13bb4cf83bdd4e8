"""The amount a Chinese-speaking customer offers: "两千", "一万二", "1.2万", "五百块", "¥800",
"全部", "最低还款", "一半", "剩下的", told apart from the dates, times and counts around it
("15号" is a day, not ¥15; "6期" is a plan length).

The same rules as the English reader: a number wins over a keyword; among numbers one with a
money sign or word wins, then one in Arabic digits, then the first; a Chinese numeral below ten
counts only with a money word ("五块"), since 一 and 两 are in too many words that are not
amounts. An amount above the balance is returned as said: the dialogue reads it back.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from bot.conversation.understanding.amounts import AmountReading
from bot.conversation.understanding.words import CENT
from bot.conversation.understanding.zh.numbers import DIGIT_CHARS, NUMBER, normalize, value

_N = rf"(?:{NUMBER}|[几两半])"
_SMALL_HOUR = r"(?:[01]?\d|2[0-4]|二十[一二三四]?|十[一二三四五六七八九]?|[一二两三四五六七八九])"
_NUMERAL_CHAR = rf"[\d{DIGIT_CHARS}十百千万亿]"
# Numbers that belong to dates, times, durations, counts and percentages, blanked out first.
NOT_AMOUNTS = re.compile(
    "|".join(
        [
            rf"{_N}\s*月\s*(?:{_N}\s*[日号]?)?",  # 12月15日, 3月
            rf"{_N}\s*[日号]",  # 15号
            r"\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}",  # 2026-12-15
            r"\d{1,2}\s*/\s*\d{1,2}",  # 12/15
            r"(?:周|星期|礼拜)[一二三四五六日天七1-7]",
            rf"(?<!{_NUMERAL_CHAR}){_SMALL_HOUR}\s*(?:点|时)(?![{DIGIT_CHARS}]+[万亿])"
            rf"(?:半|钟|一刻|三刻|{_N}分?)?",  # 三点半, not 三点五万
            r"\d{1,2}:\d{2}",
            rf"第\s*{_N}",
            rf"{_N}\s*(?:个\s*)?(?:半\s*)?(?:天|周|星期|礼拜|月|年|小时|钟头|分钟|期|次|岁|人|口)",
            rf"{_N}\s*个",  # a count of something: 两个孩子
            rf"{_N}\s*%|百分之\s*{_N}",
            r"一\s*(?:下|起|共|定|直|样|些|般|点点|会)",  # 一下, 一起: not a number at all
            r"一\s*块\s*(?=儿|还|去|付|交|给)",  # 一块还: together, not one yuan
        ]
    )
)
# "两千多", "几百", "两三千", "千把块": the customer does not name one amount.
_ROUGH = re.compile(
    r"几\s*[十百千万]|(?:[十百千万]|\d)\s*多(?![少久])|[十百千万]\s*把|十\s*来"
    r"|(?:一两|两三|二三|三四|四五|五六|六七|七八|八九)\s*(?:[十百千万块元]|$)"
)
_SIGN = r"(?P<sign>[$¥]|rmb|cny|usd|人民币|美元)?\s*"
_UNIT = r"(?P<unit>块钱?|元钱?|圆|人民币|rmb|cny|usd|美元|美金|刀|¥)?"
# 五块五 / 五块五毛 is 5.50; 三毛 alone is 0.30.
_AMOUNT = re.compile(
    rf"{_SIGN}(?P<num>{NUMBER})(?P<k>k(?![a-z]))?\s*{_UNIT}"
    rf"(?:\s*(?P<jiao>[{DIGIT_CHARS}\d])(?![\d{DIGIT_CHARS}十百千万])\s*[毛角]?)?"
)
_JIAO_ONLY = re.compile(rf"(?P<jiao>[{DIGIT_CHARS}\d])\s*[毛角](?:钱)?")
_HALF = re.compile(r"一半|半数|二分之一|50\s*%")
_MINIMUM = re.compile(r"最低|最少|最小|起码")
_FULL = re.compile(
    r"全部|全额|全款|所有|全都|全还|都还|一次性|还清|结清|付清|还完|清掉|总额|余额|欠款|尾款"
    r"|剩下|剩余|余下|其余|其他的|一口气"
)


def _numbers_only(text: str) -> str:
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", normalize(text))  # 1,240.50
    return NOT_AMOUNTS.sub(" ", s)


def read_amount(text: str, *, balance: Decimal, minimum_due: Decimal) -> AmountReading | None:
    """The amount the Chinese text offers (an AmountReading, as the English reader gives), or
    None. "一半" is half the balance rounded half-up to cents, "最低"/"最低还款" the minimum due,
    "全部"/"全额"/"还清"/"剩下的" the balance. A rough amount ("两千多", "几百") is uncertain."""
    s = _numbers_only(text)
    if _ROUGH.search(s):
        return AmountReading(None, uncertain=True)
    candidates = []
    for m in _AMOUNT.finditer(s):
        amount = value(m["num"])
        if amount is None:
            if re.search(r"\d", m["num"]):
                return AmountReading(None, uncertain=True)
            continue
        money = bool(m["sign"] or m["unit"] or m["k"])
        amount *= 1000 if m["k"] else 1
        if m["unit"] in ("块", "元", "块钱", "元钱", "圆") and m["jiao"]:
            amount += (value(m["jiao"]) or 0) / 10
        has_digits = any(c.isdigit() for c in m["num"])
        if money or has_digits or amount >= 10:
            candidates.append((not money, not has_digits, m.start(), amount))
    if candidates:
        return AmountReading(min(candidates)[3].quantize(CENT, ROUND_HALF_UP))
    jiao = _JIAO_ONLY.search(s)
    if jiao and value(jiao["jiao"]) is not None:
        return AmountReading((value(jiao["jiao"]) / 10).quantize(CENT))
    if _HALF.search(s):
        return AmountReading((balance / 2).quantize(CENT, ROUND_HALF_UP))
    if _MINIMUM.search(s):
        return AmountReading(minimum_due)
    if _FULL.search(s):
        return AmountReading(balance)
    return None
