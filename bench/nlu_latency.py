"""NLU's share of a turn: the trained model served by a bare `rasa run --enable-api`, each message
parsed on its own (`/model/parse`, one at a time, after a warm-up), p50 per message. English
messages go through the MiniLM sentence embedding, Chinese ones skip it (bot/nlu/classifier.py),
so the difference between the two is about what the embedding costs.

    .venv/bin/python -m bench.nlu_latency --repeat 15
    .venv/bin/python -m bench.nlu_latency --one-thread   # as the stack serves Rasa (ONE_THREAD)

Besides the latency it prints the Rasa process's CPU per parse (user + system, all threads).
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from bench.chat_throughput import cpu_seconds, start_rasa
from bot.infra.supervisor import ONE_THREAD, model_path, rasa_env
from bot.settings import Settings

MESSAGES = [
    "yes it's me",
    "4821",
    "how much do I owe",
    "I can pay 50 on Friday",
    "yes",
    "是我",
    "我下周五还两千",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--one-thread", action="store_true", help="Rasa on one BLAS thread")
    args = parser.parse_args()
    model = model_path(Settings())
    if not model.exists():
        raise SystemExit("no trained model: run `make train` first")
    env = {**rasa_env(), **ONE_THREAD} if args.one_thread else rasa_env()
    rasa, url = start_rasa(model, env, "--enable-api")
    try:
        with httpx.Client(timeout=30) as client:
            for text in MESSAGES:  # warm-up
                client.post(url + "/model/parse", json={"text": text})
            for text in MESSAGES:
                took, cpu = [], cpu_seconds({"rasa": rasa.pid})["rasa"]
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    client.post(url + "/model/parse", json={"text": text})
                    took.append((time.perf_counter() - started) * 1000)
                cpu = (cpu_seconds({"rasa": rasa.pid})["rasa"] - cpu) / args.repeat * 1000
                print(
                    f"{text!r:32} parse p50 {statistics.median(took):5.1f} ms, "
                    f"Rasa's CPU {cpu:5.1f} ms"
                )
    finally:
        rasa.terminate()
        rasa.wait()


if __name__ == "__main__":
    main()
