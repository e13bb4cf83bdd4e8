"""The planner package holds no SQL: its ledger reads are bot/ledger/repo/contact_history.py's."""

from __future__ import annotations

import ast
import re

import pytest

from bot.settings import ROOT

PLANNER = sorted((ROOT / "bot" / "campaign" / "planner").glob("*.py"))


@pytest.mark.parametrize("path", PLANNER, ids=lambda p: p.name)
def test_the_planner_package_has_no_sql(path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0] == "sqlalchemy"}, path.name
    assert "bot.ledger.models" not in imported, path.name
    for word in ("session.execute", "session.query", "session.scalars", "session.get"):
        assert word not in source, (path.name, word)
    assert not re.search(r"(?<![\w.])(select|update|insert|delete)\(", source), path.name


def test_the_planner_reads_the_ledger_through_the_repo():
    source = (ROOT / "bot" / "campaign" / "planner" / "ledger_input.py").read_text()
    assert "from bot.ledger.repo import contact_history" in source
