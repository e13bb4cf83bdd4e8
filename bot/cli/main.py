"""`reminderbot`: the command line for operators. This module only assembles the command groups;
each lives in its own module of bot/cli/."""

from __future__ import annotations

import typer

from bot.cli import contact, stack
from bot.cli.accounts import accounts_app
from bot.cli.agents import agents_app
from bot.cli.analytics import audit_app, history_app, payments_app, report, score_app
from bot.cli.campaign import campaign_app

app = typer.Typer(help="Collections reminder bot.", no_args_is_help=True)

for name, group in (
    ("accounts", accounts_app),
    ("agents", agents_app),
    ("payments", payments_app),
    ("audit", audit_app),
    ("score", score_app),
    ("history", history_app),
    ("campaign", campaign_app),
):
    app.add_typer(group, name=name)

app.command("report")(report)
app.command()(stack.migrate)
app.command()(stack.train)
app.command()(stack.serve)
app.command()(stack.run)
app.command("chat-link")(contact.chat_link)
app.command()(contact.sms)
app.command()(contact.call)
app.command()(contact.shell)

if __name__ == "__main__":
    app()
