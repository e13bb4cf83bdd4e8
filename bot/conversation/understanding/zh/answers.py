"""A no in Chinese, for when Rasa cannot place it: "不用了", "不要", "算了", "不需要", "没兴趣",
"还不了", "做不到"."""

from __future__ import annotations

import re

from bot.conversation.understanding.zh.numbers import normalize

# "不要紧" (never mind), "不错" (good) and "没问题" (no problem) are not a no.
_DECLINE = re.compile(
    r"^(?:嗯|呃|额|哦|啊|唉|那个|这个|我|那|就|还是|恐怕|可能|估计|真的|实在|[,.!?~\s])*"
    r"(?:不用(?!谢)|不要(?!紧)|不需要|不想|不行|不太行|不了|不必|不可以|不能|不可能|不愿意|算了|没兴趣|没必要"
    r"|没办法|没钱|拒绝|免了|别了|不考虑|不同意|不接受|不答应)"
    r"|(?:还|付|交)\s*不\s*(?:了|起)|(?:做|办)\s*不\s*到|拿\s*不\s*出|(?:承诺|保证|答应)\s*不\s*了"
    r"|(?:没|没有)\s*(?:兴趣|能力|办法)|不\s*(?:需要|考虑|接受|同意)|算了吧"
)


def is_decline(text: str) -> bool:
    """The Chinese message says no: it starts with a no ("不用了", "算了", "没兴趣") or says the
    customer cannot pay or commit ("还不了", "做不到", "没有能力")."""
    return bool(_DECLINE.search(normalize(text)))
