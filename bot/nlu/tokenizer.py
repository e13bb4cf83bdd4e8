"""One tokenizer for English and Mandarin: Rasa's WhitespaceTokenizer, with each run of Chinese
characters then cut into words by jieba.

English text is tokenized exactly as before (the English features and entities do not move);
Chinese has no spaces, so without jieba a whole clause would be one token and DIET could never
tag "下周五" or "两千" inside "我下周五还两千". jieba's dictionary is a general one: the words a
collections conversation turns on (dates, amounts, instalments) are added so that the entity
spans in nlu_data/*_zh.yml are whole tokens ("我下|周五" would split "下周五").
"""

from __future__ import annotations

import re
import threading
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日", "天", "末"]
_NUMBERS = "一二三四五六七八九十两"

# Words jieba's general dictionary does not keep whole; each is a date, amount or term span.
COLLECTIONS_WORDS = (
    [f"{week}{day}" for week in ("周", "星期", "礼拜") for day in _WEEKDAYS]
    + [
        f"{when}{week}{day}"
        for when in ("下", "下下", "这", "本", "这个")
        for week in ("周", "星期", "礼拜")
        for day in _WEEKDAYS
    ]
    + [f"{when}{week}" for when in ("下", "下下", "这", "本") for week in ("周", "星期", "礼拜")]
    + [f"{n}号" for n in ("一", "二", "三", "五", "十", "十五", "二十", "二十五", "三十")]
    + [f"{n}天后" for n in _NUMBERS]
    + [f"{n}期" for n in _NUMBERS]
    + [f"{n}个月" for n in _NUMBERS]
    + ["十二期", "二十四期"]
    + [f"{n}千" for n in _NUMBERS]
    + [f"{n}万" for n in _NUMBERS]
    + [f"{n}百" for n in _NUMBERS]
    + ["一千五", "两千五", "三千五", "一万二", "一万五", "五百块", "一千块", "两千块", "八百块"]
    + ["月底", "月初", "月中", "下个月", "下月", "这个月底", "下个月初", "下个月底", "下月初"]
    + ["下月底", "年底"]
    + ["大后天", "后天", "明天", "今天", "今晚", "明早", "明晚", "晚点", "晚上", "下午", "中午"]
    + ["发工资", "最低还款", "最低还款额", "全部", "一半", "剩下的", "全额", "分期", "展期"]
    + ["转人工", "人工客服", "以经", "在打", "不用了", "没问题", "退订", "还款", "还清"]
)

_jieba = None
_jieba_lock = threading.Lock()


def segmenter() -> Any:
    """One jieba tokenizer per process with our words added (its own instance: other code in
    the process may use jieba's global one)."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(60)  # it logs its dictionary loading at INFO
            made = jieba.Tokenizer()
            for word in COLLECTIONS_WORDS:
                made.add_word(word, freq=200000)
            _jieba = made
        return _jieba


def cut(text: str) -> list[tuple[str, int]]:
    """Chinese runs of `text` cut into words, with their offsets; other characters dropped."""
    words = []
    for run in _RUN.finditer(text):
        for word, start, _end in segmenter().tokenize(run.group()):
            words.append((word, run.start() + start))
    return words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualTokenizer(WhitespaceTokenizer):
    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None  # the point of this tokenizer: Chinese as well as English

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba"]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if not CJK.search(message.get(attribute) or ""):
            return tokens
        out: list[Token] = []
        for token in tokens:
            if not CJK.search(token.text):
                out.append(token)
                continue
            # A token may mix scripts ("2000块", "还款app"): jieba keeps the Latin part whole.
            for word, start, _end in segmenter().tokenize(token.text):
                if word.strip():
                    out.append(Token(word, token.start + start))
        return self._apply_token_pattern(out)
