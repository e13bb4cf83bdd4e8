"""Static checks of the code against the message catalog (used by test_messages.py): which keys
the code asks the catalog for and with which values, and which sentences are still inline."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

CATALOG_MODULE = "bot.conversation.messages"
LOADER_FUNCTIONS = {"text", "template"}
LOG_NAMES = {"log", "logger", "logging", "_log", "LOG"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical"}
# Notes for the agents' queue (escalation summaries), not words said to the customer.
AGENT_NOTE_CALLS = {"escalate", "enqueue"}
AGENT_NOTE_KEYWORDS = {"summary"}
SENTENCE_END = (".", "?", "!")


@dataclass(frozen=True)
class LoaderCall:
    where: str
    function: str  # text or template
    keys: tuple[str, ...]  # the literal key(s): one, or two for `"a" if x else "b"`
    keywords: frozenset[str]
    spreads_values: bool  # a **values argument: its names cannot be checked statically
    literal: bool


def python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py") if ".venv" not in p.parts)


def _loader_names(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to text()/template(), and to the catalog module itself."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CATALOG_MODULE:
            for alias in node.names:
                if alias.name in LOADER_FUNCTIONS:
                    functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "bot.conversation":
            modules |= {a.asname or a.name for a in node.names if a.name == "messages"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == CATALOG_MODULE and a.asname}
    return functions, modules


def _literal_keys(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_keys(node.body), _literal_keys(node.orelse)
        if body and orelse:
            return body + orelse
    return None


def loader_calls(path: Path, root: Path) -> list[LoaderCall]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions, modules = _loader_names(tree)
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in functions:
            name = functions[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in LOADER_FUNCTIONS
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        ):
            name = func.attr
        else:
            continue
        keys = _literal_keys(node.args[0]) if node.args else None
        calls.append(
            LoaderCall(
                where=f"{path.relative_to(root)}:{node.lineno}",
                function=name,
                keys=keys or (),
                keywords=frozenset(k.arg for k in node.keywords if k.arg),
                spreads_values=any(k.arg is None for k in node.keywords),
                literal=keys is not None,
            )
        )
    return calls


# -- sentences left inline ----------------------------------------------------------------------
def looks_like_sentence(value: str) -> bool:
    """Several words ending like a sentence: what a customer would be told."""
    value = value.strip()
    return (
        value.endswith(SENTENCE_END) and len(value.split()) >= 3 and any(c.isalpha() for c in value)
    )


def _is_excluded_call(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
        owner = func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if owner_name in LOG_NAMES:
            return True  # log lines are for operators
    return name == "print" or name in AGENT_NOTE_CALLS  # console output; agents' notes


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _rendered(node: ast.expr) -> str | None:
    """A string expression as text, "{}" for each value filled in at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_rendered(v) or "{}" for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _rendered(node.left), _rendered(node.right)
        if left is None and right is None:
            return None
        return (left or "{}") + (right or "{}")
    return None


def inline_sentences(source: str, where: str = "<source>") -> list[str]:
    """Sentence-like string expressions outside docstrings, log lines, exception messages,
    console output and agents' notes."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if id(node) in skip or isinstance(node, ast.Raise):
            return
        if isinstance(node, ast.Call) and _is_excluded_call(node):
            return
        if isinstance(node, ast.keyword) and node.arg in AGENT_NOTE_KEYWORDS:
            return
        if isinstance(node, ast.FunctionDef) and "summary" in node.name:
            return  # a function that writes a case's summary: an agent's note too
        if isinstance(node, ast.expr):
            value = _rendered(node)
            if value is not None and looks_like_sentence(value):
                found.append(f"{where}:{node.lineno}: {value!r}")
                return
            if isinstance(node, ast.Constant | ast.JoinedStr):
                return  # an f-string's parts are part of it; a "+" chain's are checked each
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found
