"""A real HTTP receiver standing in for the clinic's booking system.

Runs on 127.0.0.1 in a thread. Each incoming POST is answered by the next
scripted behaviour ("503", "drop" = close the connection without answering,
"ok"), then "ok" forever. It honours the Idempotency-Key like a well-behaved
booking system: a repeated key is acknowledged but not booked again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

from tests.support.servers import free_port


@dataclass
class ReceivedDelivery:
    headers: Dict[str, str]
    body: bytes

    @property
    def payload(self) -> Dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    script: List[str] = field(default_factory=list)
    attempts: List[ReceivedDelivery] = field(default_factory=list)
    booked: Dict[str, ReceivedDelivery] = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bookings"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                delivery = ReceivedDelivery({k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.attempts.append(delivery)
                    behaviour = receiver.script.pop(0) if receiver.script else "ok"
                    if behaviour == "ok":
                        receiver.booked.setdefault(delivery.headers.get("idempotency-key", ""), delivery)
                if behaviour == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                status = 503 if behaviour == "503" else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "busy"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
