"""Messaging channels with each provider's real webhook payloads.

Posts Twilio (SMS, WhatsApp), Messenger and Telegram webhooks to the running
Rasa server and checks the reply each channel sends to the provider's API,
which is a local server here (tests/support/provider_api.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import urllib.parse
import urllib.request
import uuid
from typing import Dict, List, Tuple

import pytest
from twilio.request_validator import RequestValidator

from actions.fallback import faq_topics
from rasa_extensions.channels.channel_support import (
    last_offered_buttons,
    not_configured_blueprint,
    numbered_options,
)
from tests.conftest import CHANNEL_SECRETS
from tests.support.dialogue_checks import BETWEEN_TOPICS
from tests.support.project_data import faq_responses
from tests.support.provider_api import ProviderApi, ProviderCall
from tests.support.servers import AssistantServers

PAIN_ANSWER_START = " ".join(faq_responses()["anesthesia_pain"].split())[:60]
COST_ANSWER_START = " ".join(faq_responses()["cost"].split())[:60]


def post(servers: AssistantServers, path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
    request = urllib.request.Request(f"{servers.rasa_url}{path}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def new_calls(api: ProviderApi, before: int, fragment: str, timeout: float = 10) -> List[ProviderCall]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [call for call in api.calls[before:] if fragment in call.path]
        if calls:
            time.sleep(0.3)  # let any follow-up messages of the same turn arrive
            return [call for call in api.calls[before:] if fragment in call.path]
        time.sleep(0.1)
    return []


# --- Twilio -----------------------------------------------------------------

TWILIO_PATH = "/webhooks/twilio/webhook"


def twilio_post(servers: AssistantServers, params: Dict[str, str], signature: str = "") -> Tuple[int, str]:
    url = f"{servers.rasa_url}{TWILIO_PATH}"
    if signature == "":
        signature = RequestValidator(CHANNEL_SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return post(servers, TWILIO_PATH, urllib.parse.urlencode(params).encode(), headers)


def twilio_params(sender: str, body: str) -> Dict[str, str]:
    """The fields Twilio posts for an incoming SMS or WhatsApp message."""
    return {
        "ToCountry": "US", "SmsMessageSid": f"SM{uuid.uuid4().hex}", "NumMedia": "0",
        "SmsSid": f"SM{uuid.uuid4().hex}", "SmsStatus": "received", "Body": body,
        "To": CHANNEL_SECRETS["TWILIO_NUMBER"], "NumSegments": "1", "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": CHANNEL_SECRETS["TWILIO_ACCOUNT_SID"], "From": sender, "ApiVersion": "2010-04-01",
    }  # fmt: skip


def test_twilio_sms_with_a_valid_signature_gets_the_answer(
    servers: AssistantServers, provider_api: ProviderApi
) -> None:
    before = len(provider_api.calls)
    status, _ = twilio_post(servers, twilio_params("+16305550142", "does the laser hurt?"))
    assert status == 204
    [sent] = new_calls(provider_api, before, "/Messages.json")
    assert sent.form["To"] == "+16305550142" and sent.form["From"] == CHANNEL_SECRETS["TWILIO_NUMBER"]
    assert " ".join(sent.form["Body"].split()).startswith(PAIN_ANSWER_START)


@pytest.mark.parametrize("signature", [None, "bm90LXRoZS1yaWdodC1vbmU=", "garbage"])
def test_twilio_rejects_missing_or_wrong_signatures(
    servers: AssistantServers, provider_api: ProviderApi, signature: object
) -> None:
    before = len(provider_api.calls)
    sender = f"+1630555{uuid.uuid4().int % 10000:04d}"
    status, _ = twilio_post(servers, twilio_params(sender, "does it hurt?"), signature=signature)
    assert status == 403
    assert new_calls(provider_api, before, "/Messages.json", timeout=2) == []
    assert servers.tracker(sender)["latest_message"].get("text") is None  # never reached the assistant


def test_twilio_signature_covers_the_body(servers: AssistantServers) -> None:
    params = twilio_params("+16305550142", "does it hurt?")
    url = f"{servers.rasa_url}{TWILIO_PATH}"
    signature = RequestValidator(CHANNEL_SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    tampered = {**params, "Body": "something else"}
    assert twilio_post(servers, tampered, signature=signature)[0] == 403


def test_whatsapp_buttons_become_numbered_options_and_a_number_picks_one(
    servers: AssistantServers, provider_api: ProviderApi
) -> None:
    sender = f"whatsapp:+1708555{uuid.uuid4().int % 10000:04d}"
    before = len(provider_api.calls)
    assert twilio_post(servers, twilio_params(sender, "hello there"))[0] == 204
    [greeting] = new_calls(provider_api, before, "/Messages.json")
    assert greeting.form["From"] == "whatsapp:" + CHANNEL_SECRETS["TWILIO_WHATSAPP_NUMBER"]
    assert "\n1. How does it work?\n2. Recovery time\n" in greeting.form["Body"]

    before = len(provider_api.calls)
    assert twilio_post(servers, twilio_params(sender, "2"))[0] == 204
    [answer] = new_calls(provider_api, before, "/Messages.json")
    recovery = " ".join(faq_responses()["recovery_time"].split())[:60]
    assert " ".join(answer.form["Body"].split()).startswith(recovery)


def test_did_you_mean_on_sms_is_numbered_and_a_number_answers_that_topic(
    servers: AssistantServers, provider_api: ProviderApi
) -> None:
    """A message between topics gets them as numbered options; a topic's number answers it."""
    titles = {topic["title"]: key for key, topic in faq_topics().items()}
    for text in BETWEEN_TOPICS:
        # A new conversation each time: after one offer, a miss asks to rephrase.
        sender = f"+1815555{uuid.uuid4().int % 10000:04d}"
        before = len(provider_api.calls)
        assert twilio_post(servers, twilio_params(sender, text))[0] == 204
        replies = [call.form["Body"] for call in new_calls(provider_api, before, "/Messages.json")]
        offer = next((body for body in replies if "Did you mean" in body), "")
        options = re.findall(r"^(\d)\. (.+)$", offer, flags=re.MULTILINE)
        if any(title in titles for _, title in options):
            break
    else:
        pytest.fail(f"none of {BETWEEN_TOPICS} made the assistant offer an FAQ topic")
    assert options[-1][1] == "Something else" and len(options) >= 2
    number, title = next((number, title) for number, title in options if title in titles)
    before = len(provider_api.calls)
    assert twilio_post(servers, twilio_params(sender, number))[0] == 204
    [answer] = new_calls(provider_api, before, "/Messages.json")
    key = titles[title]
    opening = " ".join(faq_responses()[key].split()).split("{", 1)[0][:50]
    assert " ".join(answer.form["Body"].split()).startswith(opening)


