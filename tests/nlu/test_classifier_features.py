"""The intent classifier's own features and fit, without Rasa: the sound of Chinese text, and a
homophone typo classified like the word the customer meant."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.classifier import ParaphraseIntentClassifier, sounds
from bot.nlu.tfidf import TfidfRows


def test_sounds_are_toneless_pinyin_with_numbers_as_one_symbol():
    assert sounds("我下周五还1.2万") == "wo xia zhou wu hai N wan"
    assert sounds("尾号5566") == sounds("尾号一二三四") == "wei hao N"
    # One numeral alone is a word, not a number: 一定 is "certainly".
    assert sounds("一定还") == "yi ding hai"


def test_english_has_no_sound_feature():
    assert sounds("I'll pay 200 on friday") == ""


def test_a_homophone_typo_sounds_like_the_word_it_stands_for():
    # 再见 (goodbye) typed as 在见; 已经还了 (already paid) typed as 以经还了.
    classifier = ParaphraseIntentClassifier({}, None, None)
    classifier.fit(
        [
            "再见",
            "拜拜",
            "下次聊",
            "我已经还了",
            "钱还过了",
            "上周还清了",
            "我下周五还",
            "明天还钱",
        ],
        ["goodbye"] * 3 + ["already_paid"] * 3 + ["promise_to_pay"] * 2,
    )
    assert classifier.predict(["在见", "以经还了"]) == ["goodbye", "already_paid"]


def test_scoring_block_by_block_is_scikit_learns_predict_proba():
    texts = [
        "yes speaking",
        "i can pay 200 on friday",
        "who is this",
        "stop calling me",
        "是我本人",
        "我下周五还两千",
        "别再打了",
        "你是谁",
        "ok 我下周五还",
    ]
    intents = ["affirm", "promise_to_pay", "ask_who_calling", "stop_contact"] * 2 + [
        "promise_to_pay"
    ]
    classifier = ParaphraseIntentClassifier({}, None, None)
    classifier.fit(texts, intents)
    model = classifier._fitted["model"]
    unseen = ["yes that's me", "i'll pay two hundred friday", "对，是我", "不要再打电话了", "hm"]
    expected = model.predict_proba(classifier._features(unseen))
    ranked = classifier.rank(unseen)
    for row, ranking in zip(expected, ranked, strict=True):
        got = dict(ranking)
        for intent, probability in zip(model.classes_, row, strict=True):
            assert got[intent] == pytest.approx(probability, abs=1e-12)


@pytest.mark.parametrize(
    "vectorizer",
    [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True),
        TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), lowercase=False),  # noqa: S106
        TfidfVectorizer(norm=None),
        TfidfVectorizer(binary=True),  # not reproduced: scikit-learn's own transform
    ],
)
def test_the_fast_tfidf_rows_are_scikit_learns(vectorizer):
    vectorizer.fit(
        ["yes speaking", "i can pay 200 on friday", "pay pay pay later", "还 钱 了", "我 下周五 还"]
    )
    texts = [
        "i can pay pay pay on friday friday",  # repeated words: the sublinear tf
        "Speaking, YES",
        "还 钱 钱 了 吗",
        "zzz qqq",  # nothing the vocabulary knows: an empty row
        "",
    ]
    expected = vectorizer.transform(texts)
    got = TfidfRows(vectorizer)(texts)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    expected.sort_indices()
    got.sort_indices()
    assert got.indptr.tolist() == expected.indptr.tolist()
    assert got.indices.tolist() == expected.indices.tolist()
    assert np.allclose(got.data, expected.data, rtol=0, atol=1e-12)
    assert got.nnz > 0


def test_the_classifier_serves_with_the_fast_rows():
    classifier = ParaphraseIntentClassifier({}, None, None)
    classifier.fit(["yes speaking", "i can pay 200", "是我", "下周还"], ["affirm", "pay"] * 2)
    assert all(isinstance(rows, TfidfRows) for rows in classifier._tfidf().values())
    assert set(classifier._tfidf()) == {"words", "chars", "zh_words", "zh_sounds"}
