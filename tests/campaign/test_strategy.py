"""Loading and validating the campaign strategy; segments and score bands."""

from __future__ import annotations

import pytest
import yaml

from bot.campaign.strategy import (
    SIGNALS,
    StrategyError,
    load_strategy,
    parse_duration,
    parse_strategy,
)
from bot.settings import ROOT

SHIPPED = ROOT / "bot" / "campaign.yml"


def strategy_from(text: str):
    return parse_strategy(yaml.safe_load(text), source="test.yml")


MINIMAL = """
default:
  steps: [{channel: sms, from_day: 0}]
"""


def test_the_shipped_file_loads_and_says_what_the_brief_asks():
    s = load_strategy(SHIPPED)
    card_early = s.for_segment("credit_card", "1-30", "low")
    assert [(st.channel, st.from_day) for st in card_early.steps] == [("sms", 0), ("voice", 3)]
    late = s.for_segment("credit_card", "90+", "unscored")
    assert late.steps[0].channel == "voice" and late.steps[0].from_day == 0
    no_answer = card_early.backoff("no_answer")
    assert (no_answer.delay(1), no_answer.delay(2), no_answer.delay(3)) == (4 * 3600, 86400, None)
    # hardship -> instalment offer (still contacted); 90+ refusing -> legal; business -> RM
    hardship = s.escalation("credit_card", 20, "low", SIGNALS["hardship"])
    assert (hardship.action, hardship.contact) == ("instalment_offer", True)
    legal = s.escalation("personal_loan", 120, "low", SIGNALS["refusal"])
    assert (legal.action, legal.contact) == ("legal_review", False)
    assert s.escalation("personal_loan", 60, "low", SIGNALS["refusal"]) is None
    rm = s.escalation("business_loan", 20, "high", SIGNALS["instalment_request"])
    assert (rm.action, rm.contact) == ("relationship_manager", False)
    assert s.escalation("business_loan", 70, "high", 0).action == "relationship_manager"
    assert s.escalation("credit_card", 20, "high", 0) is None


def test_the_most_specific_segment_wins_and_the_default_covers_the_rest():
    s = strategy_from(
        """
default:
  steps: [{channel: sms, from_day: 0}]
segments:
  "*:90+": {steps: [{channel: voice, from_day: 0}]}
  credit_card:*: {steps: [{channel: sms, from_day: 2}]}
  credit_card:90+: {steps: [{channel: voice, from_day: 1}]}
  credit_card:90+:high: {steps: [{channel: sms, from_day: 5}]}
"""
    )
    assert s.for_segment("credit_card", "90+", "high").steps[0].from_day == 5
    assert s.for_segment("credit_card", "90+", "low").steps[0].from_day == 1
    assert s.for_segment("credit_card", "31-60", "low").steps[0].from_day == 2
    # only "*:90+" matches a personal loan 90+
    assert s.for_segment("personal_loan", "90+", "low").steps[0].channel == "voice"
    assert s.for_segment("personal_loan", "1-30", "low").pattern == "default"
    assert s.for_label("credit_card:90+:high").steps[0].from_day == 5


def test_a_segment_inherits_what_it_does_not_say_from_the_default():
    s = strategy_from(
        """
default:
  steps: [{channel: sms, from_day: 0}]
  retry: {busy: {delays: [30m], max_retries: 3}}
segments:
  credit_card:1-30: {steps: [{channel: voice, from_day: 0}]}
"""
    )
    seg = s.for_segment("credit_card", "1-30", "low")
    assert seg.steps[0].channel == "voice"
    assert seg.backoff("busy").delay(3) == 1800  # the last delay repeats up to max_retries
    assert seg.backoff("busy").delay(4) is None


def test_step_in_force_is_the_last_one_reached():
    s = load_strategy(SHIPPED)
    seg = s.for_segment("credit_card", "1-30", "low")
    assert seg.step_for(0)[1].channel == "sms"
    assert seg.step_for(2)[1].channel == "sms"
    assert seg.step_for(3) == (1, seg.steps[1])
    late_start = strategy_from(
        "default: {steps: [{channel: voice, from_day: 3}, {channel: sms, from_day: 1}]}"
    ).default
    assert [st.from_day for st in late_start.steps] == [1, 3]  # sorted
    assert late_start.step_for(0) is None


