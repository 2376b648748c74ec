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
server's event loop: the sentence encoder (ONNX Runtime) and NumPy release
the interpreter while they compute, so one visitor's message is understood on
one core while the loop answers others (reads and saves conversations, runs
the RulePolicy) on the other. Parses still run one at a time, in order.

Every channel's `on_new_message` goes through `reuse_understanding`
(channel_support.assistant_entry). It routes the served
model's parsing through this cache (Rasa 3.6 has no setting for where the
NLU runs, so the processor's `parse_message` is wrapped once per loaded
model) and starts parsing the message at once: Rasa then takes the
conversation lock and reads the conversation while the message is
understood, and finds the result ready or under way when it asks for it.
Starting early needs no conversation: Rasa's NLU graph reads only the
message (the tracker it is given feeds the dialogue nodes, which parsing
does not run), which is also why one result serves every conversation.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import OrderedDict
from concurrent.futures import Future
from functools import cached_property
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sanic.exceptions import SanicException

CACHED_MESSAGES = 2048
# Long messages are almost never sent twice word for word; keeping them would
# only push the short, common ones out.
MAX_CACHED_CHARACTERS = 200

ParseData = Dict[str, Any]
ParseMessage = Callable[[UserMessage, Optional[DialogueStateTracker], bool], Awaitable[ParseData]]


class UnderstandingCache:
    """A bounded least-recently-used map of (model id, text) -> parse result,
    done or under way."""

    def __init__(self, size: int = CACHED_MESSAGES) -> None:
        self.size = size
        self._results: OrderedDict[Tuple[str, str, bool], Future[ParseData]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @cached_property
    def _parsing_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop of the thread that parses messages (started on first use,
        so in each Sanic worker process, after it has forked)."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="understanding", daemon=True).start()
        return loop

    def start(
        self,
        processor: MessageProcessor,
        parse_message: ParseMessage,
        message: UserMessage,
        only_output_properties: bool = True,
    ) -> Future[ParseData]:
        """The message's parse, kept or started now on the parsing thread with
        `parse_message` (the processor's own)."""
        assert message.text is not None
        key = (processor.model_metadata.model_id, message.text, only_output_properties)
        kept = self._results.get(key)
        # A failed parse is tried again, never handed out twice.
        if kept is not None and not (kept.done() and kept.exception() is not None):
            self._results.move_to_end(key)
            self.hits += 1
            return kept
        self.misses += 1
        parsing = asyncio.run_coroutine_threadsafe(
            parse_message(message, None, only_output_properties), self._parsing_loop
        )
        if len(message.text) <= MAX_CACHED_CHARACTERS:
            self._results[key] = parsing
            if len(self._results) > self.size:
                self._results.popitem(last=False)
        return parsing

    async def parse(
        self,
        processor: MessageProcessor,
        parse_message: ParseMessage,
        message: UserMessage,
        only_output_properties: bool = True,
    ) -> ParseData:
        """The message's parse result, from the cache or from `parse_message`."""
        parsed = await asyncio.wrap_future(self.start(processor, parse_message, message, only_output_properties))
        # Rasa stores the parse result in the conversation: every caller
        # gets a copy, so no conversation changes another's.
        return copy.deepcopy(parsed)


# One per Rasa worker process.
_cache = UnderstandingCache()


def understand_through_cache(processor: MessageProcessor) -> ParseMessage:
    """Make `processor` parse through the cache and on the parsing thread
    (once); returns Rasa's own `parse_message` of the processor."""
    installed = getattr(processor.parse_message, "rasa_parse_message", None)
    if installed is not None:
        return installed
    rasa_parse_message = processor.parse_message

    async def parse_message(
        message: UserMessage, tracker: Optional[DialogueStateTracker] = None, only_output_properties: bool = True
    ) -> ParseData:
        if not message.text:
            return await rasa_parse_message(message, tracker, only_output_properties)
        return await _cache.parse(processor, rasa_parse_message, message, only_output_properties)

    parse_message.rasa_parse_message = rasa_parse_message  # type: ignore[attr-defined]
    processor.parse_message = parse_message  # type: ignore[method-assign]
    return rasa_parse_message


def running_agent() -> Optional[Agent]:
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
    """`on_new_message` that parses through the cache and starts parsing the
    message before Rasa handles it."""

    async def handle(message: UserMessage) -> Any:
        agent = running_agent()
        if agent is not None and agent.processor is not None:
            # A newly loaded model comes with a new processor.
            rasa_parse_message = understand_through_cache(agent.processor)
            # Long messages are not kept, so Rasa's own request would parse them again.
            if message.text and message.parse_data is None and len(message.text) <= MAX_CACHED_CHARACTERS:
                _cache.start(agent.processor, rasa_parse_message, message)
        return await on_new_message(message)

    return handle
