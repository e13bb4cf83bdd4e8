"""Is this message a request to stop contacting the customer, and which channels does it name?

One deterministic check, run on every inbound customer message (SMS in bot/channels/sms.py; chat,
the text API and voice transcripts in bot/channels/turns.py) before Rasa sees it, so an opt-out
never depends on a classifier, nor on Rasa or the action server being up.

TCPA: consent may be revoked "by any reasonable means" (FCC 24-24, 2024 order; 47 CFR
64.1200(a)(10)); a revocation on one channel that is unclear about the others may get one
clarifying question (47 CFR 64.1200(a)(12)). Reg F §1006.6(e): every electronic communication
offers a way to opt out. Reg F §1006.6(c): a written refusal to pay or request to cease stops
collection communication (`refuses_to_pay`, and an "all" revocation in writing).

Pure: text in, an answer out. The words of each language are data (`WORDINGS`): a language adds
its entry (the Mandarin work adds "zh") and every channel understands it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Named = Literal["calls", "texts", "all", "unclear"]

# Ledger channel codes (bot.ledger.models.OptOut.channel) for what a revocation names.
LEDGER_CHANNELS: dict[str, tuple[str, ...]] = {
    "calls": ("voice",),
    "texts": ("sms",),
    "all": ("all",),
}
# The outbound channels a customer can be asked about, per channel a message came on.
OTHER_CHANNELS = {"sms": ("calls",), "voice": ("texts",), "chat": ("calls", "texts")}


@dataclass(frozen=True)
class Revocation:
    named: Named
    keyword: bool = False  # a whole-message carrier keyword (STOP): settled, nothing to ask

    @property
    def asks_which_others(self) -> bool:
        """Unclear wording closes the channel it came on and asks once about the others."""
        return self.named == "unclear" and not self.keyword

    def ledger_channels(self, came_on: str) -> tuple[str, ...]:
        """The OptOut.channel codes to record: the named ones, else the channel it came on."""
        return LEDGER_CHANNELS.get(self.named, (came_on,))


@dataclass(frozen=True)
class Wording:
    """One language's words. Patterns are matched case-insensitively on the whole message."""

    keywords: frozenset[str]  # a whole message that is only this: stop (the channel it came on)
    all_keywords: frozenset[str]  # a whole message that is only this: stop everything
    stop: re.Pattern  # a request to stop contact; its clause is read for the channels named
    calls: re.Pattern  # names phone calls
    texts: re.Pattern  # names text messages
    everything: re.Pattern  # names every kind of contact
    refusal: re.Pattern  # refuses to pay (Reg F §1006.6(c)(1))
    answers: dict[str, Named]  # a bare reply to "which others?" -> what it names
    clause_end: re.Pattern  # where the stop request's clause ends ("stop texting, call me")
    # The stop request's first word, never a clause end itself ("no," / "don't,"): English words
    # end at a space; Chinese has no spaces, so one character.
    first_word: re.Pattern = re.compile(r"\S+\s*")
    # Whole-message keywords honoured only for the language's own customers: mere letters to
    # anyone else ("T", "TD", the Chinese carriers' shorthand for 退订).
    shorthand: frozenset[str] = frozenset()
    # Read for every customer, whatever their language: words in a script no other language
    # shares cannot be mistaken for anything but a request to stop (FCC 24-24, "any reasonable
    # means"). The shorthand stays the language's own.
    read_for_everyone: bool = False


def _words(*alternatives: str) -> str:
    return "|".join(alternatives)


_EN_CONTACT = _words(
    r"call(?:s|ing)?",
    r"phon(?:e|es|ing)",
    r"ring(?:ing)?",
    r"text(?:s|ing)?",
    r"messag(?:e|es|ing)",
    r"sms",
    r"contact(?:s|ing)?",
    r"communicat\w*",
    r"bother(?:ing)?",
    r"harass(?:ing)?",
    r"email(?:s|ing)?",
    r"reach(?:ing)? out",
)
# Words that may sit between "stop"/"don't" and the contact verb ("don't ever call").
_EN_FILLER = (
    r"(?:(?:ever|even|again|please|all|the|your|those|these|any|with|me|us|more|bloody|damn)"
    r"\s+){0,3}"
)

