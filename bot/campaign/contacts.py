"""A contact the campaign owes someone, as it travels through the schedule and the dispatch stream.

Its dispatch key names it for good: `{account}|{channel}|{local day}|{tag}` where the tag is the
strategy step (`s1`), a follow-up (`fu-<id>`), and a retry appends `~r<n>`. The same plan made
twice on one day gives the same keys, which is what makes scheduling idempotent.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class DueContact:
    key: str
    account_id: str
    channel: str
    due: float  # epoch seconds (UTC)
    day: str  # YYYYMMDD: the day the key belongs to (its idempotency records live under it)
    segment: str = ""
    zone: str = "UTC"
    jurisdiction: str = "US"
    attempt: int = 0  # 0: the planned contact, n: its n-th retry
    offer: str | None = None  # "instalment": lead with an instalment plan
    origin: str = "plan"  # plan | retry | follow_up

    def member(self) -> str:
        """The schedule's sorted-set member and the stream entry's payload (canonical JSON)."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_member(cls, text: str | bytes) -> DueContact:
        if isinstance(text, bytes):
            text = text.decode()
        return cls(**json.loads(text))

    def retry(self, number: int, due: float) -> DueContact:
        base = self.key.split("~r", 1)[0]
        return replace(self, key=f"{base}~r{number}", due=due, attempt=number, origin="retry")


def dispatch_key(account_id: str, channel: str, day: str, tag: str) -> str:
    if "|" in account_id:
        raise ValueError(f"account id {account_id!r} contains '|'")
    return f"{account_id}|{channel}|{day}|{tag}"
