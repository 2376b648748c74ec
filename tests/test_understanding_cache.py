"""The NLU result cache gives the model's own answer, once per text and model."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from rasa_extensions import understanding_cache
from rasa_extensions.understanding_cache import MAX_CACHED_CHARACTERS, UnderstandingCache, reuse_understanding


@pytest.fixture(scope="module")
def agent(model_path: Path) -> Agent:
    return Agent.load(str(model_path))


def parse(cache: UnderstandingCache, agent: Agent, text: str) -> Dict[str, Any]:
    return asyncio.run(cache.parse(agent, UserMessage(text)))


def model_parse(agent: Agent, text: str) -> Dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def test_a_repeated_message_is_understood_once_and_the_same_way(agent: Agent) -> None:
    cache = UnderstandingCache()
    first = parse(cache, agent, "how much does it cost?")
    second = parse(cache, agent, "how much does it cost?")
    assert (cache.misses, cache.hits) == (1, 1)
    assert first == second == model_parse(agent, "how much does it cost?")
    assert second["intent"]["name"] == "faq"


def test_changing_a_returned_result_does_not_change_the_cache(agent: Agent) -> None:
    cache = UnderstandingCache()
    parse(cache, agent, "hello")["intent"]["name"] = "changed"
    assert parse(cache, agent, "hello")["intent"]["name"] == "greet"


def test_the_least_recently_used_text_is_dropped_when_full(agent: Agent) -> None:
    cache = UnderstandingCache(size=2)
    for text in ("hello", "thanks", "hello", "does it hurt?", "hello", "thanks"):
        parse(cache, agent, text)
    # "thanks" was dropped when "does it hurt?" came in; "hello" never was.
    assert (cache.misses, cache.hits) == (4, 2)


def test_long_messages_are_not_kept(agent: Agent) -> None:
    cache = UnderstandingCache()
    long_text = "My scars are deep and I would like to know what the laser can do for them. " * 4
    assert len(long_text) > MAX_CACHED_CHARACTERS
    parse(cache, agent, long_text)
    parse(cache, agent, long_text)
    assert (cache.misses, cache.hits) == (2, 0)


@pytest.fixture
def rasa_app(agent: Agent) -> Iterator[Sanic]:
    """A Sanic app holding the agent, as `rasa run` sets one up."""
    app = Sanic("understanding_cache_test")
    app.ctx.agent = agent
    yield app
    Sanic._app_registry.pop(app.name, None)


def test_channels_hand_rasa_the_parse_result_with_the_message(
    rasa_app: Sanic, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(understanding_cache, "_cache", UnderstandingCache())
    received: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    handle = reuse_understanding(on_new_message)
    for _ in range(2):
        asyncio.run(handle(UserMessage("is the laser painful?", sender_id="visitor")))
    assert [message.parse_data for message in received] == [model_parse(agent, "is the laser painful?")] * 2
    assert understanding_cache._cache.hits == 1


def test_messages_are_parsed_off_the_event_loop_and_match_sequential_parses(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert agent.processor is not None
    parse_message = agent.processor.parse_message
    threads: List[str] = []

    async def recording_parse(message: UserMessage) -> Dict[str, Any]:
        threads.append(threading.current_thread().name)
        return await parse_message(message)

    monkeypatch.setattr(agent.processor, "parse_message", recording_parse)
    texts = ["does it hurt?", "how long is the redness?", "where are you?", "hi", "what does it cost?"] * 2
    cache = UnderstandingCache()

    async def visitors_at_once() -> List[Dict[str, Any]]:
        return await asyncio.gather(*(cache.parse(agent, UserMessage(text)) for text in texts))

    at_once = asyncio.run(visitors_at_once())
    assert threads and set(threads) == {"understanding"}
    assert at_once == [model_parse(agent, text) for text in texts]
