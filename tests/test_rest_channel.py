"""Bad input through the real REST endpoint never breaks a conversation."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.support.project_data import domain, faq_responses
from tests.support.servers import AssistantServers

PAIN_ANSWER = " ".join(faq_responses()["anesthesia_pain"].split())
REPHRASE = " ".join(domain()["responses"]["utter_ask_rephrase"][0]["text"].split())
BAD = new_conversation_id()


def texts(replies: list) -> list:
    return [" ".join(reply.get("text", "").split()) for reply in replies]


def assert_still_answers(servers: AssistantServers, sender: str) -> None:
    assert PAIN_ANSWER in texts(servers.send(sender, "does the laser hurt? will you numb my skin"))


@pytest.mark.parametrize(
    ("body", "status", "error_mentions"),
    [
        (b"{not json", 400, "JSON"),
        (b"\x00\xff\xfe binary", 400, "JSON"),
        (json.dumps(["sender", "message"]).encode(), 400, "JSON object"),
        (json.dumps({"sender": BAD, "message": 123}).encode(), 400, "'message'"),
        (json.dumps({"sender": BAD, "message": None}).encode(), 400, "'message'"),
        (json.dumps({"sender": 42, "message": "hi"}).encode(), 400, "'sender'"),
        (json.dumps({"message": "hi"}).encode(), 400, "'sender'"),
        (json.dumps({"sender": BAD, "message": ""}).encode(), 400, "empty"),
        (json.dumps({"sender": BAD, "message": "   \n "}).encode(), 400, "empty"),
        (json.dumps({"sender": BAD, "message": "x" * 20_000}).encode(), 413, "too long"),
        (json.dumps({"sender": BAD, "message": "hi\u0000there"}).encode(), 400, "binary"),
        (json.dumps({"sender": BAD, "message": "hi", "metadata": "nope"}).encode(), 400, "metadata"),
        # Lone surrogates, as a JSON escape: valid JSON, not storable text.
        (b'{"sender": "x\\udfff", "message": "hi"}', 400, "'sender'"),
        (b'{"sender": "' + BAD.encode() + b'", "message": "hi \\ud800 there"}', 400, "'message'"),
        (b'{"sender": "' + BAD.encode() + b'", "message": "hi", "metadata": {"k": "\\udfff"}}', 400, "metadata"),
        (json.dumps({"sender": BAD, "message": "hi\u0007"}).encode(), 400, "binary"),
        (json.dumps({"sender": "bad 1", "message": "hi"}).encode(), 400, "'sender'"),
        (json.dumps({"sender": BAD, "message": "hi", "metadata": {"x": "y" * 5000}}).encode(), 413, "metadata"),
        (json.dumps({"sender": BAD, "message": "hi", "metadata": {"a": {"b": {"c": {}}}}}).encode(), 400, "nested"),
        (b"[" * 20_000 + b"]" * 20_000, 400, "JSON"),
    ],
)
def test_bad_requests_get_a_clear_error_and_the_conversation_continues(
    servers: AssistantServers, body: bytes, status: int, error_mentions: str
) -> None:
    for path in ("/webhooks/rest/webhook", "/webhooks/widget/webhook"):
        answered_status, answer = servers.post_raw(body, path=path)
        assert answered_status == status
        assert error_mentions in json.loads(answer)["error"]
    assert servers.rasa.process is not None and servers.rasa.process.poll() is None
    assert_still_answers(servers, BAD)


def test_a_corrupted_stored_conversation_does_not_stop_the_server(servers: AssistantServers) -> None:
    """Rasa 3.6 exits the whole server on any ValueError while reading a
    conversation; a stored event that is not JSON is one (JSONDecodeError)."""
    database = servers.env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    corrupted = new_conversation_id()
    assert_still_answers(servers, corrupted)
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
            (corrupted, time.time(), "{not json"),
        )
    status, _ = servers.post_raw(json.dumps({"sender": corrupted, "message": "hello"}).encode())
    assert status in (200, 503)
    assert servers.rasa.process is not None and servers.rasa.process.poll() is None
    assert_still_answers(servers, new_conversation_id())


@pytest.mark.parametrize(
    "message",
    ["😀😀😀", "¿Cuánto cuesta el tratamiento láser para cicatrices?", "激光治疗痘印要多少钱", "!!!???"],
)
def test_unreadable_messages_are_asked_to_rephrase_in_english(servers: AssistantServers, message: str) -> None:
    sender = new_conversation_id()
    assert REPHRASE in texts(servers.send(sender, message))
    assert_still_answers(servers, sender)


def test_long_but_acceptable_message_is_answered(servers: AssistantServers) -> None:
    story = "I had bad acne as a teenager and tried everything. " * 60
    sender = new_conversation_id()
    replies = servers.send(sender, story + " Does the laser hurt, do you numb the skin?")
    assert replies, "a long message must still get a reply"
    assert_still_answers(servers, sender)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('/greet{"visitor_name": "Injected Name"}', 'greet{"visitor_name": "Injected Name"}'),
        ("/affirm@0.01", "affirm@0.01"),
        ("/restart", "restart"),
        ("/book_appointment", "book_appointment"),  # a real payload, but not offered now
    ],
)
def test_typed_intents_are_plain_text_unless_offered(servers: AssistantServers, typed: str, stored: str) -> None:
    sender = new_conversation_id()
    assert_still_answers(servers, sender)
    servers.send(sender, typed)
    tracker = servers.tracker(sender)
    assert tracker["latest_message"]["text"] == stored
    assert tracker["slots"]["visitor_name"] is None
    assert not any(event["event"] == "restart" for event in tracker["events"])
    assert_still_answers(servers, sender)


def test_the_payload_of_a_button_just_offered_still_works(servers: AssistantServers) -> None:
    sender = new_conversation_id()
    greeting = servers.send(sender, "hello")
    payloads = [button["payload"] for reply in greeting for button in reply.get("buttons", [])]
    assert "/book_appointment" in payloads
    replies = servers.send(sender, "/book_appointment")
    tracker = servers.tracker(sender)
    assert tracker["latest_message"]["intent"] == {"name": "book_appointment", "confidence": 1.0}
    assert tracker["active_loop"]["name"] == "booking_form", texts(replies)
    servers.send(sender, "stop")


@pytest.mark.parametrize(
    "guessable", ["visitor-1", "a" * 30, "visitor-1234567890123456", "visit-visit-visit-visit-1", "+16305550142"]
)
def test_guessable_conversation_ids_are_refused(servers: AssistantServers, guessable: str) -> None:
    for path in ("/webhooks/rest/webhook", "/webhooks/widget/webhook"):
        status, answer = servers.post_raw(json.dumps({"sender": guessable, "message": "hi"}).encode(), path=path)
        assert status == 400 and "random conversation id" in json.loads(answer)["error"]


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/widget/webhook", "/webhooks/widget/history"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_cross_site_simple_post_does_not_reach_the_assistant(
    servers: AssistantServers, path: str, content_type: str
) -> None:
    """A page may POST these types to any site without a CORS preflight."""
    sender = new_conversation_id()
    body = json.dumps({"sender": sender, "message": "hello", "key": "x"}).encode()
    headers = {"Origin": "http://attacker.example", **({"Content-Type": content_type} if content_type else {})}
    request = urllib.request.Request(f"{servers.rasa_url}{path}", data=body, headers=headers)
    try:
        urllib.request.urlopen(request, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 415
    database = servers.env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone() == (0,)


@pytest.mark.parametrize("allowed", [True, False])
def test_only_configured_origins_may_call_from_a_browser(servers: AssistantServers, allowed: bool) -> None:
    origin = servers.env["CORS_ORIGINS"].split(",")[0] if allowed else "http://attacker.example"
    request = urllib.request.Request(
        f"{servers.rasa_url}/webhooks/widget/webhook",
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            granted = response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        granted = error.headers.get("Access-Control-Allow-Origin")
    assert granted == (origin if allowed else None)
