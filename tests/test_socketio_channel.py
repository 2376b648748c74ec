"""The Socket.IO channel answers over a real Socket.IO connection."""

from __future__ import annotations

import asyncio
from typing import List

import socketio

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.project_data import faq_responses
from tests.support.servers import AssistantServers


async def ask(url: str, text: str) -> List[str]:
    client = socketio.AsyncClient()
    answers: List[str] = []
    received = asyncio.Event()

    @client.on("bot_uttered")
    async def on_bot(data: dict) -> None:
        answers.append(" ".join((data.get("text") or "").split()))
        received.set()

    session_id = new_conversation_id()
    await client.connect(url, socketio_path="/socket.io")
    await client.emit("session_request", {"session_id": session_id})
    await client.emit("user_uttered", {"message": text, "session_id": session_id})
    await asyncio.wait_for(received.wait(), timeout=30)
    await asyncio.sleep(0.5)  # let any further messages of the turn arrive
    await client.disconnect()
    return answers


def test_socketio_visitor_gets_the_answer(servers: AssistantServers) -> None:
    answers = asyncio.run(ask(servers.rasa_url, "does the laser hurt?"))
    expected = " ".join(faq_responses()["anesthesia_pain"].split())
    assert expected in answers


def test_socketio_refuses_browsers_from_other_origins(servers: AssistantServers) -> None:
    async def connect_from(origin: str) -> bool:
        client = socketio.AsyncClient()
        try:
            await client.connect(servers.rasa_url, socketio_path="/socket.io", headers={"Origin": origin})
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    allowed = servers.env["CORS_ORIGINS"].split(",")[0]
    assert asyncio.run(connect_from(allowed)) is True
    assert asyncio.run(connect_from("http://attacker.example")) is False


def test_socketio_refuses_bad_input_and_goes_on(servers: AssistantServers) -> None:
    async def exchange() -> List[dict]:
        client = socketio.AsyncClient()
        errors: List[dict] = []
        received = asyncio.Event()

        @client.on("error")
        async def on_error(data: dict) -> None:
            errors.append(data)
            received.set()

        await client.connect(servers.rasa_url, socketio_path="/socket.io")
        for data in ({"message": "hi", "session_id": "x\udfff"}, {"message": 42, "session_id": "abc"}, "text"):
            received.clear()
            await client.emit("user_uttered", data)
            await asyncio.wait_for(received.wait(), timeout=30)
        await client.disconnect()
        return errors

    errors = asyncio.run(exchange())
    assert [error["status"] for error in errors] == [400, 400, 400]
    expected = " ".join(faq_responses()["anesthesia_pain"].split())
    assert expected in asyncio.run(ask(servers.rasa_url, "does the laser hurt?"))