# --- Messenger --------------------------------------------------------------

MESSENGER_PATH = "/webhooks/facebook/webhook"


def messenger_body(psid: str, text: str) -> bytes:
    """A Messenger 'messages' webhook event, as Meta documents it."""
    event = {
        "object": "page",
        "entry": [{
            "id": "PAGE_ID", "time": int(time.time() * 1000),
            "messaging": [{
                "sender": {"id": psid}, "recipient": {"id": "PAGE_ID"}, "timestamp": int(time.time() * 1000),
                "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
            }],
        }],
    }  # fmt: skip
    return json.dumps(event).encode()


def meta_signature(body: bytes) -> str:
    digest = hmac.new(CHANNEL_SECRETS["FACEBOOK_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def test_messenger_message_with_a_valid_signature_gets_the_answer(
    servers: AssistantServers, provider_api: ProviderApi
) -> None:
    psid = str(uuid.uuid4().int % 10**15)
    body = messenger_body(psid, "how much does laser resurfacing cost")
    before = len(provider_api.calls)
    status, _ = post(servers, MESSENGER_PATH, body,
                     {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)})  # fmt: skip
    assert status == 200
    replies = [json.loads(call.body) for call in new_calls(provider_api, before, "/me/messages")]
    messages = [reply["message"] for reply in replies if "message" in reply]
    # An answer with buttons is sent as Messenger's button template.
    texts = [" ".join((m.get("text") or m["attachment"]["payload"]["text"]).split()) for m in messages]
    assert any(reply["recipient"]["id"] == psid for reply in replies)
    assert any(text.startswith(COST_ANSWER_START) for text in texts)
    buttons = [b for m in messages if "attachment" in m for b in m["attachment"]["payload"]["buttons"]]
    assert {"type": "postback", "title": "Book a consultation", "payload": "/book_appointment"} in buttons


@pytest.mark.parametrize("header", [{}, {"X-Hub-Signature-256": "sha256=" + "0" * 64}, {"X-Hub-Signature": "sha1=abc"}])
def test_messenger_rejects_missing_or_wrong_signatures(
    servers: AssistantServers, provider_api: ProviderApi, header: Dict[str, str]
) -> None:
    before = len(provider_api.calls)
    status, _ = post(servers, MESSENGER_PATH, messenger_body("1234", "does it hurt"),
                     {"Content-Type": "application/json", **header})  # fmt: skip
    assert status == 403
    assert new_calls(provider_api, before, "/me/messages", timeout=2) == []


