"""What each package may import (docs/architecture.md, "Packages and what each may import").

A new arrow between packages must be a decision: add it here and to the table in the docs, with
the reason. telephony/ knows nothing about collections, and actions/ only calls the conversation.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> the packages (or single modules, as dotted names) it may import.
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "nlu": set(),
    # Audited writes call the audit chain in the same transaction; the portfolio import hashes the
    # verification secrets with the conversation's keyed hash; segments is a leaf of plain data.
    # infra.metrics (a leaf: prometheus_client only) times each transaction.
    "ledger": {
        "settings",
        "compliance.audit",
        "conversation.verification",
        "conversation.language",  # the languages the portfolio import accepts (a leaf)
        "analytics.segments",
        "infra.metrics",
    },
    # Profiles name the catalog's texts (disclosures, voicemail) they use.
    # infra.metrics counts the gate's decisions.
    "compliance": {"ledger", "settings", "conversation.messages", "infra.metrics"},
    # Records queue escalations with the turn; service keeps per-conversation state in Redis.
    "conversation": {"ledger", "compliance", "agents.escalations", "infra", "settings"},
    # Logins reuse the console's password hashing; the supervisor view shows the KPIs.
    "agents": {"ledger", "compliance", "infra", "settings", "web.security", "analytics"},
    "analytics": {"ledger", "compliance", "settings"},
    "campaign": {"analytics", "compliance", "ledger", "infra", "settings"},
    "demo": {"analytics", "conversation", "ledger"},
    # The web chat is a router: it takes its services from the gateway's dependencies.
    "channels": {
        "conversation",
        "compliance",
        "agents",
        "ledger",
        "infra",
        "settings",
        "telephony",
        "gateway.deps",
        "web",
    },
    "web": {"agents", "gateway.deps", "settings"},
    "gateway": {
        "agents",
        "channels",
        "compliance",
        "conversation",
        "infra",
        "ledger",
        "settings",
        "telephony",
        "web",
    },
    # The supervisor migrates the ledger before start; the launcher loads the demo portfolio and
    # runs the carrier simulator for tests and benchmarks.
    "infra": {"ledger", "settings", "telephony"},
    "cli": {"*"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT / "bot").parts
    return rel[0].removesuffix(".py")


def _allowed(package: str, target: str) -> bool:
    rules = ALLOWED[package]
    if "*" in rules:
        return True
    dotted = target.removeprefix("bot.")
    return any(dotted == rule or dotted.startswith(rule + ".") for rule in rules)


def bot_violations() -> list[str]:
    bad = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if "migrations" in path.parts or path == ROOT / "bot" / "__init__.py":
            continue
        package = _package_of(path)
        for target in _imports(path):
            if target.startswith("telephony"):
                target = "bot.telephony"
            if not target.startswith("bot."):
                continue
            other = target.split(".")[1]
            if other != package and not _allowed(package, target):
                bad.append(f"{path.relative_to(ROOT)} imports {target}")
    return bad


def test_every_package_imports_only_what_it_may():
    # A parent module import (from bot.agents import escalations) names the module too.
    bad = [line for line in bot_violations() if not _names_a_package_only(line)]
    assert bad == []


def _names_a_package_only(line: str) -> bool:
    """`from bot.agents import escalations` is recorded as both bot.agents and
    bot.agents.escalations; the package name alone says nothing when the module is allowed."""
    path, target = line.split(" imports ")
    package = _package_of(ROOT / path)
    return target.count(".") == 1 and any(
        rule.startswith(target.removeprefix("bot.") + ".") for rule in ALLOWED[package]
    )


def test_every_package_has_a_rule():
    packages = {p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert packages | {"settings"} <= set(ALLOWED)


def test_telephony_knows_nothing_about_collections():
    for path in (ROOT / "telephony").rglob("*.py"):
        assert not any(t == "bot" or t.startswith("bot.") for t in _imports(path)), path


def test_actions_only_call_the_conversation():
    for path in (ROOT / "actions").rglob("*.py"):
        bot_imports = {t for t in _imports(path) if t.startswith("bot.")}
        assert all(t.startswith("bot.conversation") for t in bot_imports), bot_imports


def test_the_rule_check_catches_a_forbidden_arrow():
    assert not _allowed("ledger", "bot.channels.sms")
    assert not _allowed("telephony" if "telephony" in ALLOWED else "nlu", "bot.ledger")
    assert _allowed("ledger", "bot.compliance.audit")
    assert not _allowed("ledger", "bot.compliance.gate")
