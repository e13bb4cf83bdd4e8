"""`reminderbot campaign ...`: plan the day's contacts, queue them, and run dispatch workers.

For `bot/cli/main.py` to mount: ``app.add_typer(campaign_app, name="campaign")``. `worker` is also a
command of `campaign_app` (``reminderbot campaign worker``); the function is exported as well for
mounting elsewhere.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from pathlib import Path

import typer

from bot.cli.times import TIME_EXAMPLE, time_or_now

campaign_app = typer.Typer(
    help="Outbound campaigns: plan, queue and dispatch reminders.", no_args_is_help=True
)


def _strategy(path: Path | None):
    from bot.campaign.strategy import StrategyError, load_strategy

    try:
        return load_strategy(path)
    except StrategyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _scores(session, ids: list[str]) -> dict[str, float] | None:
    """Propensity scores from the saved model, if there is one (`reminderbot score train`)."""
    from bot.analytics import propensity
    from bot.cli.analytics import model_path

    path = model_path()
    if not path.exists():
        return None
    return propensity.score(session, propensity.load(path), ids)


def _make_plan(now: datetime, strategy_path: Path | None, use_scores: bool):
    from bot.campaign.planner import load_accounts, plan
    from bot.compliance.profiles import load_profiles
    from bot.ledger.db import migrate, session_scope

    strategy = _strategy(strategy_path)
    migrate()
    started = time.perf_counter()
    with session_scope() as session:
        scores = None
        if use_scores:
            from bot.ledger.repo import accounts as account_repo

            scores = _scores(session, account_repo.all_ids(session))
        accounts, history = load_accounts(
            session, now, scores=scores, lookback_days=strategy.signal_lookback_days
        )
    loaded = time.perf_counter() - started
    result = plan(accounts, now=now, strategy=strategy, profiles=load_profiles(), history=history)
    return result, loaded, scores is not None


def _print_plan(console, result, loaded_s: float, scored: bool) -> None:
    from rich.table import Table

    from bot.campaign.windows import to_us

    s = result.summary
    rate = s.accounts / s.elapsed_s if s.elapsed_s else 0
    console.print(
        f"[bold]Plan for {result.now:%Y-%m-%d %H:%M} UTC[/]: {s.accounts:,} accounts "
        f"(loaded from the ledger in {loaded_s:.2f} s, planned in {s.elapsed_s:.3f} s, "
        f"{rate:,.0f} accounts/s{'' if scored else '; no propensity model: unscored'})"
    )
    console.print(
        f"contact now {s.contact_now:,} · later, when the window opens {s.deferred:,} · "
        f"not contacted {s.not_contacted:,} · on the fallback channel {s.fallbacks:,}"
    )
    seg = Table(title="Accounts per segment", min_width=34)
    for heading in ("segment", "accounts"):
        seg.add_column(heading, justify="left" if heading == "segment" else "right")
    for name, count in s.by_segment.items():
        seg.add_row(name, f"{count:,}")
    console.print(seg)
    channels = Table(title="Planned contacts per channel", min_width=34)
    channels.add_column("channel")
    channels.add_column("now", justify="right")
    channels.add_column("later", justify="right")
    is_now = result.contact_due_us == to_us(result.now)
    for name, code in (("voice", 0), ("sms", 1)):
        mine = result.contact_channel == code
        now_count, later_count = int((mine & is_now).sum()), int((mine & ~is_now).sum())
        channels.add_row(name, f"{now_count:,}", f"{later_count:,}")
    console.print(channels)
    reasons = Table(title="Not contacted now, by reason", min_width=34)
    reasons.add_column("reason")
    reasons.add_column("accounts", justify="right")
    reasons.add_column("of which later", justify="right")
    later_by_reason = {"outside_window": s.deferred}
    for name, count in s.by_reason.items():
        reasons.add_row(name, f"{count:,}", f"{later_by_reason.get(name, 0):,}")
    console.print(reasons)
    if s.deferred_denied:
        console.print(
            "window closed now and refused at its opening: "
            + ", ".join(f"{k} {v:,}" for k, v in s.deferred_denied.items())
        )
    if s.by_action:
        console.print(
            "escalation rules: " + ", ".join(f"{k} {v:,}" for k, v in s.by_action.items())
        )


def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = 160
    return console


STRATEGY_OPTION = typer.Option(None, "--strategy", help="Campaign file (default bot/campaign.yml).")
NOW_OPTION = typer.Option(
    None, "--now", help=f"Plan as of this ISO 8601 time, e.g. {TIME_EXAMPLE} (default: now)."
)
PREFIX_OPTION = typer.Option("campaign", "--prefix", help="Redis key prefix of the campaign.")


@campaign_app.command("plan")
def plan_command(
    accounts_from_ledger: bool = typer.Option(
        True, "--accounts-from-ledger/--no-accounts-from-ledger", help="Plan the ledger's accounts."
    ),
    strategy: Path | None = STRATEGY_OPTION,
    now: str | None = NOW_OPTION,
    scores: bool = typer.Option(True, help="Use the saved propensity model when there is one."),
) -> None:
    """Dry run: who would be contacted, how, and why not; nothing is queued."""
    if not accounts_from_ledger:
        typer.echo("only --accounts-from-ledger is supported (bench/campaign_plan.py: synthetic)")
        raise typer.Exit(2)
    result, loaded, scored = _make_plan(time_or_now(now, "--now"), strategy, scores)
    _print_plan(_console(), result, loaded, scored)


@campaign_app.command("run")
def run_command(
    strategy: Path | None = STRATEGY_OPTION,
    now: str | None = NOW_OPTION,
    scores: bool = typer.Option(True, help="Use the saved propensity model when there is one."),
    prefix: str = PREFIX_OPTION,
) -> None:
    """Plan, then queue the contacts (now and later today) and the due follow-ups in Redis."""
    from rich.progress import Progress

    from bot.campaign.dispatch import CampaignQueue
    from bot.campaign.followups import schedule_follow_ups
    from bot.campaign.windows import utc_day_tag
    from bot.infra.redis_client import default_redis
    from bot.ledger.db import session_scope

    moment = time_or_now(now, "--now")
    console = _console()
    result, loaded, scored = _make_plan(moment, strategy, scores)
    _print_plan(console, result, loaded, scored)
    queue = CampaignQueue(default_redis(), prefix)
    total = len(result.contact_index)
    with Progress(console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("queueing contacts", total=total)
        queued = queue.schedule(result.due_contacts(), progress=lambda n: progress.advance(task, n))
    handed = queue.handoff(result.handoffs(), utc_day_tag(moment))
    with session_scope() as session:
        follow_ups = schedule_follow_ups(session, queue, now=moment)
    console.print(
        f"queued {queued:,} new contact(s) of {total:,} planned "
        f"({total - queued:,} were already queued); {follow_ups:,} follow-up(s) scheduled; "
        f"{handed:,} account(s) handed to a person ({queue.handoff_stream})"
    )


def worker(
    name: str = typer.Option(..., "--name", help="This worker's consumer name in the group."),
    concurrency: int = typer.Option(4, min=1, help="Contacts this worker makes at once."),
    rate: float | None = typer.Option(
        None, help="Contacts per second, all workers together (a Redis token bucket)."
    ),
    max_in_flight: int | None = typer.Option(
        None, help="Contacts in progress across all workers (a Redis semaphore)."
    ),
    prefix: str = PREFIX_OPTION,
) -> None:
    """Make the queued contacts through the gateway until Ctrl-C."""
    from bot.campaign.dispatch import GatewayExecutor, LedgerGate, Worker
    from bot.infra import logs
    from bot.infra.redis_client import default_redis
    from bot.ledger.db import migrate
    from bot.settings import get_settings

    settings = get_settings()
    logs.configure(settings.log_format)  # metrics: PROMETHEUS_MULTIPROC_DIR, docs/operations.md
    if not settings.api_token:
        typer.echo("set REMINDERBOT_API_TOKEN to the token `make run` printed", err=True)
        raise typer.Exit(2)
    migrate()
    client = default_redis()
    executor = GatewayExecutor(
        settings.gateway_url, settings.api_token, client=client, prefix=prefix
    )
    runner = Worker(
        name,
        executor,
        client,
        prefix=prefix,
        strategy=_strategy(None),
        gate=LedgerGate(actor=f"campaign:{name}"),
        concurrency=concurrency,
        rate=rate,
        max_in_flight=max_in_flight,
        carrier_calls_per_second=settings.carrier_calls_per_second,
    )
    stop = threading.Event()

    def ask_to_stop(_signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        typer.echo("stopping: finishing the contacts in progress (Ctrl-C again to abandon)")
        stop.set()

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    typer.echo(
        f"worker {runner.instance}: concurrency {concurrency}, rate {rate or 'unlimited'}/s, "
        f"gateway {settings.gateway_url}"
    )
    runner.run(stop)
    typer.echo(f"worker {name} stopped: {runner.handled}")


campaign_app.command("worker")(worker)