def test_messenger_subscription_check(servers: AssistantServers) -> None:
    query = urllib.parse.urlencode(
        {
            "hub.mode": "subscribe",
            "hub.verify_token": CHANNEL_SECRETS["FACEBOOK_VERIFY_TOKEN"],
            "hub.challenge": "42",
        }
    )
    with urllib.request.urlopen(f"{servers.rasa_url}{MESSENGER_PATH}?{query}") as response:
        assert response.read() == b"42"
    for wrong in ("wrong", "%C3%A9t%C3%A9", "%ED%A0%80"):  # also non-ASCII and not UTF-8 at all
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{servers.rasa_url}{MESSENGER_PATH}?hub.verify_token={wrong}&hub.challenge=42")
        assert refused.value.code == 403


# --- Telegram ---------------------------------------------------------------

TELEGRAM_PATH = "/webhooks/telegram/webhook"


def telegram_update(chat_id: int, text: str) -> bytes:
    """A Telegram Update with a private text message, as the Bot API sends it."""
    person = {"id": chat_id, "is_bot": False, "first_name": "Visitor", "language_code": "en"}
    message = {
        "message_id": 1, "from": person, "chat": {**person, "type": "private"},
        "date": int(time.time()), "text": text,
    }  # fmt: skip
    return json.dumps({"update_id": uuid.uuid4().int % 10**9, "message": message}).encode()


def test_telegram_message_with_the_secret_token_gets_the_answer(
    servers: AssistantServers, provider_api: ProviderApi
) -> None:
    chat_id = uuid.uuid4().int % 10**9
    before = len(provider_api.calls)
    status, _ = post(servers, TELEGRAM_PATH, telegram_update(chat_id, "does it hurt?"),
                     {"Content-Type": "application/json",
                      "X-Telegram-Bot-Api-Secret-Token": CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"]})  # fmt: skip
    assert status == 200
    [sent] = new_calls(provider_api, before, "/sendMessage")
    assert f"/bot{CHANNEL_SECRETS['TELEGRAM_ACCESS_TOKEN']}/sendMessage" in sent.path
    assert str(chat_id) in sent.text and PAIN_ANSWER_START.split(":")[0] in sent.text


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_telegram_rejects_a_missing_or_wrong_secret_token(
    servers: AssistantServers, provider_api: ProviderApi, secret: object
) -> None:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
    before = len(provider_api.calls)
    assert post(servers, TELEGRAM_PATH, telegram_update(99, "does it hurt?"), headers)[0] == 403
    assert new_calls(provider_api, before, "/sendMessage", timeout=2) == []


# --- Shared pieces ------------------------------------------------------------


def test_a_channel_without_credentials_is_off() -> None:
    blueprint = not_configured_blueprint("twilio")
    handler = blueprint._future_routes.pop().handler
    answer = asyncio.run(handler(None))
    assert answer.status == 404 and b"not configured" in answer.body


def test_numbered_options_and_the_buttons_they_stand_for() -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert numbered_options("Send it?", buttons) == "Send it?\n\n1. Yes\n2. No\n\nReply with a number."
    events = [
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "Send it?", "data": {"buttons": buttons}},
    ]
    assert last_offered_buttons(events) == buttons
    assert last_offered_buttons([*events, {"event": "user", "text": "1"}]) == []


# --- Bad input through each provider's webhook ---------------------------------


def test_provider_webhooks_refuse_text_that_is_not_valid_unicode(servers: AssistantServers) -> None:
    """The same checks as the REST channel (visitor_input.py), after the
    provider's signature: a refused message gets a 4xx, the server goes on."""

    def signed_json(body: bytes) -> Dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(body),
            "X-Telegram-Bot-Api-Secret-Token": CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"],
        }

    telegram = telegram_update(4242, "placeholder").replace(b'"placeholder"', b'"hi \\udfff"')
    messenger = messenger_body("4242", "placeholder").replace(b'"placeholder"', b'"hi \\ud800"')
    for path, body in (
        (TELEGRAM_PATH, telegram),
        (MESSENGER_PATH, messenger),
        (TELEGRAM_PATH, b"[" * 5000),
        (MESSENGER_PATH, b'{"object": "page", "entry": 5}'),
    ):
        assert post(servers, path, body, signed_json(body))[0] == 400
    assert twilio_post(servers, twilio_params("+16305550142", "hi \x01 there"))[0] == 400
    for path, body in ((TELEGRAM_PATH, telegram_update(4242, "hello")), (MESSENGER_PATH, messenger_body("4242", "hi"))):
        assert post(servers, path, body, {**signed_json(body), "Content-Type": "text/plain"})[0] == 415
    assert servers.rasa.process is not None and servers.rasa.process.poll() is None
