"""Serve the demo clinic pages with the chat widget pointed at an assistant.

    python demo_site/serve.py --port 8080 --assistant-url http://localhost:5005

Standard library only. Every .html page has `__ASSISTANT_URL__` replaced by
--assistant-url, so the same pages work against any assistant server, and is
sent with a strict Content-Security-Policy that allows the assistant's origin
and nothing else: a page that works here needs no inline code and makes no
requests to third parties.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Optional, Sequence
from urllib.parse import urlsplit

SITE_DIR = Path(__file__).resolve().parent
PLACEHOLDER = "__ASSISTANT_URL__"
# What a demo page is made of; anything else (serve.py itself) is not served.
SERVED_SUFFIXES = {".html", ".css", ".svg", ".png", ".ico"}


def assistant_origin(assistant_url: str) -> str:
    """'http://host:5005/some/path' -> 'http://host:5005', for the CSP."""
    parts = urlsplit(assistant_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"--assistant-url must be an http(s) URL, got {assistant_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(assistant_url: str) -> str:
    """A policy that lets the page load the widget and talk to the assistant only."""
    origin = assistant_origin(assistant_url)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {origin}",
            f"style-src 'self' {origin}",
            f"connect-src {origin}",
            f"img-src 'self' {origin} https:",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class DemoSiteHandler(SimpleHTTPRequestHandler):
    """Static files from demo_site/, with the assistant's URL filled into the pages."""

    def __init__(self, *args: Any, assistant_url: str, **kwargs: Any) -> None:
        self.assistant_url = assistant_url
        super().__init__(*args, directory=str(SITE_DIR), **kwargs)

    def send_head(self) -> Optional[BinaryIO]:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        if path.is_dir():
            return super().send_head()  # redirects /dir to /dir/
        if path.suffix not in SERVED_SUFFIXES or not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return None
        if path.suffix != ".html":
            return super().send_head()
        page = path.read_text(encoding="utf-8").replace(PLACEHOLDER, self.assistant_url).encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Security-Policy", content_security_policy(self.assistant_url))
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        return io.BytesIO(page)


def build_server(host: str, port: int, assistant_url: str) -> ThreadingHTTPServer:
    """An HTTP server for the demo site (call serve_forever() to run it)."""
    assistant_origin(assistant_url)  # fail early on a malformed URL
    return ThreadingHTTPServer((host, port), functools.partial(DemoSiteHandler, assistant_url=assistant_url))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--assistant-url",
        default="http://localhost:5005",
        help="the Rasa server the widget talks to (default http://localhost:5005)",
    )
    args = parser.parse_args(argv)
    assistant_url = args.assistant_url.rstrip("/")
    try:
        server = build_server(args.host, args.port, assistant_url)
    except ValueError as error:
        parser.error(str(error))
    print(f"Demo site: http://{args.host}:{args.port}/ (assistant: {assistant_url})", flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