ENGLISH = Wording(
    keywords=frozenset(
        {"stop", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out", "opt-out"}
    ),
    all_keywords=frozenset({"stopall", "stop all"}),
    stop=re.compile(
        rf"\b(?:stop|quit|cease|don'?t|do\s+not|never|no\s+more|no)\s+{_EN_FILLER}(?:{_EN_CONTACT})\b"
        r"|\b(?:stop|quit)\s+sending\b|\bleave\s+me\s+alone\b|\bunsubscribe\b|\bopt\s*(?:me\s+)?out\b"
        r"|\bremove\s+(?:me|my\s+number)\b|\btake\s+me\s+off\b|\blose\s+my\s+number\b",
        re.IGNORECASE,
    ),
    calls=re.compile(r"\b(?:call(?:s|ing|ed)?|phon(?:e|es|ing)|ring(?:ing)?|voice)\b", re.I),
    texts=re.compile(r"\b(?:text(?:s|ing)?|messag(?:e|es|ing)|sms|send(?:ing)?)\b", re.I),
    everything=re.compile(
        r"\b(?:contact(?:s|ing)?|communicat\w*|anything|everything|reach(?:ing)? out)\b",
        re.I,
    ),
    refusal=re.compile(
        r"\b(?:i\s+)?(?:refuse|won'?t|will\s+not|am\s+not|i'?m\s+not|never\s+going)\s+(?:to\s+)?"
        r"(?:(?:ever|going\s+to|gonna)\s+)?pay(?:ing)?\b"
        # "I won't pay until Friday" is a date, not a refusal
        r"(?!\s+(?:until|till|before|today|tomorrow|now|this\s+(?:month|week|time)|yet|right|the\s+full|in\s+full|all|more|that\s+much|it\s+all))",
        re.IGNORECASE,
    ),
    answers={
        "yes": "all",
        "both": "all",
        "all": "all",
        "everything": "all",
        "calls": "calls",
        "call": "calls",
        "calls too": "calls",
        "stop calls": "calls",
        "texts": "texts",
        "text": "texts",
        "texts too": "texts",
        "stop texts": "texts",
    },
    clause_end=re.compile(r"[.;!?]|,|\b(?:but|instead|however|though)\b", re.IGNORECASE),
)

# Mandarin (issue #13), as Chinese customers write to a bank's number. The carriers' convention
# is "回复TD退订" (reply TD to unsubscribe): 退订, TD, T, 取消 or 停止 on their own are keywords,
# as STOP is. 不要再打 (电话) names calls, 不要再发 (短信) texts, 退订 texts, 别再联系我 every
# channel; 别烦我 / 别再打扰我 ("leave me alone") is unclear, as in English.
_ZH_PAUSE = r"(?=$|[\s，,。.；;！!？?、~～…]|了|吧|啊|呀|哦|啦|哈)"  # a verb's clause ends here
_ZH_NOT = r"(?:不要|不用|不必|不需要|别|勿|停止|不准|不许|不再|拒绝)"
_ZH_NOT_WANT = r"(?:不想|不希望|不愿意?)再?(?:接|收|听)到?"  # "不想再接到电话"; not "不想打电话"
_ZH_BETWEEN = (
    r"(?:再也|再|继续|老是|老|总是|一直|天天|每天|这么|那么|频繁|乱|给我|跟我|向我|找我|对我|"
    r"我|给|来|接|收|到|听|用|通过|你们的?|你的?|的|了){0,5}"
)
_ZH_CALL = (
    rf"打(?:我的?|给我)?(?:电话|手机|座机|过来|来)|打(?:给我)?{_ZH_PAUSE}|电话(?!号)|来电|致电|call"
)
_ZH_TEXT = (
    rf"发(?:送)?(?:我|给我)?的?(?:短信|信息|消息|短讯)|发(?:给我)?{_ZH_PAUSE}|短信|信息|消息|短讯"
)
_ZH_ALL = r"联系|联络"
_ZH_UNCLEAR = r"打扰|骚扰|烦|催(?:我|了|款|收|债)?|提醒|通知"

CHINESE = Wording(
    keywords=frozenset({"退订", "取消", "停止", "退订短信", "取消订阅", "td退订", "退订td"}),
    all_keywords=frozenset({"全部退订", "退订全部", "退订所有", "所有退订"}),
    stop=re.compile(
        rf"{_ZH_NOT}{_ZH_BETWEEN}(?:{_ZH_CALL}|{_ZH_TEXT}|{_ZH_ALL}|{_ZH_UNCLEAR})"
        rf"|{_ZH_NOT_WANT}(?:你们|你)?的?(?:{_ZH_CALL}|{_ZH_TEXT})"
        r"|退订|取消(?:订阅|短信|提醒|通知)|退出(?:短信|提醒|通知)"
        r"|(?:删除|删掉|删)我的(?:号码|电话|手机号?)"
        r"|把我的?(?:号码|电话号码?|手机号?)(?:删除|删掉|删了|删|去掉|移除|拉黑)"
        r"|拉黑我|放过我|让我(?:清静|安静)",
        re.IGNORECASE,
    ),
    calls=re.compile(r"打(?!扰|算|折|开|款|钱|卡|印|车)|电话(?!号)|来电|致电|通话|call", re.I),
    texts=re.compile(r"发(?!票|工资|货|生|现|火)|短信|信息|消息|短讯|退订|订阅|text|sms", re.I),
    everything=re.compile(r"联系|联络|所有|全部|一切|任何|都不要|都别", re.I),
    refusal=re.compile(
        r"拒绝(?:还款|还钱|付款|支付|偿还|还)"
        # "我不还" / "就是不会还的"; not "现在不还" (not now), "还不还" (a question), "不是不想还"
        # (it is not that I won't) or "不还完" (not all of it)
        r"|(?<!前)(?<!现在)(?<!暂时)(?<!这个月)(?<!今天)(?<!目前)(?<!马上)(?<!还)(?<!不是)"
        r"(?:坚决|绝对|就是|偏|死也|永远|根本)?不(?:会|打算|准备|想|愿意|可能)?再?还(?:钱|款|你们|你)?"
        rf"(?:的|了)?{_ZH_PAUSE}",
    ),
    answers={
        **dict.fromkeys(
            ("是", "是的", "对", "对的", "要", "好", "好的", "嗯", "可以", "都", "都要", "都停"),
            "all",
        ),
        **dict.fromkeys(("都不要", "全部", "两个都", "都停止", "电话短信都不要"), "all"),
        **dict.fromkeys(
            ("电话", "来电", "打电话", "电话也不要", "电话也停", "不要电话", "电话也退订"), "calls"
        ),
        **dict.fromkeys(("短信", "发短信", "短信也不要", "不要短信", "短信也退订"), "texts"),
    },
    clause_end=re.compile(r"[，,。.；;！!？?\n]|但是|但|不过|可以|改成|改为|换成|只|请", re.I),
    first_word=re.compile(r".", re.S),
    shorthand=frozenset({"t", "td"}),
    read_for_everyone=True,
)

WORDINGS: dict[str, Wording] = {"en": ENGLISH, "zh": CHINESE}


def _bare(text: str) -> str:
    """The message as a keyword would be written: lower case, letters, spaces and dashes, a
    leading or trailing "please" dropped ("stop please" is STOP)."""
    words = re.sub(r"[^\w\s-]", "", _plain(text).lower()).strip()
    words = re.sub(r"\s+", " ", words)
    return re.sub(r"^please\s+|\s+please$", "", words)


def _plain(text: str) -> str:
    """Full-width letters and punctuation (what a Chinese input method types: "ＴＤ", "！") as
    their plain forms."""
    return unicodedata.normalize("NFKC", text)


def _wordings(languages: tuple[str, ...]) -> list[tuple[Wording, bool]]:
    """The wordings to read, each with whether it is the customer's own language: English
    always (the carriers' keywords are English everywhere), the customer's languages, and every
    wording that is read for everyone."""
    own = dict.fromkeys(("en", *languages))
    read = [(WORDINGS[lang], True) for lang in own if lang in WORDINGS]
    read += [(w, False) for lang, w in WORDINGS.items() if w.read_for_everyone and lang not in own]
    return read


def revocation(text: str, languages: tuple[str, ...] = ()) -> Revocation | None:
    """The opt-out `text` asks for, or None when it asks for none. English is always read (the
    carrier keywords are English everywhere); `languages` adds the customer's own."""
    bare, text = _bare(text), _plain(text)
    for wording, own in _wordings(languages):
        if bare in wording.all_keywords:
            return Revocation("all", keyword=True)
        if bare in wording.keywords or (own and bare in wording.shorthand):
            return Revocation("unclear", keyword=True)
    for wording, _own in _wordings(languages):
        found = list(wording.stop.finditer(text))
        if found:
            # Every stop request in the message counts: "不要打电话，也别发短信" names both.
            named = {_named(wording, _clause(wording, text, f.start())) for f in found}
            return Revocation(_union(named))
    return None


def _union(named: set[Named]) -> Named:
    known = named - {"unclear"}
    if "all" in known or {"calls", "texts"} <= known:
        return "all"
    return known.pop() if known else "unclear"


def _clause(wording: Wording, text: str, start: int) -> str:
    """The stop request's own clause: from its first word to the next clause end, so that
    "stop texting me, call me instead" names texts only."""
    rest = text[start:]
    first_word = wording.first_word.match(rest)
    skip = first_word.end() if first_word else 0
    end = wording.clause_end.search(rest, skip)
    return rest[: end.start()] if end else rest


def _named(wording: Wording, clause: str) -> Named:
    calls, texts = bool(wording.calls.search(clause)), bool(wording.texts.search(clause))
    if wording.everything.search(clause) or (calls and texts):
        return "all"
    if calls:
        return "calls"
    if texts:
        return "texts"
    return "unclear"


def answer(text: str, languages: tuple[str, ...] = ()) -> Named | None:
    """A bare reply to the one "which others?" question ("calls", "yes", "both"), or None."""
    bare = _bare(text)
    for wording, _own in _wordings(languages):
        if bare in wording.answers:
            return wording.answers[bare]
    return None


def refuses_to_pay(text: str, languages: tuple[str, ...] = ()) -> bool:
    """A refusal to pay (Reg F §1006.6(c)(1)): in writing, it stops collection contact."""
    return any(w.refusal.search(_plain(text)) for w, _own in _wordings(languages))


def is_cease_request(found: Revocation | None) -> bool:
    """A request to stop every communication (Reg F §1006.6(c)(1)) rather than one channel's."""
    return found is not None and found.named == "all"
