"""No personal data and no raw conversation ids in the logs
(rasa_extensions/log_privacy.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from rasa_extensions.channels.visitor_input import new_conversation_id
from rasa_extensions.log_privacy import about_message, clean, conversation_reference
from tests.conftest import CHANNEL_SECRETS
from tests.support.conversation import Conversation
from tests.support.servers import PROJECT_DIR, AssistantServers
from tests.test_channels import (
    MESSENGER_PATH,
    TELEGRAM_PATH,
    messenger_body,
    meta_signature,
    post,
    telegram_update,
    twilio_params,
    twilio_post,
)

PHONE_FORMS = ("630-555-0142", "6305550142", "630 555 0142", "555-0142", "555 0142")

# What Rasa itself logs about visitors, produced by Rasa's own code in a
# process set up the way the launcher sets up `rasa run`.
RASA_LOGS_PERSONAL_DATA = """
import logging, sys
from rasa_extensions import log_privacy
if sys.argv[1] == "installed":
    log_privacy.install()
from rasa.utils.log_utils import configure_structlog
configure_structlog(logging.INFO)
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.message import Message
import rasa.shared.utils.io
# What Rasa does with a typed "/...": an unknown intent warns with the text.
YAMLStoryReader.unpack_regex_message(Message({"text": "/630-555-0142"}), Domain.load("domain.yml"))
logging.getLogger("rasa.core.processor").warning(
    "Circuit breaker tripped. Stopped predicting more actions for sender 'whatsapp:+16305550142'.")
with log_privacy.about_message("Zq8VhU3kP0aLw7Rt2XyB9mNc", "i am Dana Whitfield"):
    logging.getLogger("rasa.core.lock_store").warning(
        "Failed to acquire lock for conversation ID 'Zq8VhU3kP0aLw7Rt2XyB9mNc': i am Dana Whitfield")
rasa.shared.utils.io.raise_warning("Slot value 'dana@example.com' could not be used")
logging.getLogger("rasa.core.actions").info('{"event": "x", "user_text": "Dana again"}')
try:
    raise KeyError("dana@example.com")
except KeyError:
    logging.getLogger("rasa.core.agent").exception("failed")
"""


@pytest.mark.parametrize("installed", [True, False])
def test_rasa_own_warnings_are_cleaned(installed: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RASA_LOGS_PERSONAL_DATA, "installed" if installed else "plain"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    logs = result.stdout + result.stderr
    leaked = [value for value in ("555-0142", "6305550142", "Zq8VhU3kP0aLw7Rt2XyB9mNc", "Dana", "dana@")
              if value in logs]  # fmt: skip
    # Without the cleaning, Rasa's logs carry all of them (the test can fail).
    assert leaked == [] if installed else len(leaked) == 5, logs


def test_what_cleaning_keeps_and_removes() -> None:
    assert clean("Starting Rasa server on http://127.0.0.1:5005 (pid 13940)") == (
        "Starting Rasa server on http://127.0.0.1:5005 (pid 13940)"
    )
    assert clean("call (708) 555 0199 or +44 20 7946 0958, mail a.b@example.com") == (
        "call [phone] or [phone], mail [email]"
    )
    assert clean('{"user_text": "hi", "sender_id": "x", "event": "e"}') == json.dumps(
        {"user_text": "[redacted]", "sender_id": f"conversation {conversation_reference('x')}", "event": "e"}
    )
    assert "Dana" not in clean('[SQL: INSERT] [parameters: (\'{"text": "Dana"}\',)] (Background on this error)')
    with about_message("some-conversation-id-123456", 'my name is "Ana Ruiz"'):
        cleaned = clean('conversation some-conversation-id-123456 said {"text": "my name is \\"Ana Ruiz\\""}')
    assert "Ana" not in cleaned and "some-conversation-id" not in cleaned
    assert conversation_reference("a") != conversation_reference("b") and len(conversation_reference("a")) == 12


def test_nothing_a_visitor_types_or_their_ids_reach_the_logs(servers: AssistantServers) -> None:
    rest_sender = new_conversation_id()
    chat = Conversation(servers, rest_sender)
    chat.say("hi, I'm Dana Whitfield, text me on 630-555-0142 or dana.w@example.com")
    chat.say("/630 555 0142")
    chat.say("can i book an appointment")
    chat.say("Dana Whitfield")
    chat.say("6305550142")
    chat.say("stop")
    widget_sender = new_conversation_id()
    body = json.dumps({"sender": widget_sender, "message": "my number is (630) 555-0142"}).encode()
    assert servers.post_raw(body, path="/webhooks/widget/webhook")[0] == 200
    assert twilio_post(servers, twilio_params("whatsapp:+16305550142", "does it hurt?"))[0] == 204
    telegram = telegram_update(987654321, "call me at 630 555 0142")
    post(servers, TELEGRAM_PATH, telegram, {"Content-Type": "application/json",
         "X-Telegram-Bot-Api-Secret-Token": CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"]})  # fmt: skip
    messenger = messenger_body("24681357902468", "email me: dana.w@example.com")
    post(servers, MESSENGER_PATH, messenger,
         {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(messenger)})  # fmt: skip
    time.sleep(1)  # replies to the providers are sent after the webhook answers
    logs = "".join((servers.state_dir / name).read_text(errors="replace") for name in ("rasa.log", "action-server.log"))
    secrets_seen = [rest_sender, widget_sender, "987654321", "24681357902468", "Whitfield", "dana.w@", *PHONE_FORMS]
    assert [value for value in secrets_seen if value in logs] == []
