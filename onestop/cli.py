"""Command-line tools: the deadline calculator and the demo data."""
from datetime import datetime

import click
from flask.cli import AppGroup

from onestop.deadlines import SEOUL, parse_period


@click.command("deadline")
@click.argument("start")
@click.argument("period")
def deadline_command(start: str, period: str) -> None:
    """Print the due moment of PERIOD counted from START (Asia/Seoul), e.g. 2026-09-23T14:00 5d."""
    from onestop.workdays.services import work_calendar

    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter("write the start as 2026-09-23T14:00", param_hint="START") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SEOUL)
    try:
        parsed = parse_period(period)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="PERIOD") from None
    calendar = work_calendar()
    due = calendar.due_at(moment, parsed)
    click.echo(due.isoformat())
    for day, why in calendar.skipped_days(moment, due, language="en"):
        click.echo(f"  skipped {day.isoformat()} {why}")


demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Load the demo organizations, firms, accounts and cases (does nothing twice)."""
    from onestop.demo.seed import seed

    created = seed()
    click.echo("demo data loaded" if created else "demo data already present")
