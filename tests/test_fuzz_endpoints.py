"""Property-based fuzzing of every public endpoint of the running servers.

Random Unicode (lone surrogates, NUL, right-to-left and zero-width
characters, emoji, braces and brackets, typed "/intent" payloads), random
and huge or deeply nested JSON, wrong types and raw bytes go to the REST and
widget webhooks, the widget history, Socket.IO, the Twilio, Messenger and
Telegram webhooks (with valid and invalid signatures) and the action
server. For every request: no 5xx other than the documented 503, no raw
"{placeholder}" in any reply (outside what was typed), and afterwards the
servers still answer a normal message. Hypothesis runs with a fixed seed,
derandomized, 300 examples per endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Tuple

import pytest
import socketio
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from actions.outbox import Outbox
from rasa_extensions.channels.visitor_input import new_conversation_id
from tests.conftest import CHANNEL_SECRETS
from tests.support.conversation import Conversation
from tests.support.project_data import faq_responses
from tests.support.provider_api import ProviderApi
from tests.support.servers import AssistantServers

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
SEED = 21
# 503 is the documented answer when the assistant fails on one message.
ALLOWED_STATUSES = {200, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503}
RAW_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")
PAIN_ANSWER = " ".join(faq_responses()["anesthesia_pain"].split())

# Characters that broke or could break something: lone surrogates, NUL and
# other controls, bidirectional overrides, zero-width characters, a BOM,
# braces and brackets (response templates), quotes and backslashes (JSON).
SPECIAL = [
    "\ud800", "\udfff", "\x00", "\x07", "\x1b", "\u202e", "\u202d", "\u200f", "\u200b", "\u200d", "\ufeff",
    "{", "}", "[", "]", "0[", "{0}", "{visitor_name}", "{{", "}}", '"', "\\", "\n", "\r", "\t", "😀", "\U0001d518",
    "/restart", "/affirm@0.01", '/inform{"visitor_name": "x"}', "/book_appointment", "/", "%s", "%(x)s",
    "does it hurt?", "630-555-0142", "stop", "العربية", "עברית",
]  # fmt: skip
texts = st.lists(st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=40).map("".join)
url_safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
senders = st.one_of(
    st.text(alphabet=url_safe, min_size=22, max_size=40),
    texts,
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
# Bodies the generators above would rarely reach: huge, deeply nested, binary.
EXTREME_BODIES = [
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    json.dumps({"sender": "x" * 200, "message": "y" * 400_000}).encode(),
    b"\xff\xfe\x00" * 1000,
    b"",
]
visitor_messages = st.fixed_dictionaries(
    {"sender": senders, "message": st.one_of(texts, json_values)}, optional={"metadata": json_values}
)


def encode(value: Any) -> bytes:
    """JSON as clients send it; lone surrogates become \\udxxx escapes."""
    return json.dumps(value, ensure_ascii=True).encode()


bodies = st.one_of(
    visitor_messages.map(encode),
    json_values.map(encode),
    st.binary(max_size=300),
    st.sampled_from(EXTREME_BODIES),
)


def post(url: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def typed_texts(value: Any) -> List[str]:
    """Every string inside a generated value (what the visitor typed)."""
    if isinstance(value, str):
        return [value, " ".join(value.split())]
    if isinstance(value, dict):
        return [text for item in value.values() for text in typed_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in typed_texts(item)]
    return []


def assert_no_template(replies: Iterable[str], typed: Iterable[str]) -> None:
    typed = sorted(set(typed), key=len, reverse=True)
    for reply in replies:
        for text in typed:
            if text:
                reply = reply.replace(text, "")
        assert not RAW_PLACEHOLDER.search(reply), reply


def check_reply(status: int, answer: bytes, typed: Iterable[str]) -> None:
    assert status in ALLOWED_STATUSES, (status, answer[:300])
    if status == 200 and answer.startswith(b"["):
        assert_no_template([str(message.get("text", "")) for message in json.loads(answer)], typed)


def assert_still_serving(servers: AssistantServers) -> None:
    assert servers.rasa.process is not None and servers.rasa.process.poll() is None
    assert servers.actions.process is not None and servers.actions.process.poll() is None
    replies = servers.send(new_conversation_id(), "does the laser hurt? will you numb my skin")
    assert PAIN_ANSWER in [" ".join(reply.get("text", "").split()) for reply in replies]


def assert_provider_replies_clean(provider_api: ProviderApi, before: int) -> None:
    for call in provider_api.calls[before:]:
        assert not RAW_PLACEHOLDER.search(call.text.replace("{visitor_name}", "").replace("{0}", "")), call.text


JSON_HEADERS = {"Content-Type": "application/json"}


class Examples:
    """Counts the examples a fuzz function ran, to show Hypothesis ran them all."""

    def __init__(self) -> None:
        self.count = 0

    def ran(self) -> None:
        self.count += 1

    def check(self) -> None:
        assert self.count >= EXAMPLES, f"only {self.count} examples ran"


@pytest.mark.parametrize("route", ["rest/webhook", "widget/webhook"])
def test_fuzz_rest_and_widget_webhooks(servers: AssistantServers, route: str) -> None:
    url = f"{servers.rasa_url}/webhooks/{route}"

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(message=visitor_messages, raw=bodies, send_raw=st.booleans())
    def fuzz(message: Dict[str, Any], raw: bytes, send_raw: bool) -> None:
        examples.ran()
        status, answer = post(url, raw if send_raw else encode(message), JSON_HEADERS)
        check_reply(status, answer, [] if send_raw else typed_texts(message))

    fuzz()
    examples.check()
    assert_still_serving(servers)


def test_fuzz_widget_history(servers: AssistantServers) -> None:
    url = f"{servers.rasa_url}/webhooks/widget/history"
    owner = new_conversation_id()
    status, _ = post(f"{servers.rasa_url}/webhooks/widget/webhook", encode({"sender": owner, "message": "hi"}),
                     JSON_HEADERS)  # fmt: skip
    assert status == 200

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(sender=st.one_of(senders, st.just(owner)), key=st.one_of(json_values, texts), raw=bodies,
           send_raw=st.booleans())  # fmt: skip
    def fuzz(sender: Any, key: Any, raw: bytes, send_raw: bool) -> None:
        examples.ran()
        status, answer = post(url, raw if send_raw else encode({"sender": sender, "key": key}), JSON_HEADERS)
        assert status in ALLOWED_STATUSES - {200}, (status, answer[:300])  # never without the right key

    fuzz()
    examples.check()
    assert_still_serving(servers)


def test_fuzz_socketio(servers: AssistantServers) -> None:
    async def exchange(session: Any, message: Any) -> None:
        client = socketio.AsyncClient()
        received = asyncio.Event()
        replies: List[str] = []
        errors: List[Any] = []

        @client.on("bot_uttered")
        async def on_bot(data: Any) -> None:
            replies.append(str(data.get("text", "")) if isinstance(data, dict) else "")
            received.set()

        @client.on("error")
        async def on_error(data: Any) -> None:
            errors.append(data)
            received.set()

        await client.connect(servers.rasa_url, socketio_path="/socket.io")
        try:
            await client.emit("session_request", session)
            await client.emit("user_uttered", message)
            await asyncio.wait_for(received.wait(), timeout=30)
            assert client.connected
        finally:
            await client.disconnect()
        assert all(isinstance(error, dict) and error["status"] in ALLOWED_STATUSES for error in errors), errors
        assert_no_template(replies, typed_texts(message))

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(
        session=st.one_of(st.fixed_dictionaries({"session_id": senders}), json_values),
        message=st.one_of(
            st.fixed_dictionaries({"message": st.one_of(texts, json_values)}, optional={"metadata": json_values}),
            json_values,
        ),
    )
    def fuzz(session: Any, message: Any) -> None:
        examples.ran()
        asyncio.run(exchange(session, message))

    fuzz()
    examples.check()
    assert_still_serving(servers)


def test_fuzz_twilio(servers: AssistantServers, provider_api: ProviderApi) -> None:
    path = "/webhooks/twilio/webhook"
    validator = RequestValidator(CHANNEL_SECRETS["TWILIO_AUTH_TOKEN"])
    form_texts = texts.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))
    before = len(provider_api.calls)

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(
        params=st.dictionaries(st.sampled_from(["From", "Body", "To", "NumMedia", "MessageSid", "x"]), form_texts),
        signed=st.booleans(),
        raw=st.binary(max_size=200),
        send_raw=st.booleans(),
    )
    def fuzz(params: Dict[str, str], signed: bool, raw: bytes, send_raw: bool) -> None:
        examples.ran()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers["X-Twilio-Signature"] = validator.compute_signature(f"{servers.rasa_url}{path}", params)
        body = raw if send_raw else urllib.parse.urlencode(params).encode()
        status, answer = post(f"{servers.rasa_url}{path}", body, headers)
        assert status in ALLOWED_STATUSES, (status, answer[:300])
        if not signed:
            assert status == 403

    fuzz()
    examples.check()
    assert_provider_replies_clean(provider_api, before)
    assert_still_serving(servers)


def meta_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(CHANNEL_SECRETS["FACEBOOK_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()


messenger_events = st.fixed_dictionaries(
    {
        "object": st.one_of(st.just("page"), json_values),
        "entry": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "messaging": st.lists(
                            st.fixed_dictionaries(
                                {
                                    "sender": st.fixed_dictionaries({"id": senders}),
                                    "message": st.one_of(
                                        st.fixed_dictionaries({"text": st.one_of(texts, json_values)}), json_values
                                    ),
                                },
                                optional={"postback": st.fixed_dictionaries({"payload": texts})},
                            ),
                            max_size=3,
                        )
                    }
                ),
                max_size=2,
            ),
            json_values,
        ),
    }
)


def test_fuzz_messenger(servers: AssistantServers, provider_api: ProviderApi) -> None:
    url = f"{servers.rasa_url}/webhooks/facebook/webhook"
    before = len(provider_api.calls)

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(payload=messenger_events, raw=bodies, send_raw=st.booleans(), signed=st.booleans())
    def fuzz(payload: Dict[str, Any], raw: bytes, send_raw: bool, signed: bool) -> None:
        examples.ran()
        body = raw if send_raw else encode(payload)
        signature = meta_signature(body) if signed else "sha256=" + "0" * 64
        status, answer = post(url, body, {**JSON_HEADERS, "X-Hub-Signature-256": signature})
        assert status in ALLOWED_STATUSES, (status, answer[:300])
        if not signed:
            assert status in (403, 413)

    fuzz()
    examples.check()
    assert_provider_replies_clean(provider_api, before)
    assert_still_serving(servers)


chats = st.fixed_dictionaries({"id": st.integers()})
telegram_updates = st.fixed_dictionaries(
    {"update_id": st.integers()},
    optional={
        "message": st.one_of(
            st.fixed_dictionaries(
                {
                    "chat": st.fixed_dictionaries({"id": st.one_of(st.integers(), json_values)}),
                    "text": st.one_of(texts, json_values),
                }  # fmt: skip
            ),
            json_values,
        ),
        "callback_query": st.one_of(
            st.fixed_dictionaries(
                {
                    "data": texts,
                    "message": st.fixed_dictionaries({"chat": st.fixed_dictionaries({"id": st.integers()})}),
                }
            ),
            json_values,
        ),
    },
)


def test_fuzz_telegram(servers: AssistantServers, provider_api: ProviderApi) -> None:
    url = f"{servers.rasa_url}/webhooks/telegram/webhook"
    before = len(provider_api.calls)

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(update=telegram_updates, raw=bodies, send_raw=st.booleans(), secret=st.one_of(st.none(), texts))
    def fuzz(update: Dict[str, Any], raw: bytes, send_raw: bool, secret: Optional[str]) -> None:
        examples.ran()
        headers = dict(JSON_HEADERS)
        signed = secret is None
        token = CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"] if signed else secret
        # Header values are printable ASCII here (urllib refuses the rest).
        headers["X-Telegram-Bot-Api-Secret-Token"] = re.sub(r"[^\x20-\x7e]", "?", token or "")
        status, answer = post(url, raw if send_raw else encode(update), headers)
        assert status in ALLOWED_STATUSES, (status, answer[:300])
        if not signed:
            assert status in (403, 413)

    fuzz()
    examples.check()
    assert_provider_replies_clean(provider_api, before)
    assert_still_serving(servers)


ACTIONS = [
    "action_submit_booking", "action_submit_callback", "action_start_handoff", "action_stop_request",
    "validate_booking_form", "validate_handoff_form", "action_ask_preferred_clinic", "action_session_start",
    "action_find_nearest_clinic",
]  # fmt: skip
SLOTS = ["visitor_name", "visitor_contact", "preferred_clinic", "booking_confirmed", "requested_slot", "x"]
action_calls = st.fixed_dictionaries(
    {
        "next_action": st.one_of(st.sampled_from(ACTIONS), json_values),
        "tracker": st.one_of(
            st.fixed_dictionaries(
                {"sender_id": senders},
                optional={
                    "slots": st.dictionaries(
                        st.sampled_from(
                            [
                                "visitor_name",
                                "visitor_contact",
                                "preferred_clinic",
                                "booking_confirmed",
                                "requested_slot",
                                "x",
                            ]
                        ),
                        json_values,
                    ),
                    "latest_message": json_values,
                    "events": st.lists(json_values, max_size=4),
                    "active_loop": json_values,
                },
            ),  # fmt: skip
            json_values,
        ),
    },
    optional={"domain": json_values, "version": texts},
)


def test_fuzz_action_server(servers: AssistantServers) -> None:
    outbox = Outbox.from_url(servers.env["BOOKING_OUTBOX_URL"])
    stored_before = len(outbox.list())
    token = servers.env["ACTION_SERVER_TOKEN"]

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(call=action_calls, raw=bodies, send_raw=st.booleans(), with_token=st.booleans())
    def fuzz(call: Dict[str, Any], raw: bytes, send_raw: bool, with_token: bool) -> None:
        examples.ran()
        headers = {**JSON_HEADERS, "X-Action-Token": token if with_token else "wrong"}
        status, answer = post(servers.action_server_url, raw if send_raw else encode(call), headers)
        assert status in ALLOWED_STATUSES, (status, answer[:300])
        if not with_token:
            assert status in (401, 413)
        # rasa_sdk's own error answer echoed the request: the visitor's conversation.
        assert status == 200 or b"request_body" not in answer

    fuzz()
    examples.check()
    # A hand-made call never stores a request.
    assert len(outbox.list()) == stored_before
    assert_still_serving(servers)


def reach_the_summary(servers: AssistantServers) -> Conversation:
    chat = Conversation(servers)
    for text in ("I'd like to book a consultation please", "Dana Whitfield", "630-555-0142", "Oak Brook",
                 "tuesday afternoons", "rolling scars", "yes"):  # fmt: skip
        chat.say(text)
    chat.expect("utter_ask_booking_confirmed")
    return chat


def test_fuzz_braces_and_brackets_in_form_answers(servers: AssistantServers) -> None:
    """Free-text answers go into the booking summary's template."""
    state: Dict[str, Any] = {"chat": reach_the_summary(servers), "typed": []}
    answer_texts = st.text(
        alphabet="abcdefghij klmnop 0123456789 {}[]()<>$%&*_-.,'\"\\|:;0[", min_size=1, max_size=60
    ).filter(str.strip)

    examples = Examples()

    @FUZZ
    @seed(SEED)
    @given(detail=st.sampled_from(["times", "treatment"]), answer=answer_texts)
    def fuzz(detail: str, answer: str) -> None:
        examples.ran()
        chat: Conversation = state["chat"]
        if not chat.replied("utter_ask_booking_confirmed"):
            state["chat"], state["typed"] = reach_the_summary(servers), []
            chat = state["chat"]
        chat.say(f"change the {detail}")
        state["typed"] += typed_texts(answer)
        replies = chat.say(answer)
        assert_no_template(replies, state["typed"])

    fuzz()
    examples.check()
    assert_still_serving(servers)
