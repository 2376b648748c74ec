"""The NLU result cache gives the model's own answer, once per text and model."""

from __future__ import annotations

import asyncio
import functools
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from sanic import Sanic

from rasa_extensions import understanding_cache
from rasa_extensions.understanding_cache import MAX_CACHED_CHARACTERS, UnderstandingCache, reuse_understanding


@pytest.fixture(scope="module")
def agent(model_path: Path) -> Agent:
    return Agent.load(str(model_path))


def rasa_parse_message(agent: Agent) -> Any:
    """Rasa's own parse_message of the agent's processor (never the cached one)."""
    assert agent.processor is not None
    return functools.partial(MessageProcessor.parse_message, agent.processor)


def parse(cache: UnderstandingCache, agent: Agent, text: str) -> Dict[str, Any]:
    assert agent.processor is not None
    return asyncio.run(cache.parse(agent.processor, rasa_parse_message(agent), UserMessage(text)))


def model_parse(agent: Agent, text: str) -> Dict[str, Any]:
    return asyncio.run(rasa_parse_message(agent)(UserMessage(text)))


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


def test_channels_have_rasa_parse_through_the_cache_started_on_arrival(
    rasa_app: Sanic, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(understanding_cache, "_cache", UnderstandingCache())
    assert agent.processor is not None
    # Undone after the test: the agent is shared with the other tests.
    monkeypatch.setattr(agent.processor, "parse_message", agent.processor.parse_message)
    parsed: List[Dict[str, Any]] = []
    started_before_rasa_asked: List[bool] = []

    async def on_new_message(message: UserMessage) -> None:
        # What Rasa does with a message after reading the conversation.
        assert agent.processor is not None and message.text is not None
        key = (agent.processor.model_metadata.model_id, message.text, True)
        started_before_rasa_asked.append(key in understanding_cache._cache._results)
        parsed.append(await agent.processor.parse_message(message, None))

    handle = reuse_understanding(on_new_message)
    for _ in range(2):
        asyncio.run(handle(UserMessage("is the laser painful?", sender_id="visitor")))
    assert parsed == [model_parse(agent, "is the laser painful?")] * 2
    assert started_before_rasa_asked == [True, True]
    # Parsed once: on the first message's arrival.
    assert understanding_cache._cache.misses == 1


def test_a_parse_started_early_is_the_one_rasa_gets(agent: Agent) -> None:
    assert agent.processor is not None
    cache = UnderstandingCache()
    text = "could the laser leave me with darker patches on my brown skin"
    started = cache.start(agent.processor, rasa_parse_message(agent), UserMessage(text))
    assert started is cache.start(agent.processor, rasa_parse_message(agent), UserMessage(text))  # shared
    assert parse(cache, agent, text) == started.result() == model_parse(agent, text)
    assert cache.misses == 1


def test_a_failed_parse_is_tried_again(agent: Agent) -> None:
    assert agent.processor is not None
    cache = UnderstandingCache()
    calls: List[str] = []

    async def parse_once_failing(message: UserMessage, tracker: Optional[Any], only_output: bool) -> Dict[str, Any]:
        calls.append(message.text or "")
        if len(calls) == 1:
            raise MemoryError("simulated")
        return await rasa_parse_message(agent)(message, tracker, only_output)

    with pytest.raises(MemoryError):
        asyncio.run(cache.parse(agent.processor, parse_once_failing, UserMessage("does it hurt?")))
    retried = asyncio.run(cache.parse(agent.processor, parse_once_failing, UserMessage("does it hurt?")))
    assert retried == model_parse(agent, "does it hurt?")
    assert calls == ["does it hurt?"] * 2


def test_messages_are_parsed_off_the_event_loop_and_match_sequential_parses(agent: Agent) -> None:
    assert agent.processor is not None
    parse_message = rasa_parse_message(agent)
    threads: List[str] = []

    async def recording_parse(message: UserMessage, tracker: Optional[Any], only_output: bool) -> Dict[str, Any]:
        threads.append(threading.current_thread().name)
        return await parse_message(message, tracker, only_output)

    texts = ["does it hurt?", "how long is the redness?", "where are you?", "hi", "what does it cost?"] * 2
    cache = UnderstandingCache()

    async def visitors_at_once() -> List[Dict[str, Any]]:
        return await asyncio.gather(
            *(cache.parse(agent.processor, recording_parse, UserMessage(text)) for text in texts)  # type: ignore[arg-type]
        )

    at_once = asyncio.run(visitors_at_once())
    assert threads and set(threads) == {"understanding"}
    assert at_once == [model_parse(agent, text) for text in texts]


def test_the_models_understanding_reads_only_the_message(agent: Agent) -> None:
    # Why one parse, started before the conversation is read, serves every
    # conversation: no node the NLU target runs needs the tracker.
    assert agent.processor is not None
    metadata = agent.processor.model_metadata
    nodes = metadata.predict_schema.nodes
    needed, pending = set(), [metadata.nlu_target]
    while pending:
        node = pending.pop()
        if node not in needed:
            needed.add(node)
            pending.extend(nodes[node].needs.values() if node in nodes else [])
    assert "__message__" in needed
    assert not {node for node in needed if node.startswith("__") and node != "__message__"}
