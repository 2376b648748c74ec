"""The Socket.IO channel answers over a real Socket.IO connection."""

from __future__ import annotations

import asyncio
from typing import Any, List

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
        await client.emit("session_request", {"session_id": new_conversation_id()})
        for data in ({"message": "hi\udfff"}, {"message": 42}, "text"):
            received.clear()
            await client.emit("user_uttered", data)
            await asyncio.wait_for(received.wait(), timeout=30)
        await client.disconnect()
        return errors

    errors = asyncio.run(exchange())
    assert [error["status"] for error in errors] == [400, 400, 400]
    expected = " ".join(faq_responses()["anesthesia_pain"].split())
    assert expected in asyncio.run(ask(servers.rasa_url, "does the laser hurt?"))


class Client:
    """A Socket.IO client that records what it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient()
        self.answers: List[str] = []
        self.errors: List[dict] = []
        self.confirmed: List[str] = []
        self.event = asyncio.Event()
        self.sio.on("bot_uttered", self._record(self.answers, lambda data: data.get("text") or ""))
        self.sio.on("error", self._record(self.errors, lambda data: data))
        self.sio.on("session_confirm", self._record(self.confirmed, lambda data: data))

    def _record(self, into: list, pick: Any) -> Any:
        async def handler(data: Any) -> None:
            into.append(pick(data))
            self.event.set()

        return handler

    async def send(self, event: str, data: Any) -> None:
        """Emit and wait until something comes back."""
        self.event.clear()
        await self.sio.emit(event, data)
        await asyncio.wait_for(self.event.wait(), timeout=30)


def test_a_conversation_is_bound_to_the_connection_that_started_it(servers: AssistantServers) -> None:
    async def scenario() -> None:
        visitor, intruder = Client(), Client()
        conversation = new_conversation_id()
        await visitor.sio.connect(servers.rasa_url, socketio_path="/socket.io")
        await intruder.sio.connect(servers.rasa_url, socketio_path="/socket.io")
        await visitor.send("session_request", {"session_id": conversation})
        assert visitor.confirmed == [conversation]

        # Another connection can neither take the conversation nor talk in it.
        await intruder.send("session_request", {"session_id": conversation})
        assert intruder.errors[-1]["status"] == 409 and intruder.confirmed == []
        await intruder.send("user_uttered", {"message": "my name is Mallory", "session_id": conversation})
        assert intruder.errors[-1]["status"] == 400

        await visitor.send("user_uttered", {"message": "does the laser hurt?", "session_id": conversation})
        await asyncio.sleep(0.5)
        assert visitor.answers and intruder.answers == []

        # Its own conversation only, whatever session_id a message names.
        await intruder.send("session_request", {})
        own = intruder.confirmed[-1]
        assert own != conversation and len(own) >= 22
        await intruder.send("user_uttered", {"message": "hi", "session_id": conversation})
        assert intruder.errors[-1]["status"] == 403
        await intruder.send("session_request", {"session_id": "visitor-1"})
        assert intruder.errors[-1]["status"] == 400

        # Once the visitor's connection has closed, the conversation can be resumed.
        await visitor.sio.disconnect()
        await asyncio.sleep(0.5)
        await intruder.send("session_request", {"session_id": conversation})
        assert intruder.confirmed[-1] == conversation
        await intruder.sio.disconnect()

    asyncio.run(scenario())
