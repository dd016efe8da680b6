"""What a change hands on after its commit (onestop.db.after_commit): done once the
transaction has committed, never before; taken back when it rolls back; and a savepoint
rolled back (one refused case of a bulk action) takes back only what was asked under it."""
import contextlib
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from onestop.accounts.models import SiteSetting
from onestop.audit import events as audit_events
from onestop.db import after_commit
from onestop.extensions import db
from onestop.notifications import ledger
from onestop.storage import PART, store_upload
from tests.factories import NOW

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_only_rows_of_kept_savepoints_are_queued(world, monkeypatch):
    queued = []
    monkeypatch.setattr(ledger, "enqueue_deliveries", lambda ids: queued.extend(ids) or len(ids))

    def write(key):
        return ledger.write([ledger.row(key=key, user_id=world.desk.id, kind="case_filed",
                                        now=NOW)])
    db.session.commit()
    kept = write("before")
    savepoint = db.session.begin_nested()
    write("refused")
    savepoint.rollback()
    with db.session.begin_nested():
        kept += write("after")
    db.session.commit()
    assert queued == kept and len(kept) == 2


def test_each_handler_is_called_once_with_its_values_in_order(ctx):
    calls = []
    db.session.commit()
    done_a, done_b = (lambda values: calls.append(("a", values))), \
        (lambda values: calls.append(("b", values)))
    after_commit(db.session, done_a, [1, 2])
    after_commit(db.session, done_b, ["x"])
    after_commit(db.session, done_a, [3])
    with db.session.begin_nested():  # released: SQLAlchemy calls it a commit, but it is not
        after_commit(db.session, done_b, ["y"])
    assert calls == []
    db.session.commit()
    assert calls == [("a", [1, 2, 3]), ("b", ["x", "y"])]
    db.session.commit()
    assert len(calls) == 2, "done once"


def test_a_rollback_takes_back_what_was_asked_and_calls_its_undo(ctx):
    done, undone = [], []
    db.session.commit()
    after_commit(db.session, done.extend, ["kept"], undone=undone.extend)
    savepoint = db.session.begin_nested()
    after_commit(db.session, done.extend, ["refused"], undone=undone.extend)
    savepoint.rollback()
    assert undone == ["refused"]
    db.session.commit()
    assert done == ["kept"]
    after_commit(db.session, done.extend, ["rolled back"], undone=undone.extend)
    db.session.rollback()
    after_commit(db.session, done.extend, ["closed"], undone=undone.extend)
    db.session.close()
    db.session.commit()
    assert done == ["kept"] and undone == ["refused", "rolled back", "closed"]


def test_a_savepoint_whose_flush_failed_takes_back_its_own(ctx):
    """As a bulk action's refused case: the flush fails inside the savepoint, which its
    failure rolls back with no rollback call of its own."""
    done, undone = [], []
    db.session.add(SiteSetting(key="taken", value={}))
    db.session.commit()
    for n in range(4):
        with pytest.raises(IntegrityError) if n % 2 else contextlib.nullcontext():
            with db.session.begin_nested():
                after_commit(db.session, done.extend, [n], undone=undone.extend)
                if n % 2:
                    db.session.add(SiteSetting(key="taken", value={}))
                    db.session.flush()
    db.session.commit()
    assert done == [0, 2] and undone == [1, 3]


def test_a_file_of_a_savepoint_rolled_back_goes_and_the_others_stay(ctx):
    """Before the one mechanism, a savepoint's rollback removed every file the transaction
    had stored, and its commit then kept none."""
    db.session.commit()
    folder = Path(ctx.config["UPLOAD_DIR"])
    kept = store_upload(db.session, "kept.pdf", PDF)["storage_key"]
    savepoint = db.session.begin_nested()
    refused = store_upload(db.session, "refused.pdf", PDF)["storage_key"]
    savepoint.rollback()
    assert not (folder / (refused + PART)).exists()
    db.session.commit()
    assert (folder / kept).read_bytes() == PDF and not (folder / (kept + PART)).exists()
    assert not (folder / refused).exists()


def test_an_admin_change_is_logged_at_the_commit_not_at_a_savepoint(ctx, monkeypatch):
    written = []
    monkeypatch.setattr(audit_events.logger, "info", written.append)
    db.session.commit()
    with db.session.begin_nested():
        audit_events.security_event_on_commit(db.session, "admin.test", outcome="changed")
    assert written == []
    db.session.commit()
    assert len(written) == 1 and '"admin.test"' in written[0]
