"""The latency floor: a Sanic app that answers every message with [] and does nothing else.

python -m benchmarks.floor_server <port>
"""

from __future__ import annotations

import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

app = Sanic("latency_floor")


@app.get("/health")
async def health(_: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


@app.post("/webhooks/rest/webhook")
async def webhook(request: Request) -> HTTPResponse:
    request.json  # noqa: B018 - parse the body like a real channel does
    return response.json([])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, workers=1)
