"""The supervisor page's KPI table and chart on the fixture ledger: each rate with its numerator
and denominator, the chart's axes (ticks, titles) and legend, the wait to claim over claimed cases
only. Rendered from the real template (bot/web/templates/supervisor.html)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from bot.agents import console_data
from bot.ledger.db import session_scope
from bot.web.templating import templates
from tests.analytics.kpi_fixture import build

NOW = datetime(2026, 3, 3, 18, tzinfo=timezone.utc)  # the fixture's second day


@pytest.fixture
def page(sqlite_url):
    from bot.ledger.db import migrate

    migrate(sqlite_url)
    build(sqlite_url)
    with session_scope(sqlite_url) as session:
        stats = console_data.supervisor(session, now=NOW)
        charts = console_data.kpi_charts(session, now=NOW)
    html = templates.get_template("supervisor.html").render(
        bank="Test Bank", agent=None, stats=stats, charts=charts
    )
    return html, charts


def cells(html: str, channel: str) -> list[str]:
    row = re.search(rf'<tr><th scope="row">{channel}</th>(.*?)</tr>', html, re.S).group(1)
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in found]


def test_the_table_shows_numerators_and_denominators(page):
    html, _charts = page
    sms = cells(html, "sms")
    assert sms[:7] == [
        "2",
        "3 (1 + 2)",
        "1/2 (50%)",
        "2/3 (67%)",
        "1/2 (50%)",
        "0/0 (—)",
        "USD 20.00",
    ]
    voice = cells(html, "voice")
    # The 14 days up to D2 hold D0 too: voice is 1 (c0) + 5 + 1 + 1 (D1) + 1 (D2) attempts,
    # 6 outbound contacts (c0, c1, c2, c6, c4, c5) + 1 inbound (c7); RPC c0, c1, c6, c4.
    assert voice[:4] == ["9", "7 (6 + 1)", "6/9 (67%)", "4/7 (57%)"]
    # Promised p0 99 + p1 50 + p2 30 + p4 80; collected the kept p0 and p1.
    assert voice[6:8] == ["USD 259.00", "USD 149.00"]
    for match in re.findall(r"\((\d+)%\)", html):
        assert int(match) <= 100


def test_the_wait_to_claim_is_over_claimed_cases(page):
    html, _charts = page
    assert "Over the 2 claimed cases: mean 210 s" in html
    assert "Open now: 1, the oldest waiting for " in html


def test_the_chart_has_axes_ticks_and_a_legend(page):
    html, charts = page
    svg = re.search(r'<svg id="attempts-chart".*?</svg>', html, re.S).group(0)
    assert "Count per day" in svg and "Day of the month (UTC)" in svg
    # The busiest day (D1: 9 attempts, 9 contacts) sets the top tick at 10.
    assert charts["peak"] == 10
    assert [t["value"] for t in charts["ticks"]] == [0, 5, 10]
    ticks = re.findall(r'text-anchor="end">(\d+)</text>', svg)
    assert ticks == ["0", "5", "10"]
    d1 = next(d for d in charts["per_day"] if d["day"].day == 2)
    assert (d1["attempts"], d1["contacts"], d1["promises"]) == (9, 9, 4)
    assert d1["contacts_h"] == pytest.approx(9 / 10 * 180)
    for name in ("Attempts", "Contacts (a person reached, out + in)", "Promises to pay"):
        assert name in html
    assert svg.count("<rect") == 14 * 3  # three bars for each of the 14 days
    assert "2026-03-02: 9 attempts" in svg


@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (3, 5), (10, 10), (11, 20), (480, 500)])
def test_nice_ceiling(value, top):
    assert console_data.nice_ceiling(value) == top
