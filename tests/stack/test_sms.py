"""SMS through the Twilio simulator: signed webhooks both ways, as Twilio sends them."""

import uuid
from datetime import datetime, timezone

import httpx

from bot.compliance.location import plausible_zones
from bot.compliance.profiles import profile_for
from bot.compliance.rules import text_validity_s
from bot.ledger.db import session_scope
from bot.ledger.models import ContactAttempt
from bot.ledger.repo import events
from telephony.signatures import sign
from tests.stack.conftest import add_account


def texts(running, sender: str, body: str, sid: str | None = None) -> list[str]:
    return running.carrier.run(
        running.carrier.sim.inbound_sms(
            sender, running.settings.twilio_from_number, body, message_sid=sid
        )
    )


def record(running, account_id: str) -> dict:
    return running.api.get(f"/api/accounts/{account_id}").json()


def test_outbound_reminder_then_a_promise_by_text(running, tmp_path):
    customer = add_account(
        running, tmp_path, customer_name="Priya Raman", verification_last4="7702"
    )
    sent = running.api.post(f"/api/accounts/{customer['account_id']}/sms")
    assert sent.status_code == 201, sent.text
    body = sent.json()
    [sid] = body["message_sids"]
    message = running.carrier.run(running.carrier.sim.wait_for_message(sid, "delivered"))
    assert "SPD Bank" in message.body and "Reply STOP to opt out." in message.body
    assert not any(w in message.body.lower() for w in ("debt", "balance", "owe", "overdue"))
    # The recording notice comes in the first message, before any transcript is kept.
    assert "This conversation is recorded." in message.body
    # The carrier may hold it only until the window closes in every zone (issue #12).
    zones = plausible_zones(customer["timezone"], phone := customer["phone"])
    expected = text_validity_s(datetime.now(timezone.utc), zones, profile_for("US"))
    assert abs(message.validity_period - expected) <= 60
    assert "last 4 digits" in " ".join(texts(running, phone, "yes this is priya"))
    replies = texts(running, phone, "7702")
    assert all(len(r) <= 160 for r in replies)
    assert "attempt to collect a debt" in " ".join(replies)
    assert "Just to confirm" in " ".join(texts(running, phone, "i can pay 60 tomorrow"))
    assert "Receipt" in " ".join(texts(running, phone, "yes"))
    acct = record(running, customer["account_id"])
    promises = [p for p in acct["promises"] if p["conversation_id"] == body["conversation_id"]]
    assert [(p["amount"], p["channel"]) for p in promises] == [("60.00", "sms")]
    # The delivery status callbacks reached the contact attempt.
    assert running.carrier.sim.messages[sid].status == "delivered"
    with session_scope(running.sql_url) as session:
        attempt = session.query(ContactAttempt).filter_by(provider_sid=sid).one()
        assert (attempt.channel, attempt.status) == ("sms", "delivered")


def test_the_gate_refuses_a_text_without_consent(running):
    refused = running.api.post("/api/accounts/CC-1003/sms")  # consent_sms is false
    assert refused.status_code == 409 and refused.json()["detail"]["reason"] == "no_consent"


def test_stop_opts_out_and_the_gate_refuses_the_next_text(running, tmp_path):
    customer = add_account(running, tmp_path)
    phone, account_id = customer["phone"], customer["account_id"]
    replies = texts(running, phone, "STOP")
    assert "unsubscribed" in replies[0]
    active = [o["channel"] for o in record(running, account_id)["opt_outs"] if o["active"]]
    assert active == ["sms"]
    refused = running.api.post(f"/api/accounts/{account_id}/sms")
    assert refused.status_code == 409
    assert refused.json()["detail"]["reason"] == "opted_out"
    assert "subscribed again" in texts(running, phone, "START")[0]


def test_plain_language_opt_out(running):
    texts(running, "+12125550102", "please stop texting me")
    assert "sms" in [o["channel"] for o in record(running, "CC-1002")["opt_outs"]]


def test_a_retried_message_sid_is_one_turn_with_the_same_reply(running):
    phone = "+13055550105"  # CC-1005
    sid = "SM" + uuid.uuid4().hex
    first = texts(running, phone, "hello", sid)
    again = texts(running, phone, "hello", sid)
    assert first == again and first
    acct = record(running, "CC-1005")
    sms_contacts = [c for c in acct["contacts"] if c["channel"] == "sms"]
    assert len(sms_contacts) == 1


def test_unknown_number_learns_nothing(running):
    replies = texts(running, "+15005550000", "hi who is this, how much do i owe?")
    joined = " ".join(replies).lower()
    assert "could not match" in joined
    assert not any(w in joined for w in ("debt", "balance", "overdue", "owe "))


def test_forged_signature_is_refused_and_changes_nothing(running):
    url = running.settings.gateway_url + "/twilio/sms"
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": "+14155550101",
        "To": running.settings.twilio_from_number,
        "Body": "STOP",
    }
    forged = sign(url, params, "not-the-auth-token")
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403
    assert httpx.post(url, data=params).status_code == 403
    assert not record(running, "CC-1001")["opt_outs"]
    # Signed with the right token but for another URL than the one called: refused too.
    other_url = sign(url + "?x=1", params, running.settings.twilio_auth_token)
    assert (
        httpx.post(url, data=params, headers={"X-Twilio-Signature": other_url}).status_code == 403
    )
    assert not record(running, "CC-1001")["opt_outs"]


def test_a_retried_request_with_an_idempotency_key_contacts_once(running, tmp_path):
    customer = add_account(running, tmp_path)
    path = f"/api/accounts/{customer['account_id']}/sms"
    headers = {"Idempotency-Key": "dialer-job-42"}
    first = running.api.post(path, headers=headers)
    again = running.api.post(path, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    sent = [m for m in running.carrier.sim.messages.values() if m.to == customer["phone"]]
    assert len(sent) == 1
    assert running.api.get("/api/calls/CAnope").status_code == 404


def test_a_repeated_message_sid_whose_first_delivery_died_is_handled(running, tmp_path):
    """The gateway that took the webhook first claimed its MessageSid and died before answering
    (HAProxy replays it on another, bot/infra/replicas.py): the repeat waits a turn's time for
    the first answer, then handles the text instead of answering nothing."""
    customer = add_account(running, tmp_path)
    sid = "SM" + uuid.uuid4().hex
    with session_scope(running.sql_url) as session:
        events.add_event(session, "sms", sid)  # what the dead gateway's claim left
    replies = texts(running, customer["phone"], "STOP", sid)
    assert replies and "unsubscribed" in replies[0]
    active = [o["channel"] for o in record(running, customer["account_id"])["opt_outs"]]
    assert active == ["sms"]
    # Its answer is now the MessageSid's: a further repeat gets it at once.
    assert texts(running, customer["phone"], "STOP", sid) == replies
