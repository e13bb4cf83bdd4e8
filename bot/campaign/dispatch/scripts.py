"""The dispatch's Lua scripts, read from bot/campaign/lua/*.lua once, at import: each runs
atomically in Redis (see the comment at the top of each file for its KEYS and ARGV)."""

from __future__ import annotations

from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent.parent / "lua"
NAMES = ("schedule", "promote", "cas", "finish", "reschedule", "acquire", "renew", "bucket")
SCRIPTS = {name: (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8") for name in NAMES}
