"""Reuse the NLU result of a message the assistant has already understood,
and understand new messages off the server's event loop.

Visitors send the same short messages over and over ("hi", "how much does
it cost?", "thanks", button payloads), and understanding one is about half
the work of a turn, most of it the sentence encoder (benchmarks/README.md).
The result depends only on the text and the loaded model, so each Rasa
worker keeps the last results per (model, text) and returns a kept one
instead of running the pipeline. The dialogue part of every turn
still runs as usual.

A message not in the cache is parsed on a thread of its own, not on the
server's event loop: the sentence encoder and TensorFlow release the
interpreter while they compute, so one visitor's message is understood on
one core while the loop answers others (reads and saves conversations, runs
the RulePolicy) on the other. Parses still run one at a time, in order.

Every channel wraps the `on_new_message` Rasa gives it with
`reuse_understanding` (rasa_extensions/channels/). It routes the served
model's parsing through this cache (Rasa 3.6 has no setting for where the
NLU runs, so the processor's `parse_message` is wrapped once per loaded
model) and starts the message's sentence embedding at once: Rasa then
takes the conversation lock and reads the conversation while the encoder
runs, and parses the message after that, as it always does.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sanic.exceptions import SanicException

from rasa_extensions.nlu.sentence_embedding_featurizer import prefetch_embedding

CACHED_MESSAGES = 2048
# Long messages are almost never sent twice word for word; keeping them would
# only push the short, common ones out.
MAX_CACHED_CHARACTERS = 200

ParseData = Dict[str, Any]
ParseMessage = Callable[[UserMessage, Optional[DialogueStateTracker], bool], Awaitable[ParseData]]


class UnderstandingCache:
    """A bounded least-recently-used map of (model id, text) -> parse result."""

    def __init__(self, size: int = CACHED_MESSAGES) -> None:
        self.size = size
        self._results: OrderedDict[Tuple[str, str, bool], ParseData] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @cached_property
    def _parsing_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop of the thread that parses messages (started on first use,
        so in each Sanic worker process, after it has forked)."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="understanding", daemon=True).start()
        return loop

    async def parse(
        self,
        processor: MessageProcessor,
        parse_message: ParseMessage,
        message: UserMessage,
        tracker: Optional[DialogueStateTracker] = None,
        only_output_properties: bool = True,
    ) -> ParseData:
        """The message's parse result, from the cache or from `parse_message`
        (the processor's own) on the parsing thread."""
        assert message.text is not None
        key = (processor.model_metadata.model_id, message.text, only_output_properties)
        # Rasa stores the parse result in the conversation: a kept result is
        # handed out as a copy, so no conversation changes another's.
        cached = self._results.get(key)
        if cached is not None:
            self._results.move_to_end(key)
            self.hits += 1
            return copy.deepcopy(cached)
        self.misses += 1
        parsing = asyncio.run_coroutine_threadsafe(
            parse_message(message, tracker, only_output_properties), self._parsing_loop
        )
        parsed = await asyncio.wrap_future(parsing)
        if len(message.text) <= MAX_CACHED_CHARACTERS:
            self._results[key] = copy.deepcopy(parsed)
            if len(self._results) > self.size:
                self._results.popitem(last=False)
        return parsed


# One per Rasa worker process.
_cache = UnderstandingCache()


def understand_through_cache(processor: MessageProcessor) -> None:
    """Make `processor` parse through the cache and on the parsing thread (once)."""
    if getattr(processor.parse_message, "through_understanding_cache", False):
        return
    rasa_parse_message = processor.parse_message

    async def parse_message(
        message: UserMessage, tracker: Optional[DialogueStateTracker] = None, only_output_properties: bool = True
    ) -> ParseData:
        if not message.text:
            return await rasa_parse_message(message, tracker, only_output_properties)
        return await _cache.parse(processor, rasa_parse_message, message, tracker, only_output_properties)

    parse_message.through_understanding_cache = True  # type: ignore[attr-defined]
    processor.parse_message = parse_message  # type: ignore[method-assign]


def _running_agent() -> Optional[Agent]:
    """The agent of the Rasa server this worker runs (None before a model is loaded)."""
    try:
        app = Sanic.get_app()
    except SanicException:
        return None
    agent = getattr(app.ctx, "agent", None)
    return agent if agent is not None and agent.is_ready() else None


def reuse_understanding(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` that parses through the cache and starts the sentence
    embedding before Rasa handles the message."""

    async def handle(message: UserMessage) -> Any:
        agent = _running_agent()
        if agent is not None and agent.processor is not None:
            # A newly loaded model comes with a new processor.
            understand_through_cache(agent.processor)
            if message.text and message.parse_data is None:
                prefetch_embedding(message.text)
        return await on_new_message(message)

    return handle
