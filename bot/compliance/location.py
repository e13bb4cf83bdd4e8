"""Where the consumer may be: the zones a contact's timing is checked in, and the US state whose
overlay applies, both read from the phone number as well as from the account.

Reg F §1006.6(b)(1)(i) forbids a contact at a time the collector knows, or should know, is
inconvenient at the consumer's location; where the location is ambiguous (the number's area code
says one zone, the account another), the CFPB's commentary (comment 6(b)(1)(i)-4) makes the
collector compliant only for a time convenient in every plausible location. So a contact is
allowed only when the window is open in every zone `plausible_zones` gives.

The accounts carry no US state column: the state is derived from the area code only
(`state_of`); an account-level state would be a ledger column (a migration) and would be passed
as `state=` here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

AREA_CODES_FILE = Path(__file__).with_name("area_codes.yml")


@lru_cache(maxsize=1)
def _table() -> dict:
    raw = yaml.safe_load(AREA_CODES_FILE.read_text(encoding="utf-8"))
    zones = {str(code): zone for zone, codes in raw["us_zones"].items() for code in codes}
    states = {str(code): state for state, codes in raw["us_states"].items() for code in codes}
    return {"zones": zones, "states": states, "countries": raw["countries"]}


def _area_code(phone: str) -> str | None:
    """The NANP area code of a +1 number, None for any other."""
    digits = phone.strip()
    if digits.startswith("+1") and len(digits) >= 5 and digits[2:5].isdigit():
        return digits[2:5]
    return None


def phone_zone(phone: str | None) -> str | None:
    """The zone the number's area code (or its country, for a single-zone country) is in;
    None when the table does not know it (the account's zone then stands alone)."""
    if not phone:
        return None
    code = _area_code(phone)
    if code is not None:
        return _table()["zones"].get(code)
    for prefix, zone in _table()["countries"].items():
        if phone.startswith(prefix):
            return zone
    return None


def plausible_zones(account_zone: str, phone: str | None) -> tuple[str, ...]:
    """The account's zone first, then the number's when it differs (Reg F §1006.6(b)(1)(i),
    comment 6(b)(1)(i)-4: an ambiguous location must suit every plausible zone)."""
    other = phone_zone(phone)
    if other is None or other == account_zone:
        return (account_zone,)
    return (account_zone, other)


def state_of(phone: str | None, state: str | None = None) -> str | None:
    """The US state whose overlay applies: the account's own when known, else the area code's."""
    if state:
        return state.upper()
    code = _area_code(phone or "")
    return None if code is None else _table()["states"].get(code)
