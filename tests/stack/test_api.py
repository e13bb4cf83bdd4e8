"""The text API's contract: auth, errors, OpenAPI, health, the escalation queue API."""

import re

import httpx

from tests.stack.conftest import TOKEN


def test_health_reports_every_part(running):
    response = httpx.get(running.settings.gateway_url + "/health")
    assert response.status_code == 200
    assert response.json()["parts"] == {
        "redis": "up",
        "rasa": "up",
        "actions": "up",
        "database": "up",
    }


def test_api_needs_the_bearer_token(running):
    url = running.settings.gateway_url + "/api/accounts/CC-1001"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_unknown_things_are_404_with_json(running):
    api = running.api
    response = api.get("/api/accounts/NOPE")
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]
    assert api.post("/api/conversations", json={"account_id": "NOPE"}).status_code == 404
    assert api.post("/api/conversations/nope/messages", json={"text": "hi"}).status_code == 404


def test_malformed_bodies_are_422(running):
    api = running.api
    assert api.post("/api/conversations", json={"channel": "chat"}).status_code == 422
    assert (
        api.post("/api/conversations", json={"account_id": "CC-1001", "channel": "fax"}).status_code
        == 422
    )
    assert api.post("/api/conversations", content=b"{not json").status_code == 422


def test_openapi_is_served(running):
    paths = httpx.get(running.settings.gateway_url + "/openapi.json").json()["paths"]
    assert "/api/conversations/{conversation_id}/messages" in paths


def test_account_record_hides_verification_secrets(running):
    record = running.api.get("/api/accounts/CC-1001").json()
    # Record ids are hexadecimal and can hold "4821" by chance: they are left out of the check.
    flat = re.sub(r"[0-9a-f]{16,}", "<id>", str(record))
    assert "4821" not in flat and "1985-03-03" not in flat and "hash" not in flat
    assert record["account"]["balance"] == "1240.50"


def test_agents_claim_and_resolve_through_the_api(running, talk):
    chat = talk("CC-1008")
    chat.say("i want to speak to a human")
    api = running.api
    queue = api.get("/api/escalations").json()["escalations"]
    [mine] = [e for e in queue if e["conversation_id"] == chat.id]
    assert mine["reason"] == "customer_request"
    first = api.post(f"/api/escalations/{mine['id']}/claim", json={"agent": "alice"})
    second = api.post(f"/api/escalations/{mine['id']}/claim", json={"agent": "bob"})
    assert (first.status_code, second.status_code) == (200, 409)
    done = api.post(
        f"/api/escalations/{mine['id']}/resolve",
        json={"agent": "alice", "disposition": "called_back", "note": "ok"},
    )
    assert done.json()["status"] == "resolved"
    record = api.get("/api/accounts/CC-1008").json()
    [row] = [e for e in record["escalations"] if e["id"] == mine["id"]]
    assert (row["status"], row["disposition"]) == ("resolved", "called_back")
