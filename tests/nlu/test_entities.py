"""The entity extractor loaded for serving (bot/nlu/entities.py) extracts exactly what Rasa's own
load of the same trained model does, without Rasa's training step."""

import asyncio
from unittest import mock

import pytest
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIET

from bot.infra.supervisor import model_path, train
from bot.nlu.entities import EntityDIET, ServingDIET
from bot.settings import get_settings

MESSAGES = [
    "i can pay 200 tomorrow",
    "my date of birth is 12 march 1980",
    "4821",
    "I will pay $350.50 on the 15th of next month",
    "pay in 3 instalments of 100",
    "call me back at 5pm",
    "我下周五还1.2万",
    "能不能分十二期还款",
    "yes",
]


def load(serving: bool):
    """The trained model as Rasa serves it, with our load of DIET or Rasa's."""
    settings = get_settings()
    train(settings)  # as the stack does: only if the model is missing or older than its data
    rasas_own = classmethod(lambda cls, *args, **kwargs: DIET.load.__func__(cls, *args, **kwargs))
    with mock.patch.object(ServingDIET, "load", ServingDIET.load if serving else rasas_own):
        return Agent.load(str(model_path(settings)))


def extractor(agent: Agent) -> EntityDIET:
    runner = agent.processor.graph_runner
    nodes = runner._instantiated_nodes.values()  # Rasa keeps the loaded components here
    return next(n._component for n in nodes if isinstance(n._component, EntityDIET))


def entities(agent: Agent) -> list[list[tuple]]:
    loop = asyncio.new_event_loop()
    try:
        parsed = [loop.run_until_complete(agent.parse_message(m)) for m in MESSAGES]
    finally:
        loop.close()
    return [
        [
            (e["entity"], e["start"], e["end"], e["value"], e["confidence_entity"])
            for e in p["entities"]
        ]
        for p in parsed
    ]


@pytest.fixture(scope="module")
def both():
    return load(serving=True), load(serving=False)


def test_serving_load_extracts_what_rasas_load_does(both):
    ours, rasas = entities(both[0]), entities(both[1])
    assert any(ours), "the messages should have entities to compare"
    for message, mine, theirs in zip(MESSAGES, ours, rasas, strict=True):
        assert [e[:4] for e in mine] == [e[:4] for e in theirs], message
        for a, b in zip(mine, theirs, strict=True):
            assert a[4] == pytest.approx(b[4], abs=1e-6), message


def test_serving_load_skips_the_training_step(both):
    ours, rasas = (extractor(agent).model for agent in both)
    assert isinstance(ours, ServingDIET)
    # Rasa's load compiles the model with an optimizer and fits one example; ours does neither.
    assert rasas.optimizer is not None
    assert ours.optimizer is None


def test_the_direct_graph_call_predicts_what_rasas_tf_function_does(both):
    agent = both[0]
    ours = entities(agent)
    assert extractor(agent).model._predict_graph is not None  # the direct call served them
    with mock.patch.object(ServingDIET, "_rasa_predict", DIET._rasa_predict):
        rasas = entities(agent)
    assert any(ours)
    for message, mine, theirs in zip(MESSAGES, ours, rasas, strict=True):
        assert [e[:4] for e in mine] == [e[:4] for e in theirs], message
        for a, b in zip(mine, theirs, strict=True):
            assert a[4] == pytest.approx(b[4], abs=1e-6), message
