"""What our Rasa server changes in Rasa (bot/infra/rasa_server.py), installed where Rasa loads our
tracker store, each giving what Rasa's own code gives: the action server's responses checked with
a validator built once (Rasa's error for one that fails), an event's class found by its name in a
table, two sparse feature matrices joined without scipy's bmat."""

from __future__ import annotations

import numpy as np
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as rasa_events
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.events import ActionExecuted, BotUttered, FollowupAction, SlotSet
from scipy.sparse import coo_matrix, hstack

import bot.infra.tracker_store  # noqa: F401 (what Rasa imports from the endpoints file)
from bot.infra import rasa_server

STATE = {"phase": "promise", "pending": {"amount": "200", "date": "2026-12-02"}, "tries": 0}
VALID = [
    {"events": [], "responses": []},
    {
        "events": [SlotSet("dialogue_state", STATE), BotUttered("Receipt", {"kind": "receipt"})],
        "responses": [{"text": "Thank you.", "custom": {"meta": {"redact": True}}}],
    },
    {"events": [ActionExecuted("action_listen"), FollowupAction("action_listen")]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 7}]},  # a slot's name is a string
    {"events": [{"no": "event key"}]},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_converse", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_the_check_built_once_is_what_rasa_runs_in_our_server():
    assert RemoteAction._validate_action_result is rasa_server._validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_a_valid_response_passes_both_checks(action, result):
    assert rasa_server._rasa_check(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_fails_with_rasas_own_error(action, result):
    with pytest.raises(ValidationError) as rasas:
        rasa_server._rasa_check(action, result)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    assert "Failed to validate Action server response" in ours.value.message
    assert ours.value.message == rasas.value.message


# An event's class by its name, from the table.
def test_every_event_name_resolves_to_rasas_class():
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "action", "slot"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is rasa_server._rasa_resolve(name), name


def test_a_name_rasa_does_not_know_gets_rasas_answers():
    assert Event.resolve_by_type("topic") is None
    assert (
        Event.resolve_by_type("no such event", default=rasa_events.SlotSet) is rasa_events.SlotSet
    )
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        Event.resolve_by_type("no such event")


def test_an_event_class_defined_later_is_found():
    class Late(Event):
        type_name = "late_test_event"

        def as_story_string(self):
            return None

        def __eq__(self, other):
            return isinstance(other, Late)

        __hash__ = Event.__hash__

    assert Event.resolve_by_type("late_test_event") is Late


def test_a_stored_tracker_reads_back_with_the_same_events():
    events = [
        rasa_events.ActionExecuted("action_listen"),
        rasa_events.SlotSet("dialogue_state", STATE),
        rasa_events.BotUttered("Receipt", {"kind": "receipt"}),
        rasa_events.UserUttered("yes", {"name": "affirm", "confidence": 0.9}),
    ]
    rasas = [e.as_dict() for e in events]
    assert [Event.from_parameters(d).as_dict() for d in rasas] == rasas


# Sparse features joined.
def _coo(rng, rows: int, cols: int, nnz: int, dtype=np.float32) -> coo_matrix:
    return coo_matrix(
        (
            (rng.random(nnz) * 5).astype(dtype),
            (rng.integers(0, rows, nnz), rng.integers(0, cols, nnz)),
        ),
        shape=(rows, cols),
    )


def _features(matrix) -> Features:
    return Features(matrix, "sequence", "text", "test")


# The regex and lexical features are float64, the count vectors int64 (a message's, as served).
DTYPES = [(np.float64, np.int64), (np.float32, np.float32), (np.int64, np.float64)]


@pytest.mark.parametrize("seed", range(6))
def test_joined_sparse_features_are_scipys_hstack(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 12))
    kinds = DTYPES[seed % len(DTYPES)]
    left, right = _coo(rng, rows, 300, 15, kinds[0]), _coo(rng, rows, 4000, 40, kinds[1])
    expected = hstack([left, right])
    joined = _features(left)
    joined._combine_sparse_features(_features(right))
    got = joined.features
    assert isinstance(got, coo_matrix) and got.shape == expected.shape
    assert got.dtype == expected.dtype
    for part in ("data", "row", "col"):
        assert np.array_equal(getattr(got, part), getattr(expected, part)), part
    assert np.array_equal(got.toarray(), expected.toarray())


def test_features_the_join_does_not_take_go_to_rasas():
    rng = np.random.default_rng(0)
    dense = _features(_coo(rng, 3, 10, 4).tocsr())
    dense._combine_sparse_features(_features(_coo(rng, 3, 10, 4)))
    assert dense.features.shape == (3, 20)
    with pytest.raises(ValueError, match="sequence dimensions do not match: 3 != 4"):
        _features(_coo(rng, 3, 10, 4))._combine_sparse_features(_features(_coo(rng, 4, 10, 4)))


# The action server's connection kept.
@pytest.fixture
async def echo_server():
    """An HTTP server answering JSON with what it saw: the client's port and two headers."""
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "port": request.transport.get_extra_info("peername")[1],
                "secret": request.headers.get("X-Secret"),
                "auth": request.headers.get("Authorization"),
            }
        )

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/webhook"
    await runner.cleanup()


async def test_calls_of_an_endpoint_reuse_its_connection(echo_server):
    endpoint = EndpointConfig(echo_server, headers={"X-Secret": "s3"})
    seen = [await endpoint.request(json={"n": n}) for n in range(4)]
    assert {s["port"] for s in seen} == {seen[0]["port"]}, "one connection for every call"
    assert all(s["secret"] == "s3" for s in seen)  # Rasa's headers still sent
    other = EndpointConfig(echo_server, basic_auth={"username": "u", "password": "p"})
    answer = await other.request(json={})
    assert answer["auth"] == "Basic dTpw" and answer["port"] != seen[0]["port"]


async def test_a_connection_idle_too_long_is_not_reused(echo_server, monkeypatch):
    import asyncio

    monkeypatch.setattr(rasa_server, "KEEP_IDLE_S", 0.2)
    endpoint = EndpointConfig(echo_server)
    first = await endpoint.request(json={})
    again = await endpoint.request(json={})
    await asyncio.sleep(0.5)
    later = await endpoint.request(json={})
    assert first["port"] == again["port"] != later["port"]
