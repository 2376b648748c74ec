"""A local stand-in for the messaging providers' APIs (Twilio, Graph, Telegram).

The channels send their replies here instead of to the internet; the tests
read what was sent. Answers are the minimal JSON each client library expects.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qs, unquote_plus

from tests.support.servers import free_port


@dataclass
class ProviderCall:
    path: str
    headers: Dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded for searching (form, JSON or multipart)."""
        return unquote_plus(self.body.decode("utf-8", errors="replace"))

    @property
    def form(self) -> Dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode("utf-8")).items()}


@dataclass
class ProviderApi:
    calls: List[ProviderCall] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ProviderApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                call = ProviderCall(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                api.calls.append(call)
                status, answer = api.answer(call)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @staticmethod
    def answer(call: ProviderCall) -> tuple:
        if call.path.endswith("/Messages.json"):
            sid = re.search(r"Accounts/([^/]+)/", call.path).group(1)
            return 201, {"sid": "SM0000", "account_sid": sid, "status": "queued", **call.form}
        if "/me/messages" in call.path:
            return 200, {"recipient_id": "0", "message_id": "mid.0"}
        if "/sendMessage" in call.path:
            chat = re.search(r"chat_id[^0-9-]*(-?\d+)", call.text)
            chat_id = int(chat.group(1)) if chat else 0
            return 200, {
                "ok": True,
                "result": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}},
            }
        return 200, {"ok": True, "result": True}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent_to(self, fragment: str) -> List[ProviderCall]:
        return [call for call in self.calls if fragment in call.path]
