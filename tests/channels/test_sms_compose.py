"""Issue #12: every text the bank sends carries the opt-out line (Reg F §1006.6(e)) and, after
verification, the later disclosure (§1006.18(e)(2)), within the segment budget."""

from __future__ import annotations

import pytest

from bot.channels.sms_text import SEGMENT, compose

LINE = "Reply STOP to opt out."
LATER = "This is SPD Bank, a debt collector."


@pytest.mark.parametrize(
    "length", [1, 100, SEGMENT - len(LINE) - 1, SEGMENT - len(LINE), 159, 160, 400]
)
def test_the_line_is_in_the_last_text_whole_and_every_text_fits(length):
    texts = compose(["word " * (length // 5) + "x" * (length % 5)], opt_out_line=LINE)
    assert texts[-1].endswith(LINE) and all(len(t) <= SEGMENT for t in texts)


def test_the_later_disclosure_opens_the_first_text_and_the_line_closes_the_last():
    texts = compose(["First.", "Second, and a long one. " * 8], opt_out_line=LINE, opening=LATER)
    assert texts[0].startswith(LATER) and texts[-1].endswith(LINE)
    assert all(len(t) <= SEGMENT for t in texts)


def test_no_message_is_still_the_line_and_a_line_already_there_is_not_doubled():
    assert compose([], opt_out_line=LINE) == [LINE]
    assert compose([f"Hello. {LINE}"], opt_out_line=LINE) == [f"Hello. {LINE}"]
