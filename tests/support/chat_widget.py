"""The website chat widget in a real browser page, driven like a visitor would."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, expect

STORAGE_KEY = "clinicChat.conversation"
# Generous: the first message of a conversation also runs the action server.
ANSWER_TIMEOUT_MS = 60_000


def normalised(text: str) -> str:
    return " ".join(text.split())


class ChatWidget:
    """One browser page of the demo site with the widget on it, plus everything
    the page did that a test may want to check (requests, dialogs, errors)."""

    def __init__(self, page: Page, site_url: str, assistant_url: str) -> None:
        self.page = page
        self.site_url = site_url
        self.assistant_url = assistant_url
        self.requests: List[str] = []
        self.dialogs: List[str] = []
        self.console_errors: List[str] = []
        self.page_errors: List[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("dialog", self._dismiss)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

        self.launcher = page.locator(".ccw-launcher")
        self.panel = page.get_by_role("dialog")
        self.log = page.get_by_role("log")
        self.input = page.get_by_role("textbox", name="Your message")
        self.send_button = page.get_by_role("button", name="Send message")
        self.close_button = page.get_by_role("button", name="Close chat")
        self.start_over_button = page.get_by_role("button", name="Start over")
        self.typing = page.locator(".ccw-typing")
        self.error = page.locator(".ccw-error")
        self.counter = page.locator(".ccw-counter")
        self.bot_bubbles = page.locator(".ccw-msg-bot .ccw-bubble")
        self.user_bubbles = page.locator(".ccw-msg-user .ccw-bubble")

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def goto(self, page_name: str = "index.html") -> None:
        self.page.goto(f"{self.site_url}/{page_name}")
        expect(self.launcher).to_be_visible()

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        self.wait_until_idle()

    def open_with_keyboard(self, max_tabs: int = 40) -> None:
        """Tab from the top of the page to the launcher, as a keyboard user would, and press Enter."""
        for _ in range(max_tabs):
            self.page.keyboard.press("Tab")
            if self.launcher.evaluate("button => button === document.activeElement"):
                break
        else:
            raise AssertionError(f"the chat launcher was not reached with {max_tabs} presses of Tab")
        self.page.keyboard.press("Enter")
        expect(self.panel).to_be_visible()
        self.wait_until_idle()

    def wait_until_idle(self) -> None:
        """Until no request is in flight (history loading or an answer on its way)."""
        expect(self.send_button).to_have_attribute("aria-disabled", "false", timeout=ANSWER_TIMEOUT_MS)
        expect(self.typing).to_be_hidden()

    def ask(self, text: str) -> List[str]:
        """Type a message, press Enter and return the bot's new messages."""
        before = self.bot_bubbles.count()
        self.input.fill(text)
        self.input.press("Enter")
        self.wait_until_idle()
        expect(self.error).to_be_empty()
        return self.bot_texts()[before:]

    def bot_texts(self) -> List[str]:
        return [normalised(text) for text in self.bot_bubbles.all_text_contents()]

    def user_texts(self) -> List[str]:
        return [normalised(text) for text in self.user_bubbles.all_text_contents()]

    def conversation(self) -> List[Tuple[str, str]]:
        """('user' | 'bot', text) for every message in the panel, in order."""
        messages = self.page.locator(".ccw-msg").evaluate_all(
            """items => items.map(item => [
                item.classList.contains('ccw-msg-user') ? 'user' : 'bot',
                (item.querySelector('.ccw-bubble') || {textContent: ''}).textContent,
            ])"""
        )
        return [(sender, normalised(text)) for sender, text in messages]

    def reply_button(self, title: str) -> Locator:
        return self.page.locator(".ccw-reply", has_text=title).last

    def stored_conversation(self) -> Dict[str, Any]:
        """What the widget keeps in localStorage: {"id": ..., "key": ...} or {}."""
        return json.loads(self.page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})") or "{}")

    def conversation_id(self) -> Optional[str]:
        return self.stored_conversation().get("id")

    def stored_keys(self) -> List[str]:
        return self.page.evaluate("Object.keys(localStorage)")

    def foreign_requests(self) -> List[str]:
        """Requests to anything but the demo site and the assistant."""
        return [url for url in self.requests if not url.startswith((f"{self.site_url}/", f"{self.assistant_url}/"))]

    def assert_clean(self, allow_connection_errors: bool = False) -> None:
        """No script errors, no dialogs, no requests to third parties."""
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs
        assert self.foreign_requests() == [], self.foreign_requests()
        errors = [
            error
            for error in self.console_errors
            if not (allow_connection_errors and "ERR_CONNECTION_REFUSED" in error)
        ]
        assert errors == [], errors
