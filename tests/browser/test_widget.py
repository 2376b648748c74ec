"""The chat widget on the demo clinic site, in headless Chromium, against the
real Rasa and action servers.

The last test stops and restarts the Rasa server, so it stays last.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List

from playwright.sync_api import Browser, expect

from tests.support.chat_widget import ChatWidget, normalised
from tests.support.project_data import domain, faq_responses
from tests.support.servers import PROJECT_DIR, AssistantServers

PAIN_ANSWER = normalised(faq_responses()["anesthesia_pain"])
RECOVERY_ANSWER = normalised(faq_responses()["recovery_time"])
GREET = domain()["responses"]["utter_greet"][0]
GREET_OPENING = normalised(GREET["text"])[:60]
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)>"
SMALL_SCREEN = {"width": 320, "height": 640}
MIN_TARGET_PX = 44
MIN_CONTRAST = 4.5
PANEL_TEXT = [
    ".ccw-title",
    ".ccw-subtitle",
    ".ccw-restart",
    ".ccw-msg-bot .ccw-bubble",
    ".ccw-msg-user .ccw-bubble",
    ".ccw-reply",
    ".ccw-input",
]


def contrast_ratio(first: List[float], second: List[float]) -> float:
    """WCAG contrast of two sRGB colours given as 0-255 channels."""

    def luminance(rgb: List[float]) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (x / 255 for x in rgb)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    darker, lighter = sorted([luminance(first), luminance(second)])
    return (lighter + 0.05) / (darker + 0.05)


# For each selector: its text colour and the first opaque background behind it.
COLOURS_SCRIPT = """selectors => selectors.map(selector => {
    const element = document.querySelector(selector);
    if (!element) return [selector, null, null];
    const rgb = value => value.match(/[\\d.]+/g).map(Number);
    let node = element, background = null;
    while (node && node.nodeType === 1) {
        const colour = rgb(getComputedStyle(node).backgroundColor);
        if (colour.length < 4 || colour[3] === 1) { background = colour.slice(0, 3); break; }
        node = node.parentElement;
    }
    return [selector, rgb(getComputedStyle(element).color).slice(0, 3), background || [255, 255, 255]];
})"""


def low_contrast(widget: ChatWidget, selectors: List[str]) -> Dict[str, float]:
    """Selectors whose text contrast is under 4.5:1 (missing ones count as 0)."""
    failures = {}
    for selector, colour, background in widget.page.evaluate(COLOURS_SCRIPT, selectors):
        ratio = contrast_ratio(colour, background) if colour else 0.0
        if ratio < MIN_CONTRAST:
            failures[selector] = round(ratio, 2)
    return failures


def test_keyboard_visitor_asks_a_question_and_uses_quick_replies(widget: ChatWidget, artifacts_dir: Path) -> None:
    widget.goto("index.html")
    widget.open_with_keyboard()
    expect(widget.input).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    # The demo page names the clinic with data-title on the script tag.
    expect(widget.page.get_by_role("dialog", name="Charming Skin & Vein Clinics")).to_be_visible()
    expect(widget.log).to_have_attribute("aria-live", "polite")
    greeting = widget.bot_texts()
    assert len(greeting) == 1 and "virtual assistant" in greeting[0] and "not medical advice" in greeting[0]

    assert PAIN_ANSWER in widget.ask("does it hurt?")

    replies = widget.ask("hello")
    assert any(reply.startswith(GREET_OPENING) for reply in replies), replies
    titles = [button["title"] for button in GREET["buttons"]]
    for title in titles:
        expect(widget.reply_button(title)).to_be_enabled()
    assert low_contrast(widget, PANEL_TEXT) == {}

    # From the message box, Shift+Tab walks back through the quick replies.
    widget.page.keyboard.press("Shift+Tab")
    expect(widget.reply_button(titles[-1])).to_be_focused()
    widget.page.keyboard.press("Shift+Tab")
    expect(widget.reply_button(titles[-2])).to_be_focused()
    widget.page.keyboard.press("Enter")
    widget.wait_until_idle()
    assert widget.user_texts()[-1] == titles[-2]
    assert widget.bot_texts()[-1] == RECOVERY_ANSWER
    for title in titles:
        expect(widget.reply_button(title)).to_be_disabled()
    expect(widget.input).to_be_focused()

    screenshot = artifacts_dir / "widget-desktop.png"
    widget.page.screenshot(path=str(screenshot))
    docs = PROJECT_DIR / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, docs / "widget-screenshot.png")

    widget.page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    widget.assert_clean()


def test_conversation_survives_a_reload_and_a_move_to_another_page(widget: ChatWidget) -> None:
    widget.goto("index.html")
    widget.open()
    assert widget.conversation_id() is None  # no id until the visitor says something
    widget.ask("does it hurt?")
    widget.ask("hello")
    conversation = widget.conversation()
    conversation_id = widget.conversation_id()
    assert conversation_id

    widget.page.reload()
    widget.open()
    assert widget.conversation() == conversation
    # The greeting's quick replies are still the latest ones, so still usable.
    expect(widget.reply_button(GREET["buttons"][0]["title"])).to_be_enabled()

    widget.close_button.click()
    widget.page.get_by_role("navigation").get_by_role("link", name="Acne-scar treatment").click()
    widget.page.wait_for_url("**/treatments.html")
    widget.open()
    assert widget.conversation() == conversation
    assert widget.conversation_id() == conversation_id
    # One entry: the random id and the history key its first reply carried.
    assert widget.stored_keys() == ["clinicChat.conversation"]
    assert len(conversation_id) >= 22 and len(widget.stored_conversation()["key"]) >= 40
    widget.assert_clean()


def test_messages_are_shown_as_text_and_links_are_safe(widget: ChatWidget) -> None:
    widget.goto("index.html")
    widget.open()
    widget.ask(HOSTILE_MESSAGE)
    widget.page.wait_for_timeout(300)  # time for an injected onerror handler to fire
    assert widget.user_texts()[-1] == HOSTILE_MESSAGE
    assert widget.page.locator("img").count() == 0
    assert widget.dialogs == []

    # The fixture clinic's contact sentence includes its website.
    widget.ask("what are your opening hours?")
    link = widget.page.locator(".ccw-msg-bot .ccw-bubble a").last
    expect(link).to_have_attribute("href", "https://clinic.example/")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_contain_text("https://clinic.example")
    assert "https://clinic.example (opens in a new tab), or leave your details" in widget.bot_texts()[-1]
    widget.assert_clean()


def test_small_touch_screen_and_reduced_motion(
    browser: Browser, demo_site: str, servers: AssistantServers, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport=SMALL_SCREEN, has_touch=True, reduced_motion="reduce")
    try:
        widget = ChatWidget(context.new_page(), demo_site, servers.rasa_url)
        widget.goto("index.html")
        widget.launcher.tap()
        expect(widget.panel).to_be_visible()
        widget.ask("hello")

        panel = widget.panel.bounding_box()
        assert panel is not None
        assert (panel["x"], panel["width"]) == (0, SMALL_SCREEN["width"])
        assert widget.page.evaluate("document.documentElement.scrollWidth") <= SMALL_SCREEN["width"]
        for control in [widget.close_button, widget.start_over_button, widget.send_button, widget.input]:
            box = control.bounding_box()
            assert box and min(box["width"], box["height"]) >= MIN_TARGET_PX, (control, box)
        for button in widget.page.locator(".ccw-reply").all():
            box = button.bounding_box()
            assert box and box["height"] >= MIN_TARGET_PX, box

        animations = widget.page.evaluate(
            "['.ccw-panel', '.ccw-dot'].map(s => getComputedStyle(document.querySelector(s)).animationName)"
        )
        assert animations == ["none", "none"]

        widget.input.fill("x" * 700)
        expect(widget.counter).to_be_hidden()
        widget.input.fill("x" * 900)
        expect(widget.counter).to_have_text("100 characters left")
        widget.input.fill("x" * 995)
        widget.input.press_sequentially("z" * 10)
        assert len(widget.input.input_value()) == 1000
        expect(widget.counter).to_have_text("1000-character limit reached")
        widget.input.fill("")

        widget.page.screenshot(path=str(artifacts_dir / "widget-320px.png"))
        widget.assert_clean()
    finally:
        context.close()


def test_page_configuration_wins_and_any_brand_colour_stays_readable(widget: ChatWidget) -> None:
    # What a clinic would put in a <script> before the widget's tag.
    widget.page.add_init_script(
        """window.ClinicChatConfig = {
            title: "Ask Charming Skin", greeting: "Hello from the page's configuration.",
            primaryColor: "#ffd700", position: "left", startOpen: true,
        };"""
    )
    widget.goto("index.html")
    expect(widget.page.get_by_role("dialog", name="Ask Charming Skin")).to_be_visible()
    assert widget.page.evaluate("document.activeElement === document.body")  # opening did not steal focus
    assert widget.bot_texts() == ["Hello from the page's configuration."]
    launcher, panel = widget.launcher.bounding_box(), widget.panel.bounding_box()
    assert launcher and panel and launcher["x"] < 100 and panel["x"] < 100
    # Gold is too light for white text: the widget switches to black.
    assert low_contrast(widget, [".ccw-title", ".ccw-launcher-label", ".ccw-restart"]) == {}
    widget.assert_clean()


def test_start_over_gives_a_fresh_conversation(widget: ChatWidget) -> None:
    widget.goto("index.html")
    widget.open()
    widget.ask("does it hurt?")
    first_id = widget.conversation_id()

    widget.start_over_button.click()
    expect(widget.input).to_be_focused()
    assert len(widget.bot_texts()) == 1  # the greeting only
    assert widget.user_texts() == []
    assert widget.conversation_id() is None

    widget.ask("hello")
    second_id = widget.conversation_id()
    assert second_id and second_id != first_id
    widget.page.reload()
    widget.open()
    assert widget.user_texts() == ["hello"]
    widget.assert_clean()


def test_server_down_shows_retry_and_nothing_is_lost(widget: ChatWidget, servers: AssistantServers) -> None:
    widget.goto("index.html")
    widget.open()
    widget.ask("does it hurt?")

    servers.rasa.stop()
    try:
        widget.input.fill("how long is the recovery?")
        widget.input.press("Enter")
        expect(widget.error).to_contain_text("can't be reached")
        expect(widget.error).to_contain_text("In an emergency, call 911")
        retry = widget.error.get_by_role("button", name="Retry")
        expect(retry).to_be_visible()
        expect(widget.page.locator(".ccw-msg-user").last).to_contain_text("Not sent")
        assert widget.user_texts()[-1] == "how long is the recovery?"
        assert low_contrast(widget, [".ccw-error-text", ".ccw-retry", ".ccw-msg-status"]) == {}
    finally:
        servers.rasa.start()

    retry.click()
    widget.wait_until_idle()
    expect(widget.error).to_be_empty()
    expect(widget.page.locator(".ccw-msg-status")).to_have_count(0)
    assert widget.bot_texts()[-1] == RECOVERY_ANSWER

    widget.page.reload()
    widget.open()
    assert widget.user_texts() == ["does it hurt?", "how long is the recovery?"]
    widget.assert_clean(allow_connection_errors=True)


def test_an_answer_that_never_comes_shows_what_to_do(widget: ChatWidget) -> None:
    """The server guards against empty replies; a proxy or network fault can still
    bring back nothing. The widget then says so, with the emergency advice."""
    widget.goto("index.html")
    widget.open()
    widget.page.route(
        "**/webhooks/widget/webhook",
        lambda route: route.fulfill(status=200, content_type="application/json", body="[]"),
    )
    widget.input.fill("my face is oozing pus since the laser")
    widget.input.press("Enter")
    expect(widget.error).to_contain_text("didn't answer")
    expect(widget.error).to_contain_text("In an emergency, call 911")
    assert widget.user_texts()[-1] == "my face is oozing pus since the laser"
    widget.page.unroute("**/webhooks/widget/webhook")
    widget.ask("does it hurt?")
    expect(widget.error).to_be_empty()
