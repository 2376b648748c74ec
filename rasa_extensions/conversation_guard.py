"""Every message gets an answer, and a red flag the safety reply, whatever the
dialogue policy does.

The dialogue rules (data/rules/, docs/dialogue/README.md) answer every
message in every state. This is the defence behind them, for when they do
not: a policy that loops until Rasa's circuit breaker stops it, predicts
nothing, or raises. Rasa 3.6 then ends the turn without `action_listen`,
and because its circuit breaker counts every action since the last one, each
later message of that conversation trips it again before anything is
predicted: the conversation is silent until the session expires, a visitor
reporting pus and fever included.

After Rasa has run the dialogue for a message (`MessageProcessor.
_run_prediction_loop`, wrapped once for the whole process by `install`), the
guard looks at what is about to be sent and at the conversation:

* a red-flag message (the NLU's `urgent_symptom`, which the fixed red-flag
  rules set too) gets the full safety reply first, whatever else was said;
* a turn that sent nothing, failed, or did not end listening gets a short
  apology with the clinic's contact sentence;
* the same message twice in one reply (a loop) is sent once;
* a turn that did not end listening is ended listening, and a form the
  policy gave up on is made active again, so the next message is handled
  normally. That recovery is logged with a hash of the conversation id only;
* a conversation whose start the action server could not run (it was down)
  gets the clinic's facts from the clinic data file here, as the session
  start would have set them: Rasa fills an unset {slot} with "None", so the
  safety reply's last line would otherwise read "None".

The turn's messages are held until the guard has checked them, then sent in
order: for the REST and widget channels they leave in one response anyway.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import OutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from actions.runtime import clinic_template_values
from rasa_extensions.log_privacy import conversation_reference
from rasa_extensions.rasa_internals import require_rasa_version

logger = logging.getLogger(__name__)

URGENT_INTENT = "urgent_symptom"
# The safety reply, as data/rules/safety.yml sends it (a test keeps them equal).
SAFETY_REPLY = ("utter_urgent_symptom", "utter_urgent_call_clinic", "utter_urgent_contact")
APOLOGY = "utter_cannot_answer_now"
# The slot holding how to reach the clinic, filled at the start of each
# conversation (actions/session.py); empty when that could not run.
CONTACT_SLOT = "clinic_contact"

Message = Dict[str, Any]
PredictionLoop = Callable[[MessageProcessor, OutputChannel, DialogueStateTracker], Awaitable[None]]


class HeldOutputChannel(OutputChannel):
    """Keeps a turn's messages until the guard has checked them."""

    def __init__(self, channel: OutputChannel) -> None:
        self.channel = channel
        self.held: List[Tuple[str, Message]] = []

    def name(self) -> str:  # type: ignore[override]
        # Responses can differ by channel (buttons on SMS): the real one decides.
        return self.channel.name()

    async def send_response(self, recipient_id: str, message: Message) -> None:
        self.held.append((recipient_id, message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.held.append((recipient_id, {"text": text}))


def response_name(message: Message) -> Optional[str]:
    return message.get("utter_action")


def without_repeats(messages: List[Message]) -> List[Message]:
    """Each distinct message once, in order: a loop says the same thing again and again."""
    seen = set()
    kept = []
    for message in messages:
        key = (message.get("text"), repr(message.get("buttons")), repr(message.get("custom")))
        if key not in seen:
            seen.add(key)
            kept.append(message)
    return kept


def is_red_flag(tracker: DialogueStateTracker) -> bool:
    """Whether the message being answered was understood as an urgent symptom
    (the fixed red-flag rules set that intent too)."""
    message = tracker.latest_message
    return bool(message and (message.intent or {}).get("name") == URGENT_INTENT)


def starts_with_safety_reply(messages: List[Message]) -> bool:
    return [response_name(m) for m in messages[: len(SAFETY_REPLY)]] == list(SAFETY_REPLY)


async def render(
    processor: MessageProcessor, name: str, tracker: DialogueStateTracker, channel: OutputChannel
) -> Optional[Message]:
    """A response of the domain as Rasa would send it, recorded in the conversation."""
    generated = await processor.nlg.generate(name, tracker, channel.name())
    if not generated:
        return None
    generated["utter_action"] = name
    tracker.update(create_bot_utterance(dict(generated)))
    return generated


async def apology(processor: MessageProcessor, tracker: DialogueStateTracker, channel: OutputChannel) -> List[Message]:
    message = await render(processor, APOLOGY, tracker, channel)
    if message is None:
        return []
    contact = tracker.get_slot(CONTACT_SLOT)
    if contact:
        message["text"] = f"{message['text']} {contact}"
    return [message]


def fill_missing_clinic_facts(tracker: DialogueStateTracker) -> None:
    """Set the {clinic_...} slots from the clinic data file if the session start could not."""
    if tracker.get_slot(CONTACT_SLOT) is not None:
        return
    for name, value in clinic_template_values().items():
        if tracker.get_slot(name) is None:
            tracker.update(SlotSet(name, value))


def resume_listening(tracker: DialogueStateTracker) -> None:
    """End the turn listening; a form the policy gave up on asks again next time."""
    if tracker.active_loop_name and tracker.is_active_loop_rejected:
        tracker.update(ActiveLoop(tracker.active_loop_name))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


async def answer_every_message(
    processor: MessageProcessor,
    run_prediction_loop: PredictionLoop,
    output_channel: OutputChannel,
    tracker: DialogueStateTracker,
) -> None:
    """Run Rasa's dialogue for the latest message, then make sure of the reply."""
    fill_missing_clinic_facts(tracker)
    # Read before the dialogue runs: a fallback can set the message aside.
    urgent = is_red_flag(tracker)
    held = HeldOutputChannel(output_channel)
    failed = False
    try:
        await run_prediction_loop(processor, held, tracker)
    except Exception as error:  # the visitor still gets an answer, below
        failed = True
        logger.error(
            "The dialogue failed for conversation %s: %s",
            conversation_reference(tracker.sender_id),
            type(error).__name__,
        )
    # Again: a fallback that set the message aside took the facts set above with it.
    fill_missing_clinic_facts(tracker)
    messages = without_repeats([message for _, message in held.held])
    stuck = tracker.latest_action_name != ACTION_LISTEN_NAME

    if urgent and not starts_with_safety_reply(messages):
        sent = {response_name(m): m for m in messages if response_name(m) in SAFETY_REPLY}
        safety = [sent.get(name) or await render(processor, name, tracker, output_channel) for name in SAFETY_REPLY]
        others = [m for m in messages if response_name(m) not in SAFETY_REPLY]
        messages = [m for m in safety if m is not None] + others
    elif failed or stuck or not messages:
        messages += await apology(processor, tracker, output_channel)
    if stuck:
        resume_listening(tracker)
        logger.warning(
            "Conversation %s did not end its turn listening (policy loop, circuit breaker or error); "
            "answered and resumed listening.",
            conversation_reference(tracker.sender_id),
        )
    for message in messages:
        await output_channel.send_response(tracker.sender_id, message)


def install() -> None:
    """Route every Rasa server turn in this process through `answer_every_message`."""
    require_rasa_version("conversation_guard.install (MessageProcessor._run_prediction_loop)")
    original = MessageProcessor._run_prediction_loop
    if getattr(original, "guarded", False):
        return

    async def _run_prediction_loop(
        self: MessageProcessor, output_channel: OutputChannel, tracker: DialogueStateTracker
    ) -> None:
        await answer_every_message(self, original, output_channel, tracker)

    _run_prediction_loop.guarded = True  # type: ignore[attr-defined]
    MessageProcessor._run_prediction_loop = _run_prediction_loop  # type: ignore[method-assign]
