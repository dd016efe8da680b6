"""Checking every row of an agreement annex workbook, then writing all of it in the caller's
transaction: a firm is keyed by its registration number, its agreement's targets and
incentives are replaced by the sheet's, and what did not change is left alone."""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop.accounts.models import STAFF_ROLES, User
from onestop.commitments import cells, sheets
from onestop.commitments.models import Agreement, FirmEvent, Incentive, Target
from onestop.extensions import db
from onestop.firms.models import Firm

CHUNK = 500  # registration numbers per IN (...) list


@dataclass(frozen=True, order=True)
class TargetRow:
    measure: str
    phase: int
    year: int
    amount: int
    report_due_on: date


@dataclass(frozen=True, order=True)
class IncentiveRow:
    name: str
    measure: str
    amount: int
    recoverable_percent: int


@dataclass
class AgreementRow:
    row: int
    firm: dict
    agreement: dict
    targets: list[TargetRow] = field(default_factory=list)
    target_rows: dict[tuple[str, int], int] = field(default_factory=dict)  # -> sheet row
    incentives: list[IncentiveRow] = field(default_factory=list)
    incentive_rows: list[int] = field(default_factory=list)


@dataclass
class Plan:
    agreements: dict[str, AgreementRow] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    rows: int = 0  # rows with something in them

    def error(self, sheet: str, row: int | None, column: str | None, cell: str | None,
              code: str, /, **params) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "cell": cell,
                            "code": code, "params": params})


# --- checking ----------------------------------------------------------------------------

def check(data: bytes, *, total: Callable[[int], None], step: Callable[[], None]) -> Plan:
    """Read and check every row of every sheet; `total(n)` is told how many rows there are
    to read and `step()` called after each. Reads the database, writes nothing."""
    plan = Plan()
    try:
        book = sheets.open_book(data)
    except sheets.Unreadable:
        plan.error("", None, None, None, "unreadable")
        return plan
    try:
        found = {s.key: sheets.find_sheet(book, s) for s in sheets.SHEETS}
        for sheet in sheets.SHEETS:
            if found[sheet.key] is None:
                plan.error(sheet.key, None, None, None, "missing_sheet", name=sheet.title)
        if plan.errors:
            return plan
        total(sum(sheets.row_estimate(w) for w in found.values()))
        staff = db.session.execute(select(User.email, User.id).where(
            User.role.in_(STAFF_ROLES), User.is_enabled)).all()
        parsers = cells.parsers({email.lower(): user_id for email, user_id in staff})
        for sheet in sheets.SHEETS:
            _check_sheet(plan, sheet, found[sheet.key], parsers[sheet.key], step)
    except sheets.Unreadable:
        plan.errors = []
        plan.error("", None, None, None, "unreadable")
        return plan
    finally:
        book.close()
    _check_across(plan)
    return plan


def _check_sheet(plan: Plan, sheet: sheets.Sheet, worksheet, parsers: dict, step) -> None:
    rows = sheets.rows_of(worksheet)
    where, missing = sheets.header_columns(next(rows, ()), sheet)
    for column in missing:
        plan.error(sheet.key, 1, column.key, None, "missing_column",
                   name=column.header.replace(" *", "").replace("\n", " / "))
    if missing:
        return
    for number, row in enumerate(rows, start=2):
        step()
        _check_row(plan, sheet, number, {k: row[i] if i < len(row) else None
                                         for k, i in where.items()}, parsers, where)


def _check_row(plan: Plan, sheet: sheets.Sheet, number: int, row: dict, parsers: dict,
               where: dict) -> None:
    if all(cells.blank(getattr(c, "value", None)) for c in row.values()):
        return
    plan.rows += 1
    record, good = {}, True
    for column in sheet.columns:
        cell = row[column.key]
        value = getattr(cell, "value", None)
        try:
            if cells.blank(value):
                if column.required:
                    raise cells.CellError("required")
                record[column.key] = cells.DEFAULTS.get(column.key, "")
            else:
                record[column.key] = parsers[column.key](value, cell)
        except cells.CellError as error:
            good = False
            plan.error(sheet.key, number, column.key, _ref(where, column.key, number),
                       error.code, **error.params)
    if good:
        _file(plan, sheet.key, number, record, where)


def _ref(where: dict, key: str, number: int) -> str:
    return f"{sheets.letter(where[key])}{number}"


def _file(plan: Plan, sheet: str, number: int, record: dict, where: dict) -> None:
    """File a good row under its firm; a row that clashes with an earlier one is an error."""
    if sheet == "agreements":
        earlier = plan.agreements.get(record["brn"])
        if earlier:
            plan.error(sheet, number, "brn", _ref(where, "brn", number), "duplicate_firm",
                       row=earlier.row)
            return
        plan.agreements[record["brn"]] = AgreementRow(
            row=number,
            firm={"name": record["name"], "industry": record["industry"],
                  "site": record["site"], "phase": record["phase"],
                  "account_officer_id": record["officer"],
                  "is_named_publicly": record["named"]},
            agreement={"signed_on": record["signed_on"], "clawback_rule": record["clawback"],
                       "notes": record["notes"]})
        return
    # The agreements sheet is read first, so every firm of the file is known here.
    owner = plan.agreements.get(record["brn"])
    if owner is None:
        plan.error(sheet, number, "brn", _ref(where, "brn", number), "unknown_firm")
    elif sheet == "targets":
        key = (record["measure"], record["year"])
        if key in owner.target_rows:
            plan.error(sheet, number, "year", _ref(where, "year", number), "duplicate_target",
                       row=owner.target_rows[key])
            return
        owner.target_rows[key] = number
        owner.targets.append(TargetRow(
            record["measure"], record["phase"], record["year"], record["amount"],
            record["due"] or date(record["year"] + 1, 1, 31)))
    else:
        owner.incentives.append(IncentiveRow(record["name"], record["measure"],
                                             record["amount"], record["percent"]))
        owner.incentive_rows.append(number)


