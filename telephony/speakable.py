"""Turn display text into text a TTS engine reads well (English rules, tuned for espeak-ng).

Display text is written for the eye: "$1,240.50", "2026-12-04", a URL, "+1 800 555 0199", a code
like "6250A4F5". Read literally, an engine says "dollar sign", reads the date as a subtraction,
the phone number as hundreds and the code as one big number. Each rule below rewrites one such
pattern and leaves everything else (including non-Latin text) untouched.
"""

from __future__ import annotations

import re
from datetime import date

# symbol -> (one, many, one hundredth, many hundredths)
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yuan", "yuan", "cent", "cents"),
}

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_AMOUNT = re.compile(r"([$€£¥])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?![\d,]*\d)")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# Groups of digits split by spaces, dots, dashes or brackets, optionally after a "+".
_PHONE = re.compile(
    r"(?<![\w.,])(?!\d{4}-\d\d-\d\d\b)\+?\(?\d{1,4}\)?(?:[ .\-]\(?\d{2,4}\)?){2,5}(?![\w-])"
)
# English whatever the process locale ("%B" would follow LC_TIME).
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
# Upper-case letters and digits mixed, 4 or more: reference codes, not words or numbers.
_CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,}\b")


def speakable(text: str) -> str:
    """Rewrite amounts, ISO dates, URLs, phone numbers and reference codes for speech."""
    text = _URL.sub(_say_url, text)
    text = _AMOUNT.sub(_say_amount, text)
    text = _ISO_DATE.sub(_say_date, text)
    text = _PHONE.sub(_say_phone, text)
    return _CODE.sub(_say_code, text)


def _say_amount(match: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCIES[match.group(1)]
    units = match.group(2)
    hundredths = int((match.group(3) or "0").ljust(2, "0"))
    whole = int(units.replace(",", ""))
    parts = []
    if whole or not hundredths:
        parts.append(f"{units} {one if whole == 1 else many}")
    if hundredths:
        parts.append(f"{hundredths} {cent if hundredths == 1 else cents}")
    return " and ".join(parts)


def _say_date(match: re.Match[str]) -> str:
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:  # not a real date ("2026-13-45"): leave it alone
        return match.group(0)
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _say_url(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = ""
    while url and url[-1] in ".,;:!?)":  # sentence punctuation after the URL is not part of it
        trailing = url[-1] + trailing
        url = url[:-1]
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    url = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")  # a query is not speakable
    spoken = " slash ".join(" dot ".join(p for p in seg.split(".")) for seg in url.split("/"))
    return spoken + trailing


def _say_phone(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match.group(0))
    if not 7 <= sum(map(len, groups)) <= 15:  # E.164 allows at most 15 digits
        return match.group(0)
    # Digits one by one ("eight zero zero", not "eight hundred"), a pause between groups.
    return ", ".join(" ".join(group) for group in groups)


def _say_code(match: re.Match[str]) -> str:
    # A comma after each character: espeak-ng reads a lone "A" inside a phrase as the article.
    return ", ".join(match.group(0))
