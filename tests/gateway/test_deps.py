"""Routes get the session and the services through bot/gateway/deps.py, never from app.state."""

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
ROUTE_MODULES = [
    *sorted((BOT / "gateway").glob("*.py")),
    *sorted((BOT / "web").glob("*.py")),
    BOT / "channels" / "webchat.py",
]


def state_reads(path: Path) -> list[str]:
    """Every `<something>.state.<name>` read (app.state, request.app.state, websocket.app...).
    Writing `app.state.x = ...` (the lifespan) is allowed; reading it is deps.py's job."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "state"
        ):
            found.append(f"{path.name}:{node.lineno} .state.{node.attr}")
    return found


def test_the_scan_sees_a_read_and_allows_a_write(tmp_path):
    sample = tmp_path / "route.py"
    sample.write_text(
        "def lifespan(app):\n    app.state.queue = 1\n"
        "def route(request):\n    return request.app.state.queue\n"
    )
    assert state_reads(sample) == ["route.py:4 .state.queue"]


def test_only_deps_reads_app_state():
    assert BOT / "gateway" / "deps.py" in ROUTE_MODULES
    reads = [r for p in ROUTE_MODULES if p.name != "deps.py" for r in state_reads(p)]
    assert reads == []


def test_the_dead_call_sessions_state_is_gone():
    for path in ROUTE_MODULES:
        assert "call_sessions" not in path.read_text(), path
