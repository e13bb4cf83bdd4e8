"""The real gateway app (its lifespan, deps and Redis wiring) on a fresh SQLite ledger and the
password-protected embedded Redis, driven in-process by Starlette's test client."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.agents.logins import add_agent
from bot.ledger.db import migrate
from bot.settings import get_settings

PASSWORD = "correct horse battery"  # noqa: S105 - a test agent's password


@dataclass
class Console:
    app: FastAPI
    client: TestClient
    url: str

    def browser(self) -> TestClient:
        """Another browser (its own cookies) on the same running app."""
        return TestClient(self.app)

    def agent(self, username: str, role: str = "agent") -> str:
        add_agent(username, PASSWORD, display_name=username.title(), role=role, url=self.url)
        return username

    def csrf(self, browser: TestClient) -> str:
        """The CSRF token of the browser's console session (the pages embed it)."""
        page = browser.get("/console")
        return re.search(r'window.CSRF = "([^"]+)"', page.text).group(1)


def login(browser: TestClient, username: str, password: str = PASSWORD):
    browser.get("/console/login")
    return browser.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf": browser.cookies.get("rb_login_csrf"),
        },
        follow_redirects=False,
    )


@pytest.fixture
def make_console(sqlite_url, embedded_redis_url, tmp_path, monkeypatch):
    """`make_console(**env)`: start the app with extra settings (environment names)."""
    clients: list[TestClient] = []

    def start(**env: str) -> Console:
        from bot.gateway.app import create_app

        migrate(sqlite_url)
        for name, value in {
            "DATABASE_URL": sqlite_url,
            "REMINDERBOT_VAR_DIR": str(tmp_path / "var"),
            "REDIS_URL": embedded_redis_url,
            "ESCALATION_STREAM": f"test-escalations-{uuid.uuid4().hex}",
            "AUDIT_CHECKPOINT_MINUTES": "0",
            **env,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        app = create_app(get_settings())
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        # Counters of their own: the session's Redis is shared by every test.
        app.state.login_throttle.prefix = f"test-login:{uuid.uuid4().hex}"
        return Console(app, client, sqlite_url)

    yield start
    for client in clients:
        client.__exit__(None, None, None)
    get_settings.cache_clear()


@pytest.fixture
def console(make_console) -> Console:
    return make_console()
