"""The action server, run as `python -m bot.infra.action_server`: rasa_sdk's own app with the
actions package, listening on ACTIONS_HOST (loopback by default), and answering only requests
that carry the shared secret Rasa sends (bot/infra/rasa_endpoints.yml `headers:`).

Why not `rasa run actions`: it binds 0.0.0.0 unless SANIC_HOST is set, authenticates nobody and
echoes a failed request's body (the tracker, a customer's messages) in its 500 answer."""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from bot.infra import logs
from bot.settings import get_settings

SECRET_HEADER = "X-Reminderbot-Actions-Secret"  # noqa: S105 - a header name
# The gateway's health check reaches /health without the secret; it says nothing but "ok".
OPEN_PATHS = {"/health"}
log = logging.getLogger(__name__)


def build_app(secret: str, actions: str = "actions") -> Sanic:
    if not secret:
        raise ValueError("the action server needs a secret")
    app = create_app(actions, cors_origins=None)

    @app.on_request
    async def _require_the_secret(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("refused a request to %s without the actions secret", request.path)
            return response.json({"error": "forbidden"}, status=403)
        return None

    # Replaces rasa_sdk's handler, which answers with the request's body (the whole tracker).
    @app.exception(Exception)
    async def _failed(request: Request, exception: Exception):
        log.error("action server error on %s: %s", request.path, type(exception).__name__)
        return response.json({"error": "internal error"}, status=500)

    return app


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.actions_host)
    parser.add_argument("--port", type=int, default=settings.actions_port)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logs.configure(settings.log_format)
    app = build_app(settings.effective_actions_secret, args.actions)
    log.info("action server on http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
