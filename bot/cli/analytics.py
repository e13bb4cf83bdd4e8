"""Operator commands for payments, the audit trail, propensity scores, KPIs and demo history.

Typer apps that `bot/cli/main.py` mounts (``app.add_typer(payments_app, name="payments")`` and
so on; ``app.command("report")(report)``). Every command works on the default ledger
(`bot.settings.get_settings().sql_url`) and brings its schema up to date first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer

from bot.cli.times import date_or, utc_today
from bot.settings import get_settings

payments_app = typer.Typer(help="Payments received and promise settlement.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
score_app = typer.Typer(help="Propensity-to-pay model.", no_args_is_help=True)
history_app = typer.Typer(help="Synthetic collection history for demos.", no_args_is_help=True)


def _ready() -> None:
    from bot.ledger.db import migrate

    migrate()


def model_path() -> Path:
    """Where `score train` keeps the model: under the settings' var_dir."""
    return get_settings().var_dir / "propensity" / "propensity.joblib"


@payments_app.command("import")
def import_payments(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    today: str | None = typer.Option(None, help="Settle as of this day, YYYY-MM-DD (UTC today)."),
    grace_days: int = typer.Option(3, min=0, help="Days a payment may arrive after the due date."),
) -> None:
    """Import a payment file (account_id, amount, currency, paid_on), then settle promises."""
    from bot.analytics.payments import import_payments as do_import
    from bot.ledger.portfolio import ImportFailed

    day = date_or(today, "--today", utc_today())
    _ready()
    try:
        summary, settled = do_import(path, today=day, grace_days=grace_days)
    except ImportFailed as failed:
        for error in failed.errors:
            typer.echo(error, err=True)
        typer.echo(f"nothing imported: {len(failed.errors)} error(s) in {path}", err=True)
        raise typer.Exit(1) from None
    money = ", ".join(
        f"{cur} {amount}" for cur, amount in sorted(summary.total_by_currency.items())
    )
    typer.echo(f"imported {summary.payments} payment(s) from {path}: {money}")
    typer.echo(f"paid in full: {summary.paid_in_full}")
    typer.echo(
        f"promises kept: {settled.kept}, broken: {settled.broken}; "
        f"follow-ups scheduled: {settled.follow_ups}"
    )


