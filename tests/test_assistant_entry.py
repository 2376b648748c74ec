"""The one way every channel hands a message to the assistant
(rasa_extensions/channels/channel_support.assistant_entry)."""

from __future__ import annotations

import asyncio
from typing import List

import pytest
from rasa.core.channels.channel import UserMessage

from rasa_extensions.channels.channel_support import AssistantUnavailableError, assistant_entry
from rasa_extensions.channels.visitor_input import RequestRefusedError, new_conversation_id


def run_entry(message: UserMessage, failure: BaseException | None = None) -> List[str]:
    """Hand `message` to the entry around a stand-in for Rasa's handler; the
    texts that reached it."""
    reached: List[str] = []

    async def rasa_handler(received: UserMessage) -> None:
        reached.append(received.text or "")
        if failure is not None:
            raise failure

    asyncio.run(assistant_entry(rasa_handler)(message))
    return reached


@pytest.mark.parametrize("failure", [SystemExit(1), RuntimeError("boom"), UnicodeEncodeError("utf-8", "x", 0, 1, "no")])
def test_an_error_inside_rasa_becomes_a_503_for_that_message_only(failure: BaseException) -> None:
    with pytest.raises(AssistantUnavailableError):
        run_entry(UserMessage("hello", sender_id=new_conversation_id(), input_channel="rest"), failure)


@pytest.mark.parametrize(
    ("text", "sender", "status"),
    [
        ("hi", "x\udfff", 400),
        ("hi \ud800", "visitor-entry-1", 400),
        ("hi\x00", "visitor-entry-1", 400),
        ("   ", "visitor-entry-1", 400),
        ("x" * 6000, "visitor-entry-1", 413),
        ("hi", "two words", 400),
        ("hi", "x" * 200, 400),
    ],
)
def test_every_channel_gets_the_same_checks(text: str, sender: str, status: int) -> None:
    with pytest.raises(RequestRefusedError) as refused:
        run_entry(UserMessage(text, sender_id=sender, input_channel="telegram"))
    assert refused.value.status == status


def test_oversized_metadata_is_refused_before_rasa_sees_it() -> None:
    message = UserMessage("hi", sender_id=new_conversation_id(), metadata={"big": "x" * 2000}, input_channel="rest")
    with pytest.raises(RequestRefusedError) as refused:
        run_entry(message)
    assert refused.value.status == 413


def test_a_good_message_reaches_rasa() -> None:
    assert run_entry(UserMessage("does it hurt?", sender_id=new_conversation_id(), input_channel="rest")) == [
        "does it hurt?"
    ]


def test_a_typed_intent_reaches_rasa_as_plain_text() -> None:
    # Outside a running server nothing was offered, so nothing is a payload.
    message = UserMessage("/restart", sender_id=new_conversation_id(), input_channel="widget")
    assert run_entry(message) == ["restart"]


@pytest.mark.parametrize(
    ("sender", "channel", "accepted"),
    [
        ("whatsapp:+16305550142", "twilio", True),  # the provider chose it
        ("whatsapp:+16305550142", "rest", False),
        ("1234567890", "telegram", True),
        ("visitor-1", "widget", False),
        ("x" * 40, "socketio", False),
    ],
)
def test_only_providers_may_choose_short_conversation_ids(sender: str, channel: str, accepted: bool) -> None:
    message = UserMessage("hello", sender_id=sender, input_channel=channel)
    if accepted:
        assert run_entry(message) == ["hello"]
    else:
        with pytest.raises(RequestRefusedError):
            run_entry(message)
