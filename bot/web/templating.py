"""Jinja2 templates with autoescaping (transcripts hold customers' own words)."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(WEB / "templates"))
