"""No SQL outside bot/ledger/: every query is built and sent by a function of bot/ledger/repo/.

A module elsewhere may hold a session (to pass it on), import `Session` for a type hint, catch
`sqlalchemy.exc` errors or listen to ORM events; it may not build a statement (select, insert,
update, delete, func, ...) nor send one through the session (execute, query, add, get, ...).
"""

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
# Packages whose SQL is still being moved into the repo by another step of issue #10 (the audit
# chain in compliance/audit.py, the follow-ups in campaign/followups.py). Remove a name as soon
# as its package is clean: test_the_pending_packages_still_hold_sql says when.
PENDING: set[str] = set()

# What builds a statement: SQLAlchemy's expression language.
BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "func",
    "text",
    "and_",
    "or_",
    "not_",
    "case",
    "literal_column",
    "extract",
    "exists",
    "union",
    "bindparam",
    "column",
    "table",
}
# What sends one: the session's query API.
SENDS = {
    "execute",
    "query",
    "add",
    "add_all",
    "get",
    "scalar",
    "scalars",
    "merge",
    "delete",
    "bulk_insert_mappings",
    "bulk_save_objects",
}


def _receiver(node: ast.expr) -> str:
    """The name a method is called on: `session` in session.get(...), self.session too."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_ledger_session(name: str) -> bool:
    """The ledger's session is `session` everywhere (`with session_scope() as session`); the
    console's login store is `sessions` (a Redis map, not SQL)."""
    return name == "session" or name.endswith("_session")


def sql_in(source: str) -> list[str]:
    """What in this source builds or sends SQL, one line per finding."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            module = node.module
            names = {alias.name for alias in node.names}
            if module in ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression") and (
                names & BUILDERS or module != "sqlalchemy"
            ):
                found.append(f"line {node.lineno}: from {module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy.sql"):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _receiver(node.func.value)
            if method in SENDS and _is_ledger_session(receiver):
                found.append(f"line {node.lineno}: {receiver}.{method}(...)")
        elif isinstance(node, ast.Attribute) and node.attr == "__table__":
            found.append(f"line {node.lineno}: .__table__ (a Core statement on a model's table)")
    return found


def modules(pending: bool) -> list[Path]:
    """bot/'s modules outside bot/ledger/, in the pending packages or outside them."""
    out = []
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(BOT).parts
        if parts[0] == "ledger":
            continue
        if (parts[0] in PENDING) == pending:
            out.append(path)
    return out


def test_no_module_outside_the_ledger_builds_or_sends_sql():
    offenders = {
        str(path.relative_to(BOT.parent)): found
        for path in modules(pending=False)
        if (found := sql_in(path.read_text()))
    }
    assert offenders == {}, "move these queries into bot/ledger/repo/"


def test_the_checked_packages_are_the_ones_that_matter():
    checked = {path.relative_to(BOT).parts[0] for path in modules(pending=False)}
    for package in ("analytics", "demo", "conversation", "channels", "agents"):
        assert package in checked
    for package in ("gateway", "web", "cli", "infra"):
        assert package in checked


def test_the_pending_packages_still_hold_sql():
    """An exception is kept only while it is needed: drop a clean package from PENDING."""
    for package in PENDING:
        found = [p for p in modules(pending=True) if p.relative_to(BOT).parts[0] == package]
        assert any(sql_in(p.read_text()) for p in found), f"bot/{package} is clean: drop it"


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select\n",
        "from sqlalchemy import func, and_\n",
        "from sqlalchemy.sql import ColumnElement\n",
        "import sqlalchemy\n",
        "account = session.get(Account, account_id)\n",
        "session.add(Conversation(id=cid))\n",
        "rows = session.execute(stmt).all()\n",
        "ids = session.scalars(stmt)\n",
        "self.session.query(Account).first()\n",
        "db_session.add_all(rows)\n",
        "session.execute(model.__table__.insert(), rows)\n",
    ],
)
def test_the_check_finds_the_old_spellings(source):
    # What analytics/, demo/, conversation/service.py and cli/ wrote before the repo.
    assert sql_in(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.orm import Session\n",
        "from sqlalchemy.exc import IntegrityError\n",
        "from sqlalchemy import event\n",
        "with session_scope() as session:\n    accounts.account(session, 'A-1')\n",
        "state.get('account_id')\n",
        "agent = sessions.get(cookie)\n",
        "session.flush()\n",
    ],
)
def test_the_check_lets_a_session_be_passed_on(source):
    assert sql_in(source) == []
