"""Logs as one JSON object a line (LOG_FORMAT=json), for a log pipeline: the time, level, logger,
message, and the ids of the conversation and the call being served, so an operator can follow one
customer's turn through the gateway and the action server without reading what they said.

Never PII: the ids are ours and Twilio's (random, not the customer's); the message is scrubbed of
anything shaped like a phone number, a date, a run of digits (verification digits, an account
number), a bearer token, a secret or a signed link before it is written. The code does not log
such things on purpose; this is the net under it."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

CONVERSATION: ContextVar[str | None] = ContextVar("log_conversation_id", default=None)
CALL: ContextVar[str | None] = ContextVar("log_call_id", default=None)

# Applied in order; each pattern's match is replaced by its mask.
_SCRUB = (
    # A secret after its name: "token=...", "Authorization: Bearer ...", "password ...".
    (
        re.compile(
            r"(?i)\b(token|secret|password|passwd|signature|api[_-]?key|authorization)"
            r"(\s*[=:]\s*)(bearer\s+)?[^\s,;&\"']+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)\bbearer\s+[^\s,;&\"']+"), "Bearer [redacted]"),
    # Signed links: the chat link's and the media stream's tokens.
    (re.compile(r"(/chat/|/twilio/media/)[^\s/?\"']+"), r"\1[redacted]"),
    # Dates (a date of birth): 1980-01-31, 31/01/1980, 01.31.80.
    (re.compile(r"(?<![0-9A-Za-z])\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?![0-9A-Za-z])"), "[date]"),
    # Phone numbers: +1 555 010 9999, (555) 010-9999, 15550109999.
    (re.compile(r"(?<![0-9A-Za-z])\+?\(?\d[\d ().-]{6,}\d(?![0-9A-Za-z])"), "[number]"),
    # Any other run of 4 or more digits (verification digits, an account number).
    (re.compile(r"(?<![0-9A-Za-z])\d{4,}(?![0-9A-Za-z])"), "[digits]"),
)


# Addresses and ports of our own parts ("127.0.0.1:5005") are not personal data and matter when
# something is down: kept whole, out of reach of the date and digit patterns.
_ADDRESS = re.compile(r"(?<![0-9A-Za-z.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _ADDRESS.sub(keep, text)
    for pattern, mask in _SCRUB:
        text = pattern.sub(mask, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def bind(*, conversation_id: str | None = None, call_id: str | None = None) -> None:
    """The ids every log line of this task (and the threads it starts) carries from now on."""
    if conversation_id:
        CONVERSATION.set(conversation_id)
    if call_id:
        CALL.set(call_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if conversation := CONVERSATION.get():
            entry["conversation_id"] = conversation
        if call := CALL.get():
            entry["call_id"] = call
        # Figures the code attaches (extra={"fields": {...}}): numbers and words of the code.
        if isinstance(fields := getattr(record, "fields", None), dict):
            entry.update(fields)
        if record.exc_info:
            # The exception's type and where it happened; its text may quote data, so scrubbed.
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str, *, level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON when `log_format` is "json"; otherwise leave the
    process's logging as it is (plain text)."""
    if log_format != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Servers that set up loggers of their own (uvicorn, sanic) write through the root's handler.
    for name in ("uvicorn", "uvicorn.error", "sanic.root", "sanic.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # One line per HTTP request between our own parts (health checks every second) is noise.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
