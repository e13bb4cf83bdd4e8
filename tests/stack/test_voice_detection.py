"""Issue #12, the start of a call: nothing of the conversation before Twilio's answering-machine
result reports a person. A late result gets the neutral opening (itself a limited-content
message) first; "unknown" and no result in time are treated as a machine: the voicemail, and no
conversation at all. Whole calls through the simulator, real Rasa, the real gateway."""

from bot.ledger.db import session_scope
from bot.ledger.models import Conversation
from telephony.twilio_sim.scenario import CallScenario, Dtmf, Silence, WaitForBot
from tests.stack.conftest import DEBT_WORDS, add_account
from tests.stack.test_voice import FAST, PROMISE_BY_KEYPAD, attempt, call


def voice_conversations(running, account_id: str) -> list[Conversation]:
    with session_scope(running.sql_url) as session:
        rows = session.query(Conversation).filter_by(account_id=account_id, channel="voice")
        session.expunge_all()
        return list(rows)


def said_by_twilio(finished) -> str:
    return " ".join(p.verb.text for p in finished.played if hasattr(p.verb, "text"))


def amd_reported_at(running, sid: str) -> float:
    [event] = running.carrier.sim.events_for(sid, "amd")
    return event.at


def assert_limited_content(said: str, first_name: str) -> None:
    assert first_name in said and "call" in said and "back" in said
    assert not any(word in said.lower() for word in DEBT_WORDS)


def test_a_late_person_hears_the_neutral_opening_then_the_conversation(running, tmp_path):
    account = add_account(running, tmp_path, customer_name="Lena Ortiz", verification_last4="2468")
    # The result comes 5 s after the answer: past the 1.5 s the opening waits for it, and after
    # the neutral opening has played (the simulated line plays 4x faster than real time).
    steps = [
        WaitForBot(timeout_s=60),
        WaitForBot(timeout_s=60),
        Dtmf("1"),
        WaitForBot(timeout_s=60),
        Dtmf("2468"),
        WaitForBot(timeout_s=90),
        *PROMISE_BY_KEYPAD,
    ]
    scenario = CallScenario(answered_by="human", amd_delay_s=5.0, steps=steps, speed=FAST)
    sid, finished = call(running, account, scenario)
    detected_at = amd_reported_at(running, sid)
    # The line was not silent while detection ran...
    assert any(media.at < detected_at for media in finished.stream.media)
    # ... and the conversation (its first words included) began only once a person was known.
    [conversation] = voice_conversations(running, account["account_id"])
    assert conversation.disposition == "promise_to_pay"
    first_utterance, second = finished.stream.utterances[:2]
    assert first_utterance.first_media_at < detected_at <= second.first_media_at
    assert attempt(running, sid).answered_by == "human"


def test_unknown_is_treated_as_a_machine(running, tmp_path):
    account = add_account(running, tmp_path, customer_name="Omar Haddad")
    scenario = CallScenario(
        answered_by="unknown", amd_delay_s=0.5, steps=[Silence(20_000)], speed=FAST
    )
    sid, finished = call(running, account, scenario)
    assert_limited_content(said_by_twilio(finished), "Omar")
    # Nothing of the conversation reached the line, and no conversation was started.
    assert not finished.stream.media
    assert voice_conversations(running, account["account_id"]) == []
    assert attempt(running, sid).disposition == "voicemail"


def test_no_result_in_time_is_treated_as_a_machine(running, tmp_path):
    account = add_account(running, tmp_path, customer_name="Ada Brooks")
    wait_s = running.settings.voice_amd_wait_s
    scenario = CallScenario(
        answered_by="human",
        amd_delay_s=wait_s + 20,
        steps=[Silence(120_000)],
        speed=FAST,
        max_duration_s=wait_s + 60,
    )
    sid, finished = call(running, account, scenario)
    # The neutral opening played on the stream, then the voicemail replaced it; the person
    # reported after the wait never got the conversation.
    assert finished.stream.media
    assert_limited_content(said_by_twilio(finished), "Ada")
    assert voice_conversations(running, account["account_id"]) == []
    assert attempt(running, sid).disposition == "voicemail"