@pytest.mark.parametrize(
    ("score", "band"),
    [(None, "unscored"), (0.6, "high"), (0.99, "high"), (0.5999, "medium"), (0.3, "medium"),
     (0.2999, "low"), (0.0, "low")],
)  # fmt: skip
def test_score_bands(score, band):
    assert load_strategy(SHIPPED).band(score) == band


@pytest.mark.parametrize(
    ("dpd", "bucket"), [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (90, "61-90"),
                        (91, "90+")]
)  # fmt: skip
def test_segment_labels(dpd, bucket):
    assert load_strategy(SHIPPED).segment("credit_card", dpd, 0.7) == f"credit_card:{bucket}:high"


def test_every_mistake_is_reported_at_once_with_where_it_is():
    text = """
score_bands: {high: 0.2, medium: 0.5}
colour: blue
default:
  steps:
    - {channel: fax, from_day: 0}
    - {channel: voice, from_day: -1, every_days: 0, fallback: voice}
  retry:
    no_answer: {delays: [4h, soon], max_retries: 2}
    hung_up: {delays: [1h]}
segments:
  credit_card:1-30: {steps: [{channel: sms, from_day: 0}]}
  credit_card:1-30:*: {steps: []}
  credit_crd:1-30: {steps: []}
  credit_card:1-31: {steps: []}
  credit_card: {steps: []}
escalations:
  - {name: x, when: {any_signal: [sadness], min_dpd: 9, max_dpd: 3}, action: legal_review}
  - {name: y, when: {}, action: send_flowers}
"""
    with pytest.raises(StrategyError) as caught:
        strategy_from(text)
    problems = "\n".join(caught.value.problems)
    for expected in [
        "colour: unknown section",
        "score_bands: medium (0.5) is above high (0.2)",
        "default.steps[0].channel: 'fax' is not one of voice, sms",
        "default.steps[1].from_day: a whole number of days >= 0 (got -1)",
        "default.steps[1].every_days: a whole number of days >= 1 (got 0)",
        "default.steps[1].fallback: 'voice' must be another channel",
        "default.retry.no_answer.delays[1]: a positive duration",
        "default.retry.hung_up: unknown outcome",
        "segments.credit_card:1-30:*: the same segment as credit_card:1-30",
        "segments.credit_crd:1-30: unknown product 'credit_crd'",
        "segments.credit_card:1-31: unknown bucket '1-31'",
        "segments.credit_card: write product:bucket or product:bucket:band",
        "escalations[0].when.any_signal: unknown 'sadness'",
        "escalations[0].when: min_dpd 9 is above max_dpd 3",
        "escalations[1].action: 'send_flowers' is not one of",
    ]:
        assert expected in problems, f"{expected!r} not in\n{problems}"
    assert str(caught.value).startswith("test.yml: ")


def test_missing_default_and_unreadable_files(tmp_path):
    with pytest.raises(StrategyError, match="default: missing"):
        strategy_from("segments: {}")
    with pytest.raises(StrategyError, match="must be a mapping"):
        strategy_from("- just a list")
    with pytest.raises(StrategyError, match="cannot read the file"):
        load_strategy(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("default: [unclosed")
    with pytest.raises(StrategyError, match="not valid YAML"):
        load_strategy(bad)


def test_the_campaign_file_can_be_moved_by_environment(tmp_path, monkeypatch):
    path = tmp_path / "c.yml"
    path.write_text(MINIMAL)
    monkeypatch.setenv("REMINDERBOT_CAMPAIGN_FILE", str(path))
    assert load_strategy().source == str(path)


@pytest.mark.parametrize(
    ("text", "seconds"), [(90, 90), ("30m", 1800), ("4h", 14400), ("1.5h", 5400), ("1d", 86400)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0h", "-1h", "4 hours", "", None, True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
