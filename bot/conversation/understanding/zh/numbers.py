"""Chinese text made regular, and the numbers in it: Arabic, Chinese and mixed ("两千五",
"一万二", "1.2万", "3千5").

cn2an reads the Chinese numerals (its "normal" mode knows the spoken shortenings: 两千五 is
2500, 一万二 is 12000). Arabic digits with a Chinese scale ("1.2万") are worked out here with
Decimal, as cn2an's "smart" mode goes through float.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from decimal import Decimal, InvalidOperation

import cn2an

# Traditional, formal (大写) and colloquial forms of the characters the readers look for.
_SAME_AS = str.maketrans(
    {
        "兩": "两", "萬": "万", "億": "亿", "號": "号", "週": "周", "個": "个", "塊": "块",
        "後": "后", "點": "点", "還": "还", "幾": "几", "禮": "礼", "〇": "零", "壹": "一",
        "贰": "二", "貳": "二", "叁": "三", "參": "三", "肆": "四", "伍": "五", "陆": "六",
        "陸": "六", "柒": "七", "捌": "八", "玖": "九", "拾": "十", "佰": "百", "仟": "千",
        "俩": "两", "仨": "三", "鐘": "钟", "餘": "余", "欸": "诶",
    }
)  # fmt: skip
_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"

DIGIT_CHARS = "零一二两三四五六七八九"
CN_NUMERAL = rf"[{DIGIT_CHARS}十百千万亿廿]+(?:点[{DIGIT_CHARS}]+)?(?:[万亿])?"
# One number as customers write it: "1.2万", "3千5", "2000", "两千五", "一万二千".
NUMBER = (
    rf"(?:\d+(?:\.\d+)?(?:[十百千万亿](?:[{DIGIT_CHARS}\d](?![\d{DIGIT_CHARS}]))?)*"
    rf"|{CN_NUMERAL})"
)
_SCALE = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def normalize(text: str) -> str:
    """Full-width forms to ASCII ("１５", "，", "￥"), traditional and formal characters to the
    simplified everyday ones, lower case, and no spaces next to Chinese characters (customers
    and speech recognisers put them anywhere: "两 千 五")."""
    s = unicodedata.normalize("NFKC", text).translate(_SAME_AS).lower()
    s = re.sub(rf"\s+(?={_CJK})|(?<={_CJK})\s+", "", s)
    return " ".join(s.split())


def value(token: str) -> Decimal | None:
    """The value of one number token (see NUMBER), or None when it is not one."""
    token = token.strip()
    if not token:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return Decimal(token)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿])(.*)", token)
    if m:
        return _arabic_with_scale(Decimal(m[1]), m[2], m[3])
    m = re.fullmatch(rf"([{DIGIT_CHARS}十百千]+点[{DIGIT_CHARS}]+)([万亿])", token)
    if m:  # "三点五万"
        head = value(m[1])
        return None if head is None else head * _SCALE[m[2]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = cn2an.cn2an(token, "normal")
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    try:
        return Decimal(str(result))
    except InvalidOperation:
        return None


def _arabic_with_scale(head: Decimal, scale: str, tail: str) -> Decimal | None:
    """ "1.2万" 12000, "3千5" 3500 (the digit after a scale is the next place down, as in
    "两千五"), "1万2千" 12000."""
    total = head * _SCALE[scale]
    if not tail:
        return total
    if len(tail) == 1:
        digit = int(tail) if tail.isdigit() else _DIGIT_VALUE.get(tail)
        return None if digit is None or scale == "十" else total + digit * _SCALE[scale] // 10
    rest = value(tail)
    return None if rest is None else total + rest


def integer(token: str) -> int | None:
    """A whole number token ("15", "十五", "二十一") as an int."""
    v = value(token)
    return int(v) if v is not None and v == int(v) else None


_DIGIT_OF = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {
    "两": "2",
    "幺": "1",
    "洞": "0",
    "o": "0",
}


def digit_string(token: str) -> str | None:
    """Digits said one by one ("一九八五", "幺九三四", "洞") as "1985"; None if any is not."""
    out = [c if c.isdigit() else _DIGIT_OF.get(c) for c in token]
    return None if not out or None in out else "".join(out)
