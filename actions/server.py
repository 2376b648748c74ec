"""Runs the action server: rasa_sdk's app with the clinic's safeguards.

`python -m actions.server` instead of `rasa run actions`, because the stock
server answers errors with the whole conversation tracker (personal data) and
has no authentication. This one:

* checks the clinic data file before it starts and warns about empty fields;
* runs the delivery worker that sends stored requests to the booking webhook
  (BOOKING_WEBHOOK_URL), retrying until they are acknowledged;
* does not start without ACTION_SERVER_TOKEN and refuses (401) every call
  without it in the X-Action-Token header (only /health is open);
* listens on BIND_ADDRESS (127.0.0.1 unless configured);
* reads at most ACTION_SERVER_MAX_REQUEST_BYTES of a body (413 beyond) and
  refuses compressed bodies (415), which could expand without limit (the
  Rasa server sends them uncompressed unless told otherwise);
* refuses (400) a call that is not an action call, and answers an action
  that fails with 503 and a short message, logging no conversation content
  (and log_privacy.py cleans whatever a library logs).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, Dict, List, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clinic_data import ClinicDataError, load_clinic, missing_details_warning
from actions.delivery import RetryPolicy, WebhookDelivery
from actions.geocoder import load_town_index
from actions.runtime import outbox
from rasa_extensions import log_privacy
from rasa_extensions.channels.visitor_input import secrets_match
from rasa_extensions.startup_objects import freeze_startup_objects
from settings import Settings, get_settings

logger = logging.getLogger("actions.server")
TOKEN_HEADER = "X-Action-Token"


def command() -> List[str]:
    """The command line that starts the action server (make run, the tests)."""
    return [sys.executable, "-m", "actions.server"]


def check_clinic_data(settings: Settings) -> None:
    """Stop with a readable error if the clinic data file is unusable."""
    try:
        clinic = load_clinic(settings.clinic_data_file)
    except ClinicDataError as error:
        sys.exit(f"Cannot start the action server: {error}")
    warning = missing_details_warning(clinic, settings.clinic_data_file)
    if warning:
        logger.warning(warning)


def action_call_problem(body: bytes) -> Optional[str]:
    """Why `body` is not an action call rasa_sdk can run (None when it is one)."""
    try:
        call: Any = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "the body must be JSON"
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str):
        return "an action call is a JSON object with 'next_action' and 'tracker'"
    tracker: Dict[str, Any] = call.get("tracker")  # type: ignore[assignment]
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return "'tracker' must be an object with a 'sender_id'"
    expected = {"slots": dict, "latest_message": dict, "events": list, "active_loop": dict, "domain": dict}
    for key, kind in expected.items():
        value = call.get(key) if key == "domain" else tracker.get(key)
        if value is not None and not isinstance(value, kind):
            return f"'{key}' must be a JSON {'object' if kind is dict else 'array'}"
    if not all(isinstance(event, dict) for event in tracker.get("events") or []):
        return "every event must be a JSON object"
    return None


def build_app(settings: Settings) -> Sanic:
    """The rasa_sdk app for the `actions` package, with token check and safe errors."""
    app = create_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = settings.action_server_max_request_bytes

    @app.middleware("request")
    async def guard(request: Request) -> Optional[HTTPResponse]:
        if request.path == "/health":
            return None
        supplied = request.headers.get(TOKEN_HEADER, "")
        if not secrets_match(supplied, settings.action_server_token):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
            return response.json({"error": "compressed request bodies are not accepted"}, status=415)
        # Sanic runs this middleware again when it answers an error such as a
        # body over the size limit; the body is then unread (empty) and the
        # error handler answers. An empty call gets rasa_sdk's own 400.
        problem = action_call_problem(request.body) if request.path == "/webhook" and request.body else None
        if problem:
            return response.json({"error": problem}, status=400)
        return None

    async def safe_error(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's own handler echoes the request body: the visitor's tracker.
        status = getattr(exception, "status_code", 500)
        if 400 <= status < 500:
            return response.json({"error": str(exception)}, status=status)
        logger.error("Action server error on %s: %s", request.path, type(exception).__name__, exc_info=exception)
        return response.json({"error": "the action could not run; nothing was stored"}, status=503)

    app.error_handler.add(Exception, safe_error)

    if settings.booking_webhook_url:
        delivery = WebhookDelivery(
            outbox(),
            settings.booking_webhook_url,
            settings.booking_webhook_secret,
            RetryPolicy(settings.delivery_retry_seconds, settings.delivery_retry_max_seconds),
        )
        app.add_task(delivery.run_forever(settings.delivery_poll_seconds))
    else:
        logger.warning(
            "BOOKING_WEBHOOK_URL is not set: visitor requests are kept in the outbox for staff "
            "(python -m staff.requests list)."
        )
    return app


def main() -> None:
    settings = get_settings()
    log_privacy.install()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    if not settings.action_server_token:
        sys.exit(
            "Cannot start the action server: ACTION_SERVER_TOKEN is not set "
            "(`python settings.py --create-secrets` stores one for this installation)."
        )
    check_clinic_data(settings)
    if settings.booking_webhook_url and not settings.booking_webhook_secret:
        sys.exit("Cannot start the action server: set BOOKING_WEBHOOK_SECRET to sign webhook deliveries.")
    app = build_app(settings)
    load_town_index()
    # The town index is a quarter of a million objects that live as long as
    # the server: each full garbage collection walked them for 130-180 ms.
    freeze_startup_objects()
    logger.info("Action server listening on %s port %s", settings.bind_address, settings.action_server_port)
    app.run(host=settings.bind_address, port=settings.action_server_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
