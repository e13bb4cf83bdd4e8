"""Reading `bot/campaign.yml` (or REMINDERBOT_CAMPAIGN_FILE) into a `Strategy`. Everything is
validated when loaded; every problem is reported at once, with where it is (`StrategyError`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from bot.campaign.strategy.model import (
    ACTIONS,
    BANDS,
    BUCKET_NAMES,
    PRODUCTS,
    RETRY_OUTCOMES,
    SIGNALS,
    Backoff,
    EscalationRule,
    SegmentStrategy,
    Step,
    Strategy,
    specificity,
)
from bot.compliance.rules import CHANNELS

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "campaign.yml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class StrategyError(ValueError):
    """The campaign file is wrong; `problems` lists every mistake found, each with its place."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


def default_path() -> Path:
    return Path(os.environ.get("REMINDERBOT_CAMPAIGN_FILE") or DEFAULT_FILE)


def load_strategy(path: Path | str | None = None) -> Strategy:
    path = Path(path) if path is not None else default_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StrategyError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise StrategyError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_strategy(raw, source=str(path))


def parse_strategy(raw, *, source: str = "<memory>") -> Strategy:
    """Build a Strategy from the YAML structure; raises StrategyError listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise StrategyError(source, ["the file must be a mapping (score_bands, default, ...)"])
    known = {"score_bands", "signal_lookback_days", "default", "segments", "escalations"}
    for key in raw:
        if key not in known:
            problems.append(f"{key}: unknown section (expected one of {', '.join(sorted(known))})")

    high, medium = _bands(raw.get("score_bands", {"high": 0.6, "medium": 0.3}), problems)
    lookback = raw.get("signal_lookback_days", 90)
    if not _is_int(lookback) or lookback < 1:
        problems.append(f"signal_lookback_days: a whole number of days >= 1 (got {lookback!r})")
        lookback = 90

    if "default" not in raw:
        problems.append("default: missing (the strategy for every segment not listed)")
        default = SegmentStrategy("default", ())
    else:
        default = _segment("default", raw["default"], None, problems)

    segments = []
    seen: dict[tuple[str, str, str], str] = {}
    raw_segments = raw.get("segments") or {}
    if not isinstance(raw_segments, dict):
        problems.append("segments: a mapping of segment pattern to strategy")
        raw_segments = {}
    for pattern, body in raw_segments.items():
        where = f"segments.{pattern}"
        normal = _pattern(str(pattern), where, problems)
        if normal is None:
            continue
        if normal in seen:
            problems.append(f"{where}: the same segment as {seen[normal]}")
            continue
        seen[normal] = str(pattern)
        segments.append(_segment(":".join(normal), body, default, problems, where=where))
    # Most specific first: product over bucket over band; ties keep the file's order.
    segments.sort(key=lambda s: specificity(s.pattern), reverse=True)

    escalations = []
    raw_rules = raw.get("escalations") or []
    if not isinstance(raw_rules, list):
        problems.append("escalations: a list of rules")
        raw_rules = []
    names = set()
    for i, body in enumerate(raw_rules):
        rule = _rule(body, f"escalations[{i}]", problems)
        if rule is not None:
            if rule.name in names:
                problems.append(f"escalations[{i}].name: {rule.name!r} is used twice")
            names.add(rule.name)
            escalations.append(rule)

    if problems:
        raise StrategyError(source, problems)
    return Strategy(
        high=high,
        medium=medium,
        signal_lookback_days=int(lookback),
        default=default,
        segments=tuple(segments),
        escalations=tuple(escalations),
        source=source,
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bands(raw, problems: list[str]) -> tuple[float, float]:
    if not isinstance(raw, dict) or set(raw) != {"high", "medium"}:
        problems.append(f"score_bands: exactly high and medium thresholds (got {raw!r})")
        return 0.6, 0.3
    high, medium = raw["high"], raw["medium"]
    ok = True
    for name, value in (("high", high), ("medium", medium)):
        if not _is_number(value) or not 0 <= value <= 1:
            problems.append(f"score_bands.{name}: a number between 0 and 1 (got {value!r})")
            ok = False
    if ok and medium > high:
        problems.append(f"score_bands: medium ({medium}) is above high ({high})")
    return (float(high), float(medium)) if ok else (0.6, 0.3)


def _pattern(pattern: str, where: str, problems: list[str]) -> tuple[str, str, str] | None:
    parts = pattern.split(":")
    if len(parts) not in (2, 3):
        problems.append(f"{where}: write product:bucket or product:bucket:band (* for any)")
        return None
    product, bucket, band = (parts + ["*"])[:3]
    bad = False
    for value, allowed, what in (
        (product, PRODUCTS, "product"),
        (bucket, BUCKET_NAMES, "bucket"),
        (band, BANDS, "band"),
    ):
        if value != "*" and value not in allowed:
            problems.append(f"{where}: unknown {what} {value!r} (one of {', '.join(allowed)}, *)")
            bad = True
    return None if bad else (product, bucket, band)


def _segment(
    pattern: str,
    body,
    default: SegmentStrategy | None,
    problems: list[str],
    *,
    where: str = "default",
) -> SegmentStrategy:
    if not isinstance(body, dict):
        problems.append(f"{where}: a mapping with steps and/or retry")
        return SegmentStrategy(pattern, ())
    for key in body:
        if key not in ("steps", "retry"):
            problems.append(f"{where}.{key}: unknown key (steps, retry)")
    if "steps" in body:
        steps = _steps(body["steps"], f"{where}.steps", problems)
    elif default is not None:
        steps = default.steps
    else:
        problems.append(f"{where}.steps: missing")
        steps = ()
    if "retry" in body:
        retry = _retry(body["retry"], f"{where}.retry", problems)
    else:
        retry = dict(default.retry) if default is not None else {}
    return SegmentStrategy(pattern, steps, retry)


def _steps(raw, where: str, problems: list[str]) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        problems.append(f"{where}: a list of steps (an empty list: no automated contact)")
        return ()
    steps = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{here}: a mapping with channel and from_day")
            continue
        for key in item:
            if key not in ("channel", "from_day", "every_days", "fallback"):
                problems.append(
                    f"{here}.{key}: unknown key (channel, from_day, every_days, fallback)"
                )
        channel = item.get("channel")
        if channel not in CHANNELS:
            problems.append(f"{here}.channel: {channel!r} is not one of {', '.join(CHANNELS)}")
        from_day = item.get("from_day", 0)
        if not _is_int(from_day) or from_day < 0:
            problems.append(f"{here}.from_day: a whole number of days >= 0 (got {from_day!r})")
        every = item.get("every_days", 1)
        if not _is_int(every) or every < 1:
            problems.append(f"{here}.every_days: a whole number of days >= 1 (got {every!r})")
        fallback = item.get("fallback")
        if fallback is not None and (fallback not in CHANNELS or fallback == channel):
            problems.append(
                f"{here}.fallback: {fallback!r} must be another channel than {channel!r} "
                f"(one of {', '.join(CHANNELS)})"
            )
        steps.append(Step(channel, from_day, every, fallback))
    days = [s.from_day for s in steps if _is_int(s.from_day)]
    if len(days) != len(set(days)):
        problems.append(f"{where}: two steps start on the same day")
    try:
        return tuple(sorted(steps, key=lambda s: s.from_day))
    except TypeError:
        return tuple(steps)


def parse_duration(value) -> int:
    """Seconds from 90, "30m", "4h", "1d"; ValueError otherwise."""
    if _is_number(value) and value > 0:
        return int(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"a positive duration such as 30m, 4h or 1d (got {value!r})")
    return int(float(match.group(1)) * _UNIT[match.group(2)])


def _retry(raw, where: str, problems: list[str]) -> dict[str, Backoff]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: a mapping of outcome ({', '.join(RETRY_OUTCOMES)}) to back-off")
        return {}
    result = {}
    for outcome, body in raw.items():
        here = f"{where}.{outcome}"
        if outcome not in RETRY_OUTCOMES:
            problems.append(f"{here}: unknown outcome (one of {', '.join(RETRY_OUTCOMES)})")
            continue
        if not isinstance(body, dict) or "delays" not in body:
            problems.append(f"{here}: a mapping with delays (and max_retries)")
            continue
        for key in body:
            if key not in ("delays", "max_retries"):
                problems.append(f"{here}.{key}: unknown key (delays, max_retries)")
        delays_raw = body["delays"]
        if not isinstance(delays_raw, list) or not delays_raw:
            problems.append(f"{here}.delays: a non-empty list such as [4h, 24h]")
            continue
        delays = []
        for i, d in enumerate(delays_raw):
            try:
                delays.append(parse_duration(d))
            except ValueError as exc:
                problems.append(f"{here}.delays[{i}]: {exc}")
        max_retries = body.get("max_retries", len(delays_raw))
        if not _is_int(max_retries) or max_retries < 0:
            problems.append(f"{here}.max_retries: a whole number >= 0 (got {max_retries!r})")
            continue
        if len(delays) == len(delays_raw):
            result[outcome] = Backoff(tuple(delays), max_retries)
    return result


def _rule(body, where: str, problems: list[str]) -> EscalationRule | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: a mapping with name, when and action")
        return None
    for key in body:
        if key not in ("name", "when", "action", "contact"):
            problems.append(f"{where}.{key}: unknown key (name, when, action, contact)")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}.name: missing")
        name = where
    action = body.get("action")
    if action not in ACTIONS:
        problems.append(f"{where}.action: {action!r} is not one of {', '.join(ACTIONS)}")
        return None
    contact = body.get("contact", ACTIONS[action])
    if not isinstance(contact, bool):
        problems.append(f"{where}.contact: true or false (got {contact!r})")
        contact = ACTIONS[action]
    when = body.get("when") or {}
    if not isinstance(when, dict):
        problems.append(f"{where}.when: a mapping of conditions")
        return None
    allowed = ("products", "bands", "min_dpd", "max_dpd", "any_signal", "all_signals")
    for key in when:
        if key not in allowed:
            problems.append(f"{where}.when.{key}: unknown condition (one of {', '.join(allowed)})")

    def names(key: str, vocabulary) -> frozenset[str] | None:
        value = when.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            problems.append(f"{where}.when.{key}: a non-empty list")
            return None
        for item in value:
            if item not in vocabulary:
                problems.append(
                    f"{where}.when.{key}: unknown {item!r} (one of {', '.join(vocabulary)})"
                )
        return frozenset(value)

    def days(key: str) -> int | None:
        value = when.get(key)
        if value is not None and (not _is_int(value) or value < 0):
            problems.append(f"{where}.when.{key}: a whole number of days >= 0 (got {value!r})")
            return None
        return value

    any_names = names("any_signal", tuple(SIGNALS)) or frozenset()
    all_names = names("all_signals", tuple(SIGNALS)) or frozenset()
    rule = EscalationRule(
        name=name,
        action=action,
        contact=contact,
        products=names("products", PRODUCTS),
        bands=names("bands", BANDS),
        min_dpd=days("min_dpd"),
        max_dpd=days("max_dpd"),
        any_signal=sum(SIGNALS.get(s, 0) for s in any_names),
        all_signals=sum(SIGNALS.get(s, 0) for s in all_names),
    )
    if rule.min_dpd is not None and rule.max_dpd is not None and rule.min_dpd > rule.max_dpd:
        problems.append(f"{where}.when: min_dpd {rule.min_dpd} is above max_dpd {rule.max_dpd}")
    return rule
