"""The dispatch worker's shared state (held entries, slots, error counts, results, the reclaim
cursor) is touched from the loop, the pool's threads and the heartbeat: only under its lock."""

from __future__ import annotations

import ast

from bot.settings import ROOT

GUARDED = {"_held", "_slots", "_errors", "handled", "_cursor"}
WORKER = ROOT / "bot" / "campaign" / "dispatch" / "worker.py"


def _is_lock(item: ast.withitem) -> bool:
    e = item.context_expr
    return isinstance(e, ast.Attribute) and e.attr == "_lock"


def _unguarded(node: ast.AST, locked: bool, found: list[int]) -> None:
    if isinstance(node, ast.With) and any(_is_lock(i) for i in node.items):
        locked = True
    if (
        isinstance(node, ast.Attribute)
        and node.attr in GUARDED
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and not locked
    ):
        found.append(node.lineno)
    for child in ast.iter_child_nodes(node):
        _unguarded(child, locked, found)


def test_the_workers_shared_state_is_only_touched_under_its_lock():
    tree = ast.parse(WORKER.read_text(encoding="utf-8"))
    worker = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Worker")
    found: list[int] = []
    for method in worker.body:
        if isinstance(method, ast.FunctionDef) and method.name != "__init__":
            _unguarded(method, False, found)
    assert not found, f"worker.py lines {found} touch shared state without self._lock"
