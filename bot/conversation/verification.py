"""Right-party verification: the customer proves who they are before any disclosure."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

MAX_TRIES = 3


def secret_hash(account_id: str, value: str) -> str:
    # Salted with the account so equal birthdays do not give equal hashes across accounts.
    return hashlib.sha256(f"{account_id}:{value}".encode()).hexdigest()


def matches(account_id: str, stored_hash: str, value: str) -> bool:
    return hmac.compare_digest(secret_hash(account_id, value), stored_hash)


def check_answer(
    *, account_id: str, last4_hash: str, dob_hash: str, digits: str | None, dob: date | None
) -> bool:
    """True when the given last four digits or date of birth match the account."""
    if digits and matches(account_id, last4_hash, digits):
        return True
    return bool(dob and matches(account_id, dob_hash, dob.isoformat()))
