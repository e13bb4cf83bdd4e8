"""Rasa's model graph run in a precomputed order (bot/infra/rasa_graph.py) gives what Rasa's dask
runner gives: the same parse of each message (intent ranking, entities) and the same next-action
prediction, on the trained model's very nodes; and it is the runner our Rasa server loads."""

from __future__ import annotations

import asyncio

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.infra.tracker_store  # noqa: F401 (what Rasa imports from the endpoints file)
from bot.infra.rasa_graph import OrderedGraphRunner
from bot.infra.supervisor import model_path, train
from bot.settings import get_settings

MESSAGES = [
    '/start_conversation{"account_id": "CC-1001", "channel": "chat"}',
    "yes speaking",
    "4821",
    "i can pay 200 tomorrow",
    "I will pay $350.50 on the 15th of next month",
    "instalmnts plz",
    "stop calling me",
    "我下周五还1.2万",
    "能不能分十二期还款",
    "asdf qwer",
]


@pytest.fixture(scope="module")
def agent():
    settings = get_settings()
    train(settings)  # as the stack does: only if the model is missing or older than its data
    return Agent.load(str(model_path(settings)))


def runners(agent: Agent) -> tuple[DaskGraphRunner, OrderedGraphRunner]:
    """Rasa's runner and ours, over the same loaded nodes."""
    loaded = agent.processor.graph_runner
    dask = DaskGraphRunner.__new__(DaskGraphRunner)
    dask.__dict__.update(loaded.__dict__)
    ordered = OrderedGraphRunner.__new__(OrderedGraphRunner)
    ordered.__dict__.update(loaded.__dict__)
    ordered._orders = {}
    return dask, ordered


def served(agent: Agent, runner, work):
    agent.processor.graph_runner = runner
    loop = asyncio.new_event_loop()
    try:
        return [loop.run_until_complete(work(text)) for text in MESSAGES]
    finally:
        loop.close()


def test_our_rasa_server_loads_the_ordered_runner():
    assert rasa.core.processor.DaskGraphRunner is OrderedGraphRunner


def test_each_message_is_parsed_as_rasas_runner_parses_it(agent):
    dask, ordered = runners(agent)
    theirs = served(agent, dask, agent.parse_message)
    ours = served(agent, ordered, agent.parse_message)
    assert {p["intent"]["name"] for p in theirs} >= {"affirm", "nlu_fallback"}, "varied intents"
    assert any(p["entities"] for p in theirs)
    for text, mine, rasas in zip(MESSAGES, ours, theirs, strict=True):
        assert mine == rasas, text


def test_the_next_action_is_predicted_as_rasas_runner_predicts_it(agent):
    domain = agent.processor.domain

    async def predict(text: str):
        parsed = await agent.parse_message(text)
        tracker = DialogueStateTracker.from_events(
            "graph-test",
            [
                ActionExecuted("action_listen"),
                UserUttered(text, parsed["intent"], parse_data=parsed),
            ],
            slots=domain.slots,
        )
        prediction = agent.processor.predict_next_with_tracker(tracker)
        del prediction["tracker"]  # the state it was given, with the time it was made
        return prediction

    dask, ordered = runners(agent)
    theirs = served(agent, dask, predict)
    ours = served(agent, ordered, predict)
    assert len({max(p["scores"], key=lambda s: s["score"])["action"] for p in theirs}) > 2
    assert ours == theirs


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(agent):
    _, ordered = runners(agent)
    node = next(iter(ordered._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        ordered.run(inputs={"__message__": node}, targets=[node])
