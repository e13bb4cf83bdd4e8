"""Each ledger query is written once, in bot/ledger/repo/: a contact attempt by its provider SID
and an account by its phone number were each written in several modules before."""

import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
REPO = BOT / "ledger" / "repo"
# The query shapes: filtering contact attempts by SID, and accounts by phone number.
BY_SID = re.compile(r"filter_by\(\s*provider_sid\s*=|ContactAttempt\.provider_sid\s*==")
BY_PHONE = re.compile(r"query\(\s*Account[^)]*\)\s*\.filter\(\s*Account\.phone\s*==")
ANY_PHONE_FILTER = re.compile(r"Account\.phone\s*==")


def sources(inside_repo: bool) -> dict[Path, str]:
    return {
        path: path.read_text()
        for path in BOT.rglob("*.py")
        if "migrations" not in path.parts and (REPO in path.parents) == inside_repo
    }


def hits(pattern: re.Pattern, files: dict[Path, str]) -> list[str]:
    return [
        f"{path.relative_to(BOT.parent)}"
        for path, text in files.items()
        for _ in pattern.finditer(text)
    ]


def test_the_attempt_by_sid_is_queried_once_in_the_repo():
    assert hits(BY_SID, sources(inside_repo=False)) == []
    assert hits(BY_SID, sources(inside_repo=True)) == ["bot/ledger/repo/attempts.py"]


def test_the_account_by_phone_is_queried_once_in_the_repo():
    assert hits(ANY_PHONE_FILTER, sources(inside_repo=False)) == []
    assert hits(BY_PHONE, sources(inside_repo=True)) == ["bot/ledger/repo/accounts.py"]


def test_the_patterns_match_the_old_spellings():
    # What cli.py, gateway/api.py, outreach.py, voice.py and sms.py wrote before the repo.
    old_sid = "session.query(ContactAttempt).filter_by(provider_sid=call_sid).first()"
    old_phone = "(\n    session.query(Account)\n    .filter(Account.phone == phone)\n    .first()"
    assert BY_SID.search(old_sid)
    assert BY_PHONE.search(old_phone)
