"""A row written under a savepoint that is rolled back (one refused case of a bulk action)
is never sent; the rows around it are, once each, after the commit."""
from onestop.extensions import db
from onestop.notifications import ledger
from tests.factories import NOW


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
