"""Rasa's endpoint files: the repo's endpoints.yml loads with no environment at all (a
developer's `rasa shell`, `rasa interactive`, `rasa test`), and the stack's own file loads with
exactly the environment the supervisor gives Rasa."""

from __future__ import annotations

import os

import pytest
from rasa.core.utils import AvailableEndpoints

from bot.infra.supervisor import RASA_ENDPOINTS, child_env, process_commands
from bot.settings import ROOT, Settings


@pytest.fixture
def bare_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("REDIS_", "ACTIONS_")):
            monkeypatch.delenv(name)


def test_the_repo_endpoints_load_with_no_environment(bare_env):
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.tracker_store is None  # in memory: nothing written to the stack's Redis
    assert endpoints.lock_store is None


def test_the_stack_endpoints_load_with_the_supervisors_environment(bare_env, tmp_path, monkeypatch):
    settings = Settings(var_dir=tmp_path, embedded_redis_port=6391, actions_port=5056)
    for name, value in child_env(settings, "token").items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(RASA_ENDPOINTS))
    assert endpoints.action.url == "http://127.0.0.1:5056/webhook"
    assert endpoints.tracker_store.type == "bot.infra.tracker_store.RedactingRedisTrackerStore"
    assert endpoints.tracker_store.kwargs["port"] in (6391, "6391")
    assert endpoints.lock_store.type == "bot.infra.lock_store.AtomicRedisLockStore"


def test_the_supervisor_runs_rasa_with_the_stack_endpoints(tmp_path):
    rasa = process_commands(Settings(var_dir=tmp_path))["rasa"]
    assert rasa[rasa.index("--endpoints") + 1] == str(RASA_ENDPOINTS.relative_to(ROOT))