@audit_app.command("verify")
def audit_verify(
    expect_head: str = typer.Option(
        "", help="A head hash seen earlier (a report, another verify): it must still be there."
    ),
) -> None:
    """Check the whole chain, and that it still reaches the newest signed checkpoint (and
    --expect-head); exit 1 and say what is wrong if it was tampered with or cut back."""
    from bot.compliance import audit, checkpoints
    from bot.ledger.db import session_scope

    _ready()
    settings = get_settings()
    with session_scope() as session:
        verdict = audit.verify(session)
        if not verdict.ok:
            typer.echo(
                f"audit trail BROKEN at seq {verdict.first_bad_seq}: {verdict.problem} "
                f"({verdict.checked} entries verified before it)",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(
            f"audit trail OK: {verdict.checked} entries checked "
            f"(head seq {verdict.head_seq}, hash {verdict.head_hash})"
        )
        try:
            if expect_head:
                checkpoints.check_head(session, expect_head)
                typer.echo("expected head found")
            last = checkpoints.latest(
                settings.effective_audit_checkpoint_dir, checkpoints.key(settings)
            )
            if last is not None:
                checkpoints.check(session, seq=last.seq, head_hash=last.head_hash)
                typer.echo(
                    f"reaches the signed checkpoint of {last.at:%Y-%m-%d %H:%M} UTC "
                    f"(seq {last.seq})"
                )
        except (checkpoints.ChainCut, checkpoints.CheckpointRefused) as problem:
            typer.echo(f"audit trail BROKEN: {problem}", err=True)
            raise typer.Exit(1) from None


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head into the checkpoint directory (AUDIT_CHECKPOINT_DIR); refused if
    the chain is broken or no longer reaches the previous checkpoint."""
    from bot.compliance import audit, checkpoints
    from bot.ledger.db import session_scope

    _ready()
    settings = get_settings()
    with session_scope() as session:
        verdict = audit.verify(session)
        if not verdict.ok:
            typer.echo(f"no checkpoint: the chain is broken ({verdict.problem})", err=True)
            raise typer.Exit(1)
        try:
            written = checkpoints.write_if_moved(session, settings)
        except (checkpoints.ChainCut, checkpoints.CheckpointRefused) as problem:
            typer.echo(f"no checkpoint: {problem}", err=True)
            raise typer.Exit(1) from None
    if written is None:
        typer.echo("no checkpoint needed: the head has not moved")
    else:
        typer.echo(f"checkpoint of seq {written.seq} written to {written.path}")


@audit_app.command("purge")
def audit_purge(
    before: str = typer.Option(
        "",
        help="Remove entries written before this day, YYYY-MM-DD (UTC). Default: what every "
        "jurisdiction's profile allows (the longest record_retention_days).",
    ),
) -> None:
    """Retention purge of the oldest entries; what remains still verifies."""
    from bot.compliance import audit, checkpoints
    from bot.compliance.profiles import load_profiles
    from bot.ledger.db import session_scope

    if before:
        day = date_or(before, "--before", utc_today())
    else:
        # One chain holds every jurisdiction's records: keep what the strictest profile needs.
        keep = max(p.record_retention_days for p in load_profiles().values())
        day = utc_today() - timedelta(days=keep)
    cut = datetime.combine(day, datetime.min.time(), timezone.utc)
    _ready()
    settings = get_settings()
    try:
        with session_scope() as session:
            # A chain already cut back behind its checkpoint is evidence: not purged.
            last = checkpoints.latest(
                settings.effective_audit_checkpoint_dir, checkpoints.key(settings)
            )
            if last is not None:
                checkpoints.check(session, seq=last.seq, head_hash=last.head_hash)
            purged = audit.purge(session, before=cut, actor="cli")
            head = checkpoints.current_head(session)
    except (audit.AuditTampered, checkpoints.ChainCut, checkpoints.CheckpointRefused) as exc:
        typer.echo(f"nothing purged: {exc}", err=True)
        raise typer.Exit(1) from None
    if purged and head is not None:
        # Once committed, at once: the previous checkpoint may now lie behind the anchor.
        checkpoints.write_head(settings, head)
    typer.echo(f"purged {purged} audit entries written before {cut.date()}")


@score_app.command("train")
def score_train(
    reference: str | None = typer.Option(
        None, help="Reference date YYYY-MM-DD (default: 30 days ago, UTC)."
    ),
    seed: int = typer.Option(0, help="Seed for the held-out split and the model."),
    algorithm: str = typer.Option("logistic", help="logistic | gradient_boosting"),
) -> None:
    """Train the propensity-to-pay model, print its held-out AUC and save it."""
    from bot.analytics import propensity
    from bot.ledger.db import session_scope

    ref = date_or(reference, "--reference", utc_today() - timedelta(days=propensity.OUTCOME_DAYS))
    _ready()
    try:
        with session_scope() as session:
            model = propensity.train(session, reference=ref, seed=seed, algorithm=algorithm)
    except ValueError as exc:
        typer.echo(f"cannot train: {exc}", err=True)
        raise typer.Exit(1) from None
    path = propensity.save(model, model_path())
    typer.echo(
        f"AUC {model.auc:.3f} on {model.n_test} held-out accounts "
        f"({model.n_train} trained on, {model.positive_rate:.1%} paid within "
        f"{propensity.OUTCOME_DAYS} days of {ref})"
    )
    typer.echo(f"saved {path}")


@score_app.command("rank")
def score_rank(top: int = typer.Option(10, min=1, help="Accounts to show per segment.")) -> None:
    """The accounts likeliest to pay, per segment, from the saved model."""
    from bot.analytics import propensity
    from bot.ledger.db import session_scope
    from bot.ledger.repo import accounts

    path = model_path()
    if not path.exists():
        typer.echo(f"no model at {path}: run `score train` first", err=True)
        raise typer.Exit(1)
    model = propensity.load(path)
    _ready()
    with session_scope() as session:
        ranking = propensity.rank(session, model, accounts.unpaused_ids(session))
    for segment, items in ranking.items():
        typer.echo(f"{segment}:")
        for account_id, probability in items[:top]:
            typer.echo(f"  {account_id}  {probability:.3f}")


def report(
    start: str | None = typer.Option(None, help="First day, YYYY-MM-DD UTC (default: end - 6)."),
    end: str | None = typer.Option(None, help="Last day, YYYY-MM-DD UTC (default: today)."),
    csv: Path | None = typer.Option(None, "--csv", help="Also write the figures to this CSV."),
) -> None:
    """KPIs per UTC day, channel and segment, with totals (definitions: bot/analytics/kpi.py)."""
    from rich.console import Console
    from rich.table import Table

    from bot.analytics import kpi
    from bot.ledger.db import session_scope

    last = date_or(end, "--end", utc_today())
    first = date_or(start, "--start", last - timedelta(days=6))
    if first > last:
        raise typer.BadParameter("--start is after --end", param_hint="--start")
    _ready()
    with session_scope() as session:
        rows = kpi.kpis(session, start=first, end=last)

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    # Two tables, so each fits a terminal: the contact funnel, then what the contacts gave.
    # A rate is shown as numerator/denominator (share): what it is a share of is visible.
    funnel = {
        "attempts": lambda r: str(r.attempts),
        "contacts out+in": lambda r: f"{r.outbound_contacts}+{r.inbound_contacts}",
        "contact rate": lambda r: str(r.shares()["contact_rate"]),
        "RPC rate": lambda r: str(r.shares()["rpc_rate"]),
        "promise rate": lambda r: str(r.shares()["promise_rate"]),
        "AHT s": lambda r: seconds(r.avg_handle_seconds),
    }
    outcomes = {
        "promises": lambda r: str(r.promises),
        "kept rate": lambda r: str(r.shares()["promise_kept_rate"]),
        "promised": lambda r: kpi.money(r.promised),
        "collected": lambda r: kpi.money(r.collected),
        "instalments": lambda r: str(r.instalment_requests),
        "escalations": lambda r: str(r.escalations_total),
        "claim wait s": lambda r: seconds(r.avg_claim_wait_seconds),
        "opt-outs": lambda r: str(r.opt_outs),
    }
    total = kpi.totals(rows)
    console = Console()
    if not console.is_terminal:
        console.width = 200  # piped to a file or a log: do not squeeze the columns into 80
    for title, columns in (("contacts", funnel), ("outcomes", outcomes)):
        table = Table(title=f"Collection KPIs, {title}: {first} to {last} (UTC days)")
        for heading in ("day", "channel", "segment", *columns):
            table.add_column(
                heading,
                justify="left" if heading in ("day", "channel", "segment") else "right",
                no_wrap=True,
            )
        for r in [*rows, total]:
            day = "total" if r.day is None else r.day.isoformat()
            table.add_row(
                day,
                r.channel,
                r.segment,
                *(cell(r) for cell in columns.values()),
                style="bold" if r is total else None,
            )
        console.print(table)
    console.print(
        "contact rate = outbound contacts / attempts; RPC rate = right-party contacts / contacts "
        "(outbound + inbound); promise rate = RPCs with a promise / RPCs; kept rate = kept / "
        "(kept + broken); claim wait: mean over the claimed cases only "
        f"({total.escalations_claimed} of {total.escalations_total}). Definitions: "
        "bot/analytics/kpi.py"
    )
    if total.escalations:
        console.print(
            "escalations by reason: "
            + ", ".join(f"{reason} {n}" for reason, n in total.escalations.items())
        )
    if csv is not None:
        kpi.write_csv(rows, csv)
        console.print(f"wrote {csv}")


@history_app.command("generate")
def history_generate(
    accounts: int = typer.Option(1000, min=1, help="How many synthetic accounts."),
    days: int = typer.Option(60, min=1, help="How many days of history."),
    seed: int = typer.Option(0, help="Same seed, same history."),
    start: str | None = typer.Option(None, help="First day, YYYY-MM-DD (default: days ago)."),
) -> None:
    """Write a synthetic portfolio and its contact and payment history into the ledger."""
    from bot.demo import history
    from bot.ledger.db import session_scope

    first = date_or(start, "--start", utc_today() - timedelta(days=days))
    _ready()
    try:
        with session_scope() as session:
            summary = history.generate(
                session, accounts=accounts, days=days, seed=seed, start=first
            )
    except ValueError as exc:
        typer.echo(f"nothing generated: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"generated {days} days from {first} (seed {seed}):")
    for name, value in vars(summary).items():
        typer.echo(f"  {name.replace('_', ' ')}: {value}")