def _check_across(plan: Plan) -> None:
    """What no single row shows: a firm without targets, an incentive tied to a measure its
    firm promised nothing in. Skipped where the targets sheet has errors of its own."""
    if not plan.errors and not plan.agreements:
        plan.error("agreements", None, None, None, "no_rows")
    if any(e["sheet"] == "targets" for e in plan.errors):
        return
    for row in plan.agreements.values():
        if not row.targets:
            plan.error("agreements", row.row, "brn", None, "no_targets")
        measures = {t.measure for t in row.targets}
        for number, incentive in zip(row.incentive_rows, row.incentives, strict=True):
            if row.targets and incentive.measure not in measures:
                plan.error("incentives", number, "measure", None, "untargeted")
    order = [s.key for s in sheets.SHEETS]
    plan.errors.sort(key=lambda e: (order.index(e["sheet"]) if e["sheet"] in order else -1,
                                    e["row"] or 0))


# --- writing -----------------------------------------------------------------------------

def write(plan: Plan, *, actor_id: int, run_id: int, now, step: Callable[[int], None]) -> dict:
    """Write a checked plan in the current transaction (flushed, not committed): firms
    created or updated, agreements created or updated, their targets and incentives replaced
    where they differ, and a FirmEvent for each agreement that changed. `step(n)` is told
    the rows written after each firm. Returns the counts for the run's summary."""
    firms = _existing_firms(list(plan.agreements))
    summary = {"created": 0, "updated": 0, "unchanged": 0, "firms_created": 0}
    for brn, row in plan.agreements.items():
        firm = firms.get(brn)
        if firm is None:
            firm = Firm(brn=brn, created_at=now, **row.firm)
            db.session.add(firm)
            summary["firms_created"] += 1
        changes = _assign(firm, row.firm)
        agreement = firm.agreement
        created = agreement is None
        if created:
            agreement = Agreement(firm=firm, created_at=now, **row.agreement)
            db.session.add(agreement)
        else:
            changes |= _assign(agreement, row.agreement)
        changes |= _replace(agreement, "targets", sorted(row.targets), lambda t: Target(
            measure=t.measure, phase=t.phase, year=t.year, amount=t.amount,
            report_due_on=t.report_due_on))
        changes |= _replace(agreement, "incentives", sorted(row.incentives), lambda i: Incentive(
            name=i.name, measure=i.measure, amount=i.amount,
            recoverable_percent=i.recoverable_percent))
        db.session.flush()
        if created or changes:
            db.session.add(FirmEvent(
                firm_id=firm.id, actor_id=actor_id, created_at=now,
                action="agreement_imported" if created else "agreement_updated",
                params={"import_run": run_id, "targets": len(row.targets),
                        "incentives": len(row.incentives),
                        **({} if created else {"changes": changes})}))
        summary["created" if created else "updated" if changes else "unchanged"] += 1
        step(1 + len(row.targets) + len(row.incentives))
    return summary


def _existing_firms(brns: list[str]) -> dict[str, Firm]:
    firms = {}
    for start in range(0, len(brns), CHUNK):
        firms |= {firm.brn: firm for firm in db.session.scalars(
            select(Firm).where(Firm.brn.in_(brns[start:start + CHUNK])).options(
                selectinload(Firm.agreement).selectinload(Agreement.targets),
                selectinload(Firm.agreement).selectinload(Agreement.incentives)))}
    return firms


def _shown(value):
    return value.isoformat() if isinstance(value, date) else value


def _assign(obj, values: dict) -> dict:
    """Set the fields that differ; {field: [before, after]} of those."""
    changes = {}
    for key, value in values.items():
        before = getattr(obj, key)
        if before != value:
            changes[key] = [_shown(before), _shown(value)]
            setattr(obj, key, value)
    return changes


def _replace(agreement: Agreement, name: str, wanted: list, build: Callable) -> dict:
    """Replace the agreement's targets (or incentives) when the sheet's differ."""
    current = getattr(agreement, name)
    row_type = TargetRow if name == "targets" else IncentiveRow
    fields = list(row_type.__dataclass_fields__)
    if sorted(row_type(*(getattr(o, f) for f in fields)) for o in current) == wanted:
        return {}
    before = len(current)
    if current:
        current.clear()
        db.session.flush()  # the old rows go before the new take their (measure, year)
    getattr(agreement, name).extend(build(item) for item in wanted)
    return {name: [before, len(wanted)]}
