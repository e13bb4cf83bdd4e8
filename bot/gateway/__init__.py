"""The FastAPI gateway: text API, health, escalation queue API (and later Twilio, chat, console)."""
