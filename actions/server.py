"""Runs the action server: rasa_sdk's app with the clinic's safeguards.

`python -m actions.server` instead of `rasa run actions`, because the stock
server answers errors with the whole conversation tracker (personal data) and
has no authentication. This one:

* checks the clinic data file before it starts and warns about empty fields;
* runs the delivery worker that sends stored requests to the booking webhook
  (BOOKING_WEBHOOK_URL), retrying until they are acknowledged;
* requires the X-Action-Token header when ACTION_SERVER_TOKEN is set;
* answers errors with a short message and logs no conversation content.
"""

from __future__ import annotations

import hmac
import logging
import sys
from typing import Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clinic_data import ClinicDataError, load_clinic, missing_details_warning
from actions.delivery import RetryPolicy, WebhookDelivery
from actions.geocoder import load_town_index
from actions.runtime import outbox
from rasa_extensions.startup_objects import freeze_startup_objects
from settings import Settings, get_settings

logger = logging.getLogger("actions.server")
TOKEN_HEADER = "X-Action-Token"


def check_clinic_data(settings: Settings) -> None:
    """Stop with a readable error if the clinic data file is unusable."""
    try:
        clinic = load_clinic(settings.clinic_data_file)
    except ClinicDataError as error:
        sys.exit(f"Cannot start the action server: {error}")
    warning = missing_details_warning(clinic, settings.clinic_data_file)
    if warning:
        logger.warning(warning)


def build_app(settings: Settings) -> Sanic:
    """The rasa_sdk app for the `actions` package, with token check and safe errors."""
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if not settings.action_server_token or request.path != "/webhook":
            return None
        supplied = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(supplied, settings.action_server_token):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        return None

    async def safe_error(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's own handler echoes the request body: the visitor's tracker.
        logger.error("Action server error on %s: %s", request.path, type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal error in the action server"}, status=500)

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
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    check_clinic_data(settings)
    if settings.booking_webhook_url and not settings.booking_webhook_secret:
        sys.exit("Cannot start the action server: set BOOKING_WEBHOOK_SECRET to sign webhook deliveries.")
    app = build_app(settings)
    load_town_index()
    # The town index is a quarter of a million objects that live as long as
    # the server: each full garbage collection walked them for 130-180 ms.
    freeze_startup_objects()
    logger.info("Action server listening on port %s", settings.action_server_port)
    app.run(host="0.0.0.0", port=settings.action_server_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
