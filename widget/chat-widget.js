/*
 * Website chat widget for the clinic's virtual assistant.
 *
 * Embed with one tag (see widget/README.md):
 *   <script src="https://ASSISTANT/webhooks/widget/chat-widget.js" defer></script>
 *
 * It talks only to the assistant server (webhooks/widget/ routes in
 * rasa_extensions/channels/widget.py) and keeps one thing in the browser:
 * the conversation's random id and the history key the server gave with its
 * first reply, in localStorage, so the chat survives reloads and moves
 * between the site's pages. Message content is only ever written as text
 * (textContent / text nodes), never parsed as HTML.
 */
(() => {
  "use strict";

  if (window.ClinicChatWidgetLoaded) {
    return; // the tag was included twice
  }
  window.ClinicChatWidgetLoaded = true;

  const WIDGET_PATH = "/webhooks/widget/";
  const STORAGE_KEY = "clinicChat.conversation";
  // What the server accepts (rasa_extensions/channels/visitor_input.py).
  const CONVERSATION_ID = /^[A-Za-z0-9_-]{22,128}$/;
  const HISTORY_KEY = /^[A-Za-z0-9_-]{20,100}$/;
  const KEY_HEADER = "X-Conversation-Key";
  const HEX_COLOUR = /^#(?:[0-9a-f]{3}){1,2}$/i;
  const MAX_CHARACTERS = 1000;
  const COUNTER_FROM = 800;
  const REQUEST_TIMEOUT_MS = 45000;
  const INPUT_MAX_HEIGHT = 120;
  // Colours the theme is checked against (keep in step with chat-widget.css).
  const TEXT_COLOUR = "#1f2328";
  const BOT_BUBBLE_COLOUR = "#f1f3f5";
  const MIN_TEXT_CONTRAST = 4.5;

  const DEFAULTS = {
    serverUrl: "",
    title: "Virtual assistant",
    greeting:
      "Hi! I'm the clinic's virtual assistant. I can give general information " +
      "about laser treatment for acne scars, but not medical advice. " +
      "What would you like to know?",
    primaryColor: "#0f5f6e",
    position: "right",
    startOpen: false,
  };

  const TEXTS = {
    subtitle: "General information, not medical advice",
    launcher: "Chat",
    close: "Close chat",
    startOver: "Start over",
    inputLabel: "Your message",
    placeholder: "Type your question…",
    send: "Send message",
    log: "Conversation",
    replies: "Suggested replies",
    you: "You: ",
    assistant: "Assistant: ",
    image: "Image from the assistant",
    newTab: " (opens in a new tab)",
    notSent: "Not sent",
    retry: "Retry",
    typing: "The assistant is typing…",
    loading: "Loading your conversation…",
    restored: "Your earlier conversation is shown.",
    restarted: "Started a new conversation.",
    unreachable:
      "Sorry, the assistant can't be reached right now. Please check your " +
      "connection and try again.",
    serverTrouble: "The assistant could not answer just now. Please try again in a moment.",
    refused: "The assistant could not accept that message.",
    noAnswer: "The assistant didn't answer that. Please try asking another way.",
    // Shown with every error and missing answer: whatever went wrong, a
    // visitor with a worrying symptom still learns what to do.
    emergency:
      "If you have a worrying symptom after treatment, call the clinic that treated you. " +
      "In an emergency, call 911.",
  };

  const script = document.currentScript || document.querySelector('script[src*="chat-widget.js"]');
  const scriptUrl = script && script.src ? new URL(script.src, window.location.href) : null;

  /** An error to show the visitor; `retryable` when trying again may work. */
  class ChatError extends Error {
    constructor(message, retryable) {
      super(message);
      this.retryable = retryable;
    }
  }

  /** The assistant's base URL: the script's own, minus /webhooks/widget/chat-widget.js. */
  function defaultServerUrl() {
    if (!scriptUrl) {
      return window.location.origin;
    }
    const at = scriptUrl.pathname.lastIndexOf(WIDGET_PATH);
    return scriptUrl.origin + (at >= 0 ? scriptUrl.pathname.slice(0, at) : "");
  }

  /** Defaults, overridden by data-* attributes, overridden by window.ClinicChatConfig. */
  function readConfig() {
    const fromPage =
      window.ClinicChatConfig && typeof window.ClinicChatConfig === "object" ? window.ClinicChatConfig : {};
    const fromTag = script ? script.dataset : {};
    const config = {};
    for (const key of Object.keys(DEFAULTS)) {
      let value = fromPage[key] !== undefined ? fromPage[key] : fromTag[key];
      if (typeof DEFAULTS[key] === "boolean" && typeof value === "string") {
        value = value !== "false"; // data-start-open and data-start-open="true" both mean yes
      }
      config[key] = typeof value === typeof DEFAULTS[key] && value !== "" ? value : DEFAULTS[key];
    }
    if (!HEX_COLOUR.test(config.primaryColor)) {
      config.primaryColor = DEFAULTS.primaryColor;
    }
    if (config.position !== "left") {
      config.position = "right";
    }
    config.serverUrl = (config.serverUrl || defaultServerUrl()).replace(/\/+$/, "");
    return config;
  }

  function relativeLuminance(hex) {
    let digits = hex.slice(1);
    if (digits.length === 3) {
      digits = digits.replace(/./g, "$&$&");
    }
    const [red, green, blue] = [0, 2, 4].map((start) => {
      const channel = parseInt(digits.slice(start, start + 2), 16) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
  }

  function contrastRatio(first, second) {
    const [darker, lighter] = [relativeLuminance(first), relativeLuminance(second)].sort((a, b) => a - b);
    return (lighter + 0.05) / (darker + 0.05);
  }

  /** Text colours that stay readable (>= 4.5:1) whatever primary colour a clinic picks. */
  function themeColours(primary) {
    const white = contrastRatio(primary, "#ffffff");
    const onPrimary = white >= contrastRatio(primary, "#000000") ? "#ffffff" : "#000000";
    const accent = contrastRatio(primary, BOT_BUBBLE_COLOUR) >= MIN_TEXT_CONTRAST ? primary : TEXT_COLOUR;
    return { "--ccw-primary": primary, "--ccw-on-primary": onPrimary, "--ccw-accent": accent };
  }

  /** 24 random bytes in base64url (32 characters): the key to the conversation, so unguessable. */
  function newConversationId() {
    const bytes = window.crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** {id, key} in localStorage; blocked storage just means no memory across pages. */
  const storedConversation = {
    read() {
      try {
        const value = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
        if (!value || typeof value.id !== "string" || !CONVERSATION_ID.test(value.id)) {
          return { id: null, key: null };
        }
        const key = typeof value.key === "string" && HISTORY_KEY.test(value.key) ? value.key : null;
        return { id: value.id, key };
      } catch (error) {
        return { id: null, key: null };
      }
    },
    write(id, key) {
      try {
        if (id) {
          window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ id, key }));
        } else {
          window.localStorage.removeItem(STORAGE_KEY);
        }
      } catch (error) {
        // Storage is blocked: the conversation lives only as long as this page.
      }
    },
  };

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") {
        node.textContent = value;
      } else {
        node.setAttribute(name, value);
      }
    }
    node.append(...children);
    return node;
  }

  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-2-7-8-1z",
  };

  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "ccw-icon");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function safeHttpUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;

  /** A URL found in text, without the sentence punctuation that follows it. */
  function trimUrl(candidate) {
    let url = candidate;
    for (;;) {
      const trimmed = url.replace(/[.,;:!?]+$/, "");
      const unbalanced = trimmed.endsWith(")") && trimmed.split("(").length < trimmed.split(")").length;
      const next = unbalanced ? trimmed.slice(0, -1) : trimmed;
      if (next === url) {
        return url;
      }
      url = next;
    }
  }

  /** Append `text` to `parent` as text nodes, with http(s) URLs as links. */
  function appendLinkedText(parent, text) {
    let position = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      const shown = trimUrl(match[0]);
      const href = safeHttpUrl(shown);
      if (!href) {
        continue;
      }
      parent.append(text.slice(position, match.index));
      parent.append(
        element("a", { href, target: "_blank", rel: "noopener noreferrer", class: "ccw-link" }, [
          shown,
          element("span", { class: "ccw-sr-only", text: TEXTS.newTab }),
        ]),
      );
      position = match.index + shown.length;
    }
    parent.append(text.slice(position));
  }

  function start() {
    const config = readConfig();
    const stored = storedConversation.read();
    const state = {
      conversationId: stored.id,
      conversationKey: stored.key, // opens the history; only the conversation's first reply carries it
      loaded: false, // greeting and history drawn
      busy: false,
      pending: null, // the visitor's message until the server has answered it
      generation: 0, // bumped by "Start over" so late answers are dropped
    };

    const launcher = element(
      "button",
      {
        type: "button",
        class: "ccw-launcher",
        "aria-label": `${TEXTS.launcher}: ${config.title}`,
        "aria-expanded": "false",
        "aria-controls": "ccw-panel",
      },
      [icon("chat"), element("span", { class: "ccw-launcher-label", text: TEXTS.launcher })],
    );
    const restartButton = element("button", {
      type: "button",
      class: "ccw-header-button ccw-restart",
      text: TEXTS.startOver,
    });
    const closeButton = element(
      "button",
      { type: "button", class: "ccw-header-button ccw-close", "aria-label": TEXTS.close },
      [icon("close")],
    );
    const messages = element("div", { class: "ccw-messages" });
    const typing = element("div", { class: "ccw-typing", "aria-hidden": "true", hidden: "" }, [
      element("span", { class: "ccw-dot" }),
      element("span", { class: "ccw-dot" }),
      element("span", { class: "ccw-dot" }),
    ]);
    const log = element(
      "div",
      {
        class: "ccw-log",
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions",
        "aria-label": TEXTS.log,
        tabindex: "0",
      },
      [messages, typing],
    );
    const status = element("div", { class: "ccw-sr-only", role: "status" });
    const errorBox = element("div", { class: "ccw-error", role: "alert" });
    const input = element("textarea", {
      id: "ccw-input",
      class: "ccw-input",
      rows: "1",
      maxlength: String(MAX_CHARACTERS),
      placeholder: TEXTS.placeholder,
      "aria-describedby": "ccw-counter",
      autocomplete: "off",
    });
    const sendButton = element(
      "button",
      { type: "submit", class: "ccw-send", "aria-label": TEXTS.send, "aria-disabled": "false" },
      [icon("send")],
    );
    const counter = element("p", { id: "ccw-counter", class: "ccw-counter", hidden: "" });
    const form = element("form", { class: "ccw-form" }, [
      element("label", { class: "ccw-sr-only", for: "ccw-input", text: TEXTS.inputLabel }),
      input,
      sendButton,
      counter,
    ]);
    const panel = element(
      "section",
      { id: "ccw-panel", class: "ccw-panel", role: "dialog", "aria-label": config.title, hidden: "" },
      [
        element("header", { class: "ccw-header" }, [
          element("div", { class: "ccw-heading" }, [
            element("h2", { class: "ccw-title", text: config.title }),
            element("p", { class: "ccw-subtitle", text: TEXTS.subtitle }),
          ]),
          restartButton,
          closeButton,
        ]),
        log,
        status,
        errorBox,
        form,
      ],
    );
    const root = element("div", { class: `ccw-root ccw-${config.position}`, hidden: "" }, [launcher, panel]);
    for (const [name, value] of Object.entries(themeColours(config.primaryColor))) {
      root.style.setProperty(name, value);
    }

    let announcement = 0;

    function announce(text) {
      clearAnnouncement();
      // Set after a pause, so the same sentence twice is announced twice.
      announcement = window.setTimeout(() => {
        status.textContent = text;
      }, 50);
    }

    function clearAnnouncement() {
      window.clearTimeout(announcement);
      status.textContent = "";
    }

    /** After a control disappears or is disabled: keyboard users go on typing,
     * touch and mouse users stay in the conversation without a pop-up keyboard. */
    function keepFocusInPanel(event) {
      if (event.detail === 0) {
        input.focus();
      } else {
        log.focus({ preventScroll: true });
      }
    }

    function scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    }

    /** Show a batch of new bot messages from its first line, however long it is. */
    function revealFrom(item) {
      log.scrollTop = item.offsetTop - 12;
    }

    function disableOldReplies() {
      for (const button of messages.querySelectorAll(".ccw-reply")) {
        button.disabled = true;
      }
    }

    function addUserMessage(text) {
      disableOldReplies();
      const item = element("div", { class: "ccw-msg ccw-msg-user" }, [
        element("span", { class: "ccw-sr-only", text: TEXTS.you }),
        element("p", { class: "ccw-bubble", text }),
      ]);
      messages.append(item);
      return item;
    }

    function replyButtons(buttons) {
      const group = element("div", { class: "ccw-replies", role: "group", "aria-label": TEXTS.replies });
      for (const button of buttons) {
        if (!button || typeof button.title !== "string" || typeof button.payload !== "string") {
          continue;
        }
        const control = element("button", { type: "button", class: "ccw-reply", text: button.title });
        control.addEventListener("click", (event) => {
          if (!state.busy) {
            send(button.payload, button.title);
            keepFocusInPanel(event); // the clicked button is now disabled
          }
        });
        group.append(control);
      }
      return group;
    }

    function addBotMessage(message) {
      const text = typeof message.text === "string" ? message.text : "";
      const image = typeof message.image === "string" ? safeHttpUrl(message.image) : null;
      const buttons = Array.isArray(message.buttons) ? message.buttons : [];
      if (!text && !image && !buttons.length) {
        return null;
      }
      const item = element("div", { class: "ccw-msg ccw-msg-bot" }, [
        element("span", { class: "ccw-sr-only", text: TEXTS.assistant }),
      ]);
      if (text) {
        const bubble = element("p", { class: "ccw-bubble" });
        appendLinkedText(bubble, text);
        item.append(bubble);
      }
      if (image) {
        const alt = typeof message.alt === "string" && message.alt ? message.alt : TEXTS.image;
        item.append(
          element("img", {
            class: "ccw-image",
            src: image,
            alt,
            loading: "lazy",
            referrerpolicy: "no-referrer",
          }),
        );
      }
      if (buttons.length) {
        item.append(replyButtons(buttons));
      }
      messages.append(item);
      return item;
    }

    function addBotMessages(replies) {
      let first = null;
      for (const reply of replies) {
        const item = reply && typeof reply === "object" ? addBotMessage(reply) : null;
        first = first || item;
      }
      if (first) {
        revealFrom(first);
      }
    }

    function markNotSent(item, notSent) {
      item.classList.toggle("ccw-not-sent", notSent);
      const note = item.querySelector(".ccw-msg-status");
      if (notSent && !note) {
        item.append(element("span", { class: "ccw-msg-status", text: TEXTS.notSent }));
      } else if (!notSent && note) {
        note.remove();
      }
    }

    function showError(text, retry) {
      const children = [
        element("p", { class: "ccw-error-text", text }),
        element("p", { class: "ccw-error-text ccw-emergency", text: TEXTS.emergency }),
      ];
      if (retry) {
        const retryButton = element("button", { type: "button", class: "ccw-retry", text: TEXTS.retry });
        retryButton.addEventListener("click", (event) => {
          keepFocusInPanel(event); // the Retry button disappears while retrying
          hideError();
          retry();
        });
        children.push(retryButton);
      }
      errorBox.replaceChildren(...children);
    }

    function hideError() {
      errorBox.replaceChildren();
    }

    function setBusy(busy, statusText) {
      state.busy = busy;
      sendButton.setAttribute("aria-disabled", String(busy));
      typing.hidden = !(busy && statusText === TEXTS.typing);
      if (busy) {
        announce(statusText);
        scrollToEnd();
      } else {
        clearAnnouncement();
      }
    }

    async function request(path, body) {
      const controller = new AbortController();
      const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      try {
        let response;
        try {
          response = await fetch(`${config.serverUrl}${WIDGET_PATH}${path}`, {
            method: body ? "POST" : "GET",
            headers: body ? { "Content-Type": "application/json" } : {},
            body: body ? JSON.stringify(body) : undefined,
            credentials: "omit",
            cache: "no-store",
            signal: controller.signal,
          });
        } catch (error) {
          throw new ChatError(TEXTS.unreachable, true);
        }
        let data = null;
        try {
          data = await response.json();
        } catch (error) {
          data = null;
        }
        const serverText = data && typeof data.error === "string" ? data.error : "";
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          throw new ChatError(serverText || TEXTS.serverTrouble, true);
        }
        if (!response.ok) {
          throw new ChatError(serverText || TEXTS.refused, false);
        }
        if (data === null) {
          throw new ChatError(TEXTS.serverTrouble, true);
        }
        return { data, key: response.headers.get(KEY_HEADER) };
      } finally {
        window.clearTimeout(timer);
      }
    }

    function showGreeting() {
      addBotMessage({ text: config.greeting }).classList.add("ccw-greeting");
    }

    async function loadConversation() {
      state.loaded = true;
      showGreeting();
      if (!state.conversationId || !state.conversationKey) {
        return;
      }
      const generation = state.generation;
      setBusy(true, TEXTS.loading);
      try {
        const history = (await request("history", { sender: state.conversationId, key: state.conversationKey }))
          .data;
        if (generation !== state.generation) {
          return;
        }
        const earlier = Array.isArray(history.messages) ? history.messages : [];
        // Redrawing is not news: keep screen readers from reading the whole history out.
        log.setAttribute("aria-live", "off");
        for (const message of earlier) {
          if (message && message.from === "user" && typeof message.text === "string") {
            addUserMessage(message.text);
          } else if (message && message.from === "bot") {
            addBotMessage(message);
          }
        }
        setBusy(false);
        // Screen readers pick up additions a moment after they are made: stay quiet until then.
        window.setTimeout(() => log.setAttribute("aria-live", "polite"), 500);
        scrollToEnd();
        if (earlier.length) {
          announce(TEXTS.restored);
        }
      } catch (error) {
        if (generation !== state.generation) {
          return;
        }
        setBusy(false);
        showError(error.message, () => {
          messages.replaceChildren();
          loadConversation();
        });
      }
    }

    async function deliver() {
      const pending = state.pending;
      const generation = state.generation;
      if (!state.conversationId) {
        state.conversationId = newConversationId();
        state.conversationKey = null;
        storedConversation.write(state.conversationId, null);
      }
      markNotSent(pending.item, false);
      setBusy(true, TEXTS.typing);
      const body = { sender: state.conversationId, message: pending.text };
      if (pending.title) {
        body.metadata = { button_title: pending.title };
      }
      try {
        const { data: replies, key } = await request("webhook", body);
        if (generation !== state.generation) {
          return;
        }
        if (key && HISTORY_KEY.test(key)) {
          state.conversationKey = key;
          storedConversation.write(state.conversationId, key);
        }
        state.pending = null;
        setBusy(false);
        const answered = Array.isArray(replies) ? replies : [];
        addBotMessages(answered);
        if (!answered.length) {
          // The message arrived (sending it again would repeat it), but nothing came back.
          showError(TEXTS.noAnswer, null);
        }
      } catch (error) {
        if (generation !== state.generation) {
          return;
        }
        setBusy(false);
        markNotSent(pending.item, true);
        if (error.retryable) {
          showError(error.message, deliver);
        } else {
          state.pending = null;
          showError(error.message, null);
          if (!pending.title && !input.value) {
            input.value = pending.text; // let the visitor edit what was refused
            inputChanged();
          }
        }
        scrollToEnd();
      }
    }

    /** Show the visitor's message (a button's title, or what they typed) and send it. */
    function send(text, title) {
      if (state.busy) {
        return;
      }
      hideError();
      state.pending = { text, title, item: addUserMessage(title || text) };
      scrollToEnd();
      deliver();
    }

    function inputChanged() {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight, INPUT_MAX_HEIGHT)}px`;
      const length = input.value.length;
      counter.hidden = length < COUNTER_FROM;
      const left = MAX_CHARACTERS - length;
      counter.textContent = left > 0 ? `${left} characters left` : `${MAX_CHARACTERS}-character limit reached`;
      counter.classList.toggle("ccw-counter-limit", left <= 0);
    }

    function submitInput() {
      const text = input.value.trim();
      if (!text || state.busy) {
        return;
      }
      input.value = "";
      inputChanged();
      send(text, null);
    }

    function isOpen() {
      return !panel.hidden;
    }

    function open(moveFocus) {
      panel.hidden = false;
      root.classList.add("ccw-is-open");
      launcher.setAttribute("aria-expanded", "true");
      if (!state.loaded) {
        loadConversation();
      }
      scrollToEnd();
      if (moveFocus) {
        input.focus();
      }
    }

    function close() {
      panel.hidden = true;
      root.classList.remove("ccw-is-open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    function startOver() {
      state.generation += 1;
      state.pending = null;
      state.conversationId = null; // a new id is made with the first message
      state.conversationKey = null;
      storedConversation.write(null);
      setBusy(false);
      hideError();
      messages.replaceChildren();
      input.value = "";
      inputChanged();
      showGreeting();
      state.loaded = true;
      announce(TEXTS.restarted);
      input.focus();
    }

    launcher.addEventListener("click", () => (isOpen() ? close() : open(true)));
    closeButton.addEventListener("click", close);
    restartButton.addEventListener("click", startOver);
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.isComposing && isOpen()) {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault(); // Shift+Enter still starts a new line
        submitInput();
      }
    });
    input.addEventListener("input", inputChanged);
    // When the conversation area shrinks (a taller message box, an error, a
    // phone keyboard), keep its end in view if that is where the visitor was.
    let followingEnd = true;
    log.addEventListener("scroll", () => {
      followingEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 4;
    });
    new ResizeObserver(() => {
      if (followingEnd) {
        scrollToEnd();
      }
    }).observe(log);

    // Stay hidden until the stylesheet is in, so the page never shows an unstyled widget.
    const styles = element("link", {
      rel: "stylesheet",
      href: new URL("chat-widget.css", scriptUrl || `${config.serverUrl}${WIDGET_PATH}`).href,
    });
    const reveal = () => {
      root.hidden = false;
      if (config.startOpen) {
        open(false);
      }
    };
    styles.addEventListener("load", reveal, { once: true });
    styles.addEventListener("error", reveal, { once: true });
    document.head.append(styles);
    document.body.append(root);
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  }
})();
