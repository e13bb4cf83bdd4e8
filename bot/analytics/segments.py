"""Segments: product x days-past-due bucket, the unit a collection strategy is written for."""

from __future__ import annotations

BUCKETS = ((1, 30, "1-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


def dpd_bucket(days_past_due: int) -> str:
    """The days-past-due bucket; 0 (not yet overdue) is "current"."""
    for low, high, name in BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return name
    return "current"


def segment_of(product: str, days_past_due: int) -> str:
    return f"{product}:{dpd_bucket(days_past_due)}"
