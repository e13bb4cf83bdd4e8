"""ASGI entry point: `uvicorn bot.gateway.main:app`."""

from bot.gateway.app import create_app

app = create_app()
