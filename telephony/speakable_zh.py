"""Mandarin display text -> what espeak-ng can say: Chinese numerals, then tone-numbered pinyin.

Debian's espeak-ng 1.51 `cmn` voice reads most Chinese characters as English letter names, so
Mandarin is spoken by its `cmn-latn-pinyin` voice from pinyin with tone numbers ("huan2 kuan3"),
which it says in Mandarin (tone sandhi of two third tones included). Two steps:

1. `spoken_zh`: digits become the words a bank's own staff would say. "¥1,240.50" and
   "1240.50元" are 一千二百四十元五角; "12月15日" 十二月十五日; a year, a card's last digits or
   a phone number digit by digit (一九八五年, 尾号六零幺二: 幺 for 1, as on the phone); "2期"
   两期; "5%" 百分之五; "10:30" 十点三十分. Numerals come from cn2an.
2. `to_pinyin`: pypinyin's tone-numbered syllables (neutral tone 5, the sandhi of 不 and 一),
   Chinese punctuation as ASCII (espeak pauses on it), acronyms spelled out ("T D").

还 is read in the bank's sense (huán, to repay) where it is about paying ("还款", "应还",
"还两千"): pypinyin's own dictionary says hái for 还款.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import cn2an
from pypinyin import Style, lazy_pinyin

_FULL_WIDTH = str.maketrans("０１２３４５６７８９％￥：．", "0123456789%¥:.")
_DIGIT_WORDS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_PHONE_DIGIT_WORDS = {**_DIGIT_WORDS, "1": "幺"}  # yāo: 一 and 七 are confused on the phone

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_CLOCK = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_PERCENT = re.compile(rf"({_NUMBER})\s?%")
# An amount: a yuan sign before it, or 元/块 (after 万/亿) behind it. 元 and 块 are spoken.
_MONEY_SIGNED = re.compile(rf"(?:¥|RMB|人民币)\s?({_NUMBER})\s?(万|亿)?\s?(元|块)?")
_MONEY_UNIT = re.compile(rf"({_NUMBER})\s?(万|亿)?\s?(元|块)")
# Digits that are a code, not a quantity: after these words they are read one by one.
_LABELLED = re.compile(
    r"(尾号|卡号|账号|号码|电话|手机号?|验证码|编号|工号|热线|客服|分机)(为|是|:|：)?\s?"
    r"(\d[\d\- ]*\d|\d)"
)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?=\s?年)")
# Five digits or more, or digit groups joined by dashes or spaces (95528, 400-820-8788).
_DIGIT_STRING = re.compile(
    r"(?<![\d.,])\d{2,4}(?:[\- ]\d{2,8})+(?![\d.])|(?<![\d.,])\d{5,}(?![\d.,])"
)
_MEASURE = "个期天周次笔张位年份项"  # not 月: 2月 is February
_PLAIN = re.compile(rf"(?<![\d.])({_NUMBER})(?![\d.])")

# 还 as huán (to repay): before what is repaid or how, or after a verb of obligation.
_HUAN = re.compile(
    r"还(?=款|钱|清|上|不上|得上|得起|不起|账|贷|多少|全款|全部|最低|一部分|[零一二两三四五六七八九十百千万几])"
    r"|(?<=[应已未待偿归先能要需该想])还"
)
_PUNCTUATION = str.maketrans(
    {"，": ",", "、": ",", "；": ";", "：": ":", "。": ".", "？": "?", "！": "!", "…": ".",
     "（": ",", "）": ",", "【": "", "】": ",", "“": "", "”": "", "‘": "", "’": "", "—": ","}
)  # fmt: skip
_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")


def speakable_zh(text: str) -> str:
    """Mandarin display text as tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice."""
    return to_pinyin(spoken_zh(text))


def spoken_zh(text: str) -> str:
    """The text with every number written as the Chinese words it is said with."""
    text = text.translate(_FULL_WIDTH)
    text = _ISO_DATE.sub(_say_iso_date, text)
    text = _CLOCK.sub(_say_clock, text)
    text = _PERCENT.sub(lambda m: "百分之" + _cardinal(m[1]), text)
    text = _MONEY_SIGNED.sub(_say_money, text)
    text = _MONEY_UNIT.sub(_say_money, text)
    text = _LABELLED.sub(lambda m: m[1] + (m[2] or "") + _digits(m[3], _PHONE_DIGIT_WORDS), text)
    text = _YEAR.sub(lambda m: _digits(m[1], _DIGIT_WORDS), text)
    text = _DIGIT_STRING.sub(lambda m: _digits(m[0], _PHONE_DIGIT_WORDS), text)
    return _PLAIN.sub(_say_plain, text)


def to_pinyin(text: str) -> str:
    """Tone-numbered pinyin of the Chinese characters; anything else is kept as it is."""
    words: list[str] = []
    start = 0
    for m in _HUAN.finditer(text):
        words += _syllables(text[start : m.start()])
        words.append("huan2")
        start = m.end()
    words += _syllables(text[start:])
    spoken = " ".join(w.strip() for w in words if w.strip())
    spoken = _ACRONYM.sub(lambda m: " ".join(m[0]), spoken.translate(_PUNCTUATION))
    spoken = re.sub(r"\s+([,.;:?!])", r"\1", spoken)  # "hao3 ," -> "hao3,"
    return re.sub(r"\s+", " ", spoken).strip()


def _syllables(text: str) -> list[str]:
    if not text:
        return []
    return lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True)


def _cardinal(number: str) -> str:
    """ "1,240" -> 一千二百四十, "1.5" -> 一点五, "2000" -> 两千 (as it is said)."""
    said = cn2an.an2cn(number.replace(",", ""), "low")
    return re.sub(r"^二(?=[千万亿])", "两", said)


def _digits(digits: str, words: dict[str, str]) -> str:
    groups = re.findall(r"\d+", digits)
    return "，".join("".join(words[d] for d in group) for group in groups)


def _say_iso_date(m: re.Match[str]) -> str:
    month, day = int(m[2]), int(m[3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m[0]
    return f"{_digits(m[1], _DIGIT_WORDS)}年{_cardinal(str(month))}月{_cardinal(str(day))}日"


def _say_clock(m: re.Match[str]) -> str:
    hour, minute = int(m[1]), int(m[2])
    said = _cardinal(str(hour)).replace("二", "两") if hour == 2 else _cardinal(str(hour))
    if not minute:
        return f"{said}点"
    return f"{said}点{'零' if minute < 10 else ''}{_cardinal(str(minute))}分"


def _say_money(m: re.Match[str]) -> str:
    number, scale, unit = m[1], m[2], m[3] or "元"
    if scale:  # "1.2万元": 一点二万元
        return _cardinal(number) + scale + unit
    try:
        amount = Decimal(number.replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return m[0]
    whole, hundredths = divmod(int(amount * 100), 100)
    jiao, fen = divmod(hundredths, 10)
    said = ""
    if whole or not hundredths:
        said = ("两" if whole == 2 else _cardinal(str(whole))) + unit
    if jiao:
        said += _cardinal(str(jiao)) + "角"
    if fen:
        said += ("零" if whole and not jiao else "") + _cardinal(str(fen)) + "分"
    return said


def _say_plain(m: re.Match[str]) -> str:
    number = m[1]
    following = m.string[m.end() : m.end() + 1]
    if number == "2" and following and following in _MEASURE:
        return "两"  # 两期, 两个月: 二 is for counting aloud
    return _cardinal(number)
