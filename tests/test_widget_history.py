"""The widget's history route needs the conversation id and its key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.servers import AssistantServers


def widget_post(
    servers: AssistantServers, route: str, payload: Dict[str, Any], origin: Optional[str] = None
) -> Tuple[int, Any, Dict[str, str]]:
    headers = {"Content-Type": "application/json", **({"Origin": origin} if origin else {})}
    request = urllib.request.Request(
        f"{servers.rasa_url}/webhooks/widget/{route}", data=json.dumps(payload).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_the_key_comes_with_the_first_reply_only_and_opens_the_history(servers: AssistantServers) -> None:
    sender = new_conversation_id()
    origin = servers.env["CORS_ORIGINS"].split(",")[0]
    status, _, headers = widget_post(servers, "webhook", {"sender": sender, "message": "does it hurt?"}, origin)
    assert status == 200
    key = headers["X-Conversation-Key"]
    assert len(key) >= 40 and "X-Conversation-Key" in headers["Access-Control-Expose-Headers"]
    status, _, headers = widget_post(servers, "webhook", {"sender": sender, "message": "how much is it?"}, origin)
    assert status == 200 and "X-Conversation-Key" not in headers

    status, history, _ = widget_post(servers, "history", {"sender": sender, "key": key})
    assert status == 200
    assert [m["text"] for m in history["messages"] if m["from"] == "user"] == ["does it hurt?", "how much is it?"]


def test_the_history_is_closed_without_the_right_key(servers: AssistantServers) -> None:
    sender = new_conversation_id()
    status, _, headers = widget_post(servers, "webhook", {"sender": sender, "message": "my name is Dana Whitfield"})
    key = headers["X-Conversation-Key"]
    other_key = widget_post(servers, "webhook", {"sender": new_conversation_id(), "message": "hi"})[2][
        "X-Conversation-Key"
    ]
    for payload in ({"sender": sender}, {"sender": sender, "key": ""}, {"sender": sender, "key": other_key},
                    {"sender": sender, "key": "clé\ud800"}, {"sender": sender, "key": ["not", "text"]},
                    {"sender": sender, "key": key[:-1] + ("A" if key[-1] != "A" else "B")}):  # fmt: skip
        status, answer, _ = widget_post(servers, "history", payload)
        assert status == 403 and "Dana" not in json.dumps(answer)
    # The old route that took the id alone is gone.
    try:
        urllib.request.urlopen(f"{servers.rasa_url}/webhooks/widget/history/{sender}", timeout=30)
        raise AssertionError("the id-only history route still answers")
    except urllib.error.HTTPError as error:
        assert error.code in (404, 405)


def test_knowing_an_id_does_not_get_its_key(servers: AssistantServers) -> None:
    """Someone who learns an id and posts to it gets no key: the conversation exists."""
    sender = new_conversation_id()
    servers.send(sender, "my phone is 630-555-0142")  # the visitor, over REST
    status, _, headers = widget_post(servers, "webhook", {"sender": sender, "message": "hello"})
    assert status == 200 and "X-Conversation-Key" not in headers
