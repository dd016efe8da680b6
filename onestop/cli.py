"""Command-line tools: the deadline calculator and the demo data."""
from datetime import datetime

import click
from flask.cli import AppGroup

from onestop.deadlines import SEOUL, parse_period


def seoul_moment(text: str, hint: str) -> datetime:
    """An ISO moment; without a zone it is read in Asia/Seoul."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("write a moment as 2026-09-23T14:00", param_hint=hint) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SEOUL)


@click.command("deadline")
@click.argument("start")
@click.argument("period")
@click.option("--extended", is_flag=True, help="Also print the longest extension of the "
              "period: its end, the working days it counts and the days it skips.")
@click.option("--consultation", is_flag=True, help="PERIOD is a consultation on a main "
              "permit: print when consent is deemed and the working days counted.")
def deadline_command(start: str, period: str, extended: bool, consultation: bool) -> None:
    """Print the due moment of PERIOD counted from START (Asia/Seoul), e.g. 2026-09-23T14:00 5d."""
    from onestop.workdays.services import work_calendar

    moment = seoul_moment(start, "START")
    try:
        parsed = parse_period(period)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="PERIOD") from None
    calendar = work_calendar()
    due = calendar.due_at(moment, parsed)
    click.echo(due.isoformat())
    counted = calendar.counted(moment, due, "en")
    for day, why in counted.skipped:
        click.echo(f"  skipped {day.isoformat()} {why}")
    if consultation:
        click.echo(f"consent deemed at {due.isoformat()} "
                   f"({counted.working_days} working days counted)")
    if extended:
        window = calendar.extension_window(due, parsed, "en")
        click.echo(f"extended at most to {window.end.isoformat()} "
                   f"({window.working_days} working days counted)")
        for day, why in window.skipped:
            click.echo(f"  skipped {day.isoformat()} {why}")


demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--cases", "bulk", type=click.IntRange(min=1), default=None,
              help="Then add this many generated requests, with their tasks, comments and "
              "history, for measuring at scale (each run adds more).")
def seed_command(bulk: int | None) -> None:
    """Load the demo organizations, firms, accounts and cases (does nothing twice)."""
    import time

    from onestop.demo.seed import seed

    created = seed()
    click.echo("demo data loaded" if created else "demo data already present")
    if bulk:
        from onestop.demo.bulk import add_cases

        started = time.monotonic()
        counts = add_cases(bulk, progress=lambda line: click.echo(f"  {line}", err=True))
        click.echo(", ".join(f"{n:,} {table.replace('agency_', '')}" for table, n in
                             counts.items()) + f" added in {time.monotonic() - started:.1f}s")


reminders_cli = AppGroup("reminders", help="Deadline reminders.")


@reminders_cli.command("sweep")
@click.option("--at", "at", default=None, help="Sweep as if at this moment (Asia/Seoul), "
              "e.g. 2026-12-01T09:00.")
def sweep_command(at: str | None) -> None:
    """Run one reminder sweep now (or as if at --at) and queue the deliveries."""
    from onestop.db import utcnow
    from onestop.extensions import db
    from onestop.jobs import enqueue_deliveries
    from onestop.notifications import reminders, services

    reminders.ensure_default_rules()
    # --at only decides which reminders fire; leases and queue times are wall-clock times. A
    # beat's sweep running meanwhile is waited for: it would not sweep as if at --at.
    written, requeued = services.sweep_and_requeue(
        utcnow(), rules_at=seoul_moment(at, "--at") if at else None, wait=True)
    db.session.commit()  # queues the written rows that are due for an email now
    enqueue_deliveries(requeued)
    click.echo(f"{len(written)} reminders written, {len(requeued)} re-queued")


workers_cli = AppGroup("workers", help="Celery workers.")


@workers_cli.command("check")
@click.option("--timeout", default=15.0, show_default=True, help="Seconds to wait for a worker.")
def check_command(timeout: float) -> None:
    """Send a canary task through the broker and say whether a worker consumed it."""
    import time

    from onestop.jobs import CANARY, enqueue
    from onestop.notifications import services

    token = services.new_canary_token()
    try:
        enqueue(CANARY, token)
    except Exception as error:  # noqa: BLE001 - whatever the broker says, report it
        click.echo(f"broker unreachable: {error}", err=True)
        raise SystemExit(2) from None
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        answer = services.canary_answered(token)
        if answer:
            click.echo(f"ok: worker on {answer.hostname} consumed the canary after "
                       f"{time.monotonic() - started:.1f}s")
            return
        time.sleep(0.5)
    click.echo(f"no worker consumed the canary within {timeout:g}s", err=True)
    raise SystemExit(1)


@click.command("housekeeping")
def housekeeping_command() -> None:
    """What the worker does hourly: purge quiet sign-in throttles, kept uploads after a day,
    old form tokens, then stored files no row points to."""
    from onestop.db import utcnow
    from onestop.housekeeping import clear_up

    counts = clear_up(utcnow())
    click.echo(", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items()))


mail_cli = AppGroup("mail", help="Email.")


@mail_cli.command("inbound")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=2525, show_default=True, type=click.IntRange(1, 65535))
@click.option("--lmtp", is_flag=True, help="Speak LMTP (an MTA's lmtp: transport), not SMTP.")
def inbound_command(host: str, port: int, lmtp: bool) -> None:
    """Take replies to notification emails from an MTA and queue them for the workers."""
    from flask import current_app

    from onestop.notifications.listener import serve

    try:
        serve(current_app._get_current_object(), host, port, lmtp=lmtp,
              ready=lambda text: click.echo(text, err=True))
    except OSError as error:  # the port is taken, or the address is not this host's
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None


tokens_cli = AppGroup("tokens", help="Personal access tokens for the JSON API.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True,
              help="read, or write (read and write).")
@click.option("--days", type=click.IntRange(1, 365), default=90, show_default=True,
              help="How long it works.")
@click.option("--name", default="issued by an admin", show_default=True)
def create_token_command(email: str, scope: str, days: int, name: str) -> None:
    """Issue an API token to the account EMAIL; its secret is the last line printed (it is
    shown only this once)."""
    from sqlalchemy import func, select

    from onestop.accounts.access_tokens import create_token
    from onestop.accounts.models import User
    from onestop.audit.events import security_event
    from onestop.db import utcnow
    from onestop.errors import DomainError
    from onestop.extensions import db

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        raise click.ClickException(f"no active account {email}")
    try:
        token, secret = create_token(user, name, scope, days, now=utcnow())
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    security_event("token.created", user=user, obj=f"token:{token.id}", outcome=scope,
                   method="command line")
    click.echo(f"{scope} token {token.prefix}… for {user.email}, valid until "
               f"{token.expires_at:%Y-%m-%d %H:%M} UTC:")
    click.echo(secret)
